// The public wire contract (v1) as the SDK sees it: the types generated from the server's wire schemas
// (gateway/wire/types.ts), imported as types only, so nothing of the server runs in a client and the SDK's
// types cannot drift from what the server validates and the OpenAPI / AsyncAPI documents say. Money, rates
// and bps are decimal strings; times in `ts`/`tickTs` are epoch microseconds, the rest ISO 8601.
import type * as W from '../gateway/wire/types.js';

/** Exactly one side of an amount: the customer sends this much, or receives this much. */
export type Amount = { sendAmount: string; receiveAmount?: never } | { receiveAmount: string; sendAmount?: never };

export type LockRequest = { corridor: string } & Amount;

export type CorridorTier = W.CorridorTier;
export type CorridorReason = W.CorridorReason;
export type Corridor = W.Corridor;
export type SpreadParts = W.SpreadParts;
export type RouteLeg = W.RouteLeg;
export type IndicativeQuote = W.IndicativeQuote;
export type QuoteStatus = W.QuoteStatus;
export type Quote = W.Quote;
export type ErrorCode = W.ErrorCode;
export type Problem = W.Problem;

// The stream, GET /v1/stream.
export type SubscribeFrame = W.SubscribeFrame;
export type UnsubscribeFrame = W.UnsubscribeFrame;
export type LockFrame = { op: 'lock'; reqId: string } & LockRequest;
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | LockFrame;
export type QuoteFrame = W.QuoteFrame;
export type LockedFrame = W.LockedFrame;
export type QuoteRedeemedFrame = W.QuoteRedeemedFrame;
export type QuoteExpiredFrame = W.QuoteExpiredFrame;
export type HeartbeatFrame = W.HeartbeatFrame;
export type ErrorFrame = W.ErrorFrame;
export type ServerFrame = W.ServerFrame;

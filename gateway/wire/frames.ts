// The stream's wire shapes (WS /v1/stream), as zod schemas: the gateway validates client frames with them and
// the AsyncAPI document (docs/asyncapi.yaml) is generated from them. JSON text frames only.
import { z } from 'zod';
import { doc, named } from './registry.js';
import { amount, CorridorId, CorridorReason, Decimal, ErrorCodeSchema, Quote, SpreadParts } from './shapes.js';

/** How many corridors one subscribe or unsubscribe may name. */
export const MAX_CORRIDORS_PER_OP = 64;

const corridors = doc(`1 to ${MAX_CORRIDORS_PER_OP} corridor ids.`, z.array(z.string()).min(1).max(MAX_CORRIDORS_PER_OP));
const epochUs = z.number().int().nonnegative();
const reqId = doc('The client\'s id for the request, echoed on its answer (1-128 characters).', z.string().min(1).max(128));

export const SubscribeFrame = named('SubscribeFrame', 'Subscribe to corridors; sendAmount (optional) picks the spread tier whose rate the stream carries (tier 0 without one). The current price is sent at once.', z.strictObject({
  op: z.literal('subscribe'),
  corridors,
  sendAmount: doc('Picks the spread tier: the one this send amount falls in.', amount.optional()),
}));

export const UnsubscribeFrame = named('UnsubscribeFrame', 'Stop receiving quotes for corridors.', z.strictObject({
  op: z.literal('unsubscribe'),
  corridors,
}));

export const LockFrame = named('LockFrame', 'Lock a quote over the socket (scope lock): the same path, store and rate limit as POST /v1/quotes. Exactly one of sendAmount or receiveAmount.', z.strictObject({
  op: z.literal('lock'),
  reqId,
  corridor: CorridorId,
  sendAmount: amount.optional(),
  receiveAmount: amount.optional(),
}).refine((v) => (v.sendAmount === undefined) !== (v.receiveAmount === undefined), { message: 'give exactly one of sendAmount or receiveAmount' }),
{ oneOf: [{ required: ['sendAmount'] }, { required: ['receiveAmount'] }] });

export const QuoteFrame = named('QuoteFrame', 'The latest indicative price of a corridor at the subscribed tier. With tradeable false, rate, mid, spreadBps and spread are null.', z.strictObject({
  type: z.literal('quote'),
  corridor: CorridorId,
  rate: Decimal.nullable(),
  mid: Decimal.nullable(),
  spreadBps: Decimal.nullable(),
  spread: SpreadParts.nullable(),
  tier: z.number().int().nonnegative(),
  tradeable: z.boolean(),
  reason: doc('With tradeable false: why (no_route also when no eligible route takes this tier\'s amounts).', CorridorReason.optional()),
  seq: doc('Increases per corridor (within one server process).', z.number().int().nonnegative()),
  ts: doc('When the engine published it, epoch microseconds.', epochUs),
  tickTs: doc('When the newest partner tick behind it arrived, epoch microseconds.', epochUs),
  configVersion: z.string(),
}));

export const LockedFrame = named('LockedFrame', 'A lock succeeded: the quote is in the store.', z.strictObject({
  type: z.literal('locked'),
  reqId,
  quote: Quote,
}));

export const QuoteRedeemedFrame = named('QuoteRedeemedFrame', 'To the socket that locked the quote, when it is redeemed (by any gateway process).', z.strictObject({
  type: z.literal('quote_redeemed'),
  reqId,
  id: z.string(),
  redeemedAt: z.iso.datetime(),
}));

export const QuoteExpiredFrame = named('QuoteExpiredFrame', 'To the socket that locked the quote, when it expired unredeemed (as the store says).', z.strictObject({
  type: z.literal('quote_expired'),
  reqId,
  id: z.string(),
  expiresAt: z.iso.datetime(),
}));

export const HeartbeatFrame = named('HeartbeatFrame', 'Every server.heartbeatMs: the link is alive.', z.strictObject({
  type: z.literal('heartbeat'),
  ts: epochUs,
}));

export const ErrorFrame = named('ErrorFrame', 'A refused frame (the socket stays open); reqId when the refused frame carried one.', z.strictObject({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  detail: z.string(),
  reqId: z.string().optional(),
  retryAfterSec: z.number().int().positive().optional(),
}));

/** Every client message, and every server message, with its AsyncAPI message name. */
export const CLIENT_FRAMES = { subscribe: SubscribeFrame, unsubscribe: UnsubscribeFrame, lock: LockFrame } as const;
export const SERVER_FRAMES = {
  quote: QuoteFrame, locked: LockedFrame, quote_redeemed: QuoteRedeemedFrame, quote_expired: QuoteExpiredFrame,
  heartbeat: HeartbeatFrame, error: ErrorFrame,
} as const;

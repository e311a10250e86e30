// The wire types, from the schemas. The SDK imports this file with `import type` only: nothing of the
// server runs in a client. (The schemas' module imports only zod and the shared patterns.)
import type { z } from 'zod';
import type * as D from './desk.js';
import type * as F from './frames.js';
import type * as S from './shapes.js';

export type Decimal = z.output<typeof S.Decimal>;
export type SpreadParts = z.output<typeof S.SpreadParts>;
export type RouteLeg = z.output<typeof S.RouteLeg>;
export type CorridorTier = z.output<typeof S.CorridorTier>;
export type CorridorReason = z.output<typeof S.CorridorReason>;
export type Corridor = z.output<typeof S.Corridor>;
export type CorridorList = z.output<typeof S.CorridorList>;
export type IndicativeQuote = z.output<typeof S.IndicativeQuote>;
export type QuoteStatus = z.output<typeof S.QuoteStatus>;
export type Quote = z.output<typeof S.Quote>;
export type LockRequest = z.input<typeof S.LockRequest>;
export type AmountQuery = z.input<typeof S.AmountQuery>;
export type RedeemRequest = z.input<typeof S.RedeemRequest>;
export type ErrorCode = z.output<typeof S.ErrorCodeSchema>;
export type Problem = z.output<typeof S.Problem>;
export type Health = z.output<typeof S.Health>;
export type Readiness = z.output<typeof S.Readiness>;

export type SubscribeFrame = z.input<typeof F.SubscribeFrame>;
export type UnsubscribeFrame = z.input<typeof F.UnsubscribeFrame>;
export type LockFrame = z.input<typeof F.LockFrame>;
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | LockFrame;
export type QuoteFrame = z.output<typeof F.QuoteFrame>;
export type LockedFrame = z.output<typeof F.LockedFrame>;
export type QuoteRedeemedFrame = z.output<typeof F.QuoteRedeemedFrame>;
export type QuoteExpiredFrame = z.output<typeof F.QuoteExpiredFrame>;
export type HeartbeatFrame = z.output<typeof F.HeartbeatFrame>;
export type ErrorFrame = z.output<typeof F.ErrorFrame>;
export type ServerFrame = QuoteFrame | LockedFrame | QuoteRedeemedFrame | QuoteExpiredFrame | HeartbeatFrame | ErrorFrame;

export type DeskConfig = z.output<typeof D.DeskConfig>;
export type ChangeStatus = z.output<typeof D.ChangeStatus>;
export type ChangeRequest = z.input<typeof D.ChangeRequest>;
export type Change = z.output<typeof D.Change>;
export type ChangeList = z.output<typeof D.ChangeList>;
export type AuditAction = z.output<typeof D.AuditAction>;
export type AuditEntry = z.output<typeof D.AuditEntry>;
export type AuditTrail = z.output<typeof D.AuditTrail>;
export type LiveCorridor = z.output<typeof D.LiveCorridor>;
export type PartnerHealth = z.output<typeof D.PartnerHealth>;
export type DeskLive = z.output<typeof D.DeskLive>;

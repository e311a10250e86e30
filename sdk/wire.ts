// The public wire contract (v1) as the SDK sees it. Written here, not imported from the server: the SDK
// runs in browsers and must not pull in server code. Money, rates and bps are decimal strings; times in
// `ts`/`tickTs` are epoch microseconds, the rest ISO 8601.

/** Exactly one side of an amount: the customer sends this much, or receives this much. */
export type Amount = { sendAmount: string; receiveAmount?: never } | { receiveAmount: string; sendAmount?: never };

export type LockRequest = { corridor: string } & Amount;

export interface CorridorTier {
  tier: number;
  /** Send amount up to which this tier applies; absent on the last tier. */
  upTo?: string;
  /** Present while a partner limit caps this tier below its top: larger amounts are refused. */
  maxAmount?: string;
  /** The spread and customer rate in force now; null while the corridor (or this tier) has no price. */
  spreadBps: string | null;
  rate: string | null;
}

/** Why a corridor is not tradeable: a stable code. */
export type CorridorReason = 'no_price' | 'no_route' | 'stale' | 'not_configured' | (string & {});

export interface Corridor {
  id: string;
  send: string;
  receive: string;
  tradeable: boolean;
  /** Tier 0's customer rate (receive units per send unit). */
  rate: string | null;
  mid: string | null;
  updatedAt: string | null;
  /** Bounds of the send amount, fee included, in the send currency. */
  minAmount: string;
  maxAmount: string;
  /** Fixed fee in the send currency, taken off the send amount before conversion. */
  fee: string;
  sendDecimals: number;
  receiveDecimals: number;
  quoteTtlMs: number;
  tiers: CorridorTier[];
  reason?: CorridorReason;
  reasonDetail?: string;
}

export interface SpreadParts {
  tierBps: string;
  marketClosedBps: string;
  volatilityBps: string;
  skewBps: string;
  totalBps: string;
}

export interface RouteLeg {
  partner: string;
  pair: string;
  rate: string;
  ageMs?: number;
}

export interface IndicativeQuote {
  corridor: string;
  sendCurrency: string;
  receiveCurrency: string;
  sendAmount: string;
  receiveAmount: string;
  rate: string;
  mid: string;
  spreadBps: string;
  spread: SpreadParts;
  tier: number;
  fee: string;
  configVersion: string;
  tickTs: number;
  route: RouteLeg[];
}

export type QuoteStatus = 'locked' | 'redeemed' | 'expired';

/** A locked quote: firm terms with an id and an expiry. */
export interface Quote {
  id: string;
  corridor: string;
  sendCurrency: string;
  receiveCurrency: string;
  sendAmount: string;
  receiveAmount: string;
  rate: string;
  fee: string;
  status: QuoteStatus;
  createdAt: string;
  expiresAt: string;
  redeemedAt?: string;
  configVersion: string;
  route: RouteLeg[];
  spread?: SpreadParts;
}

/** RFC 9457 problem details, as every HTTP refusal carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  retryAfterSec?: number;
}

// The stream, GET /v1/stream.

export interface SubscribeFrame {
  op: 'subscribe';
  corridors: string[];
  sendAmount?: string;
}

export interface UnsubscribeFrame {
  op: 'unsubscribe';
  corridors: string[];
}

export type LockFrame = { op: 'lock'; reqId: string } & LockRequest;

export type ClientFrame = SubscribeFrame | UnsubscribeFrame | LockFrame;

export interface QuoteFrame {
  type: 'quote';
  corridor: string;
  /** null (with mid and spreadBps) while not tradeable. */
  rate: string | null;
  mid: string | null;
  spreadBps: string | null;
  spread: SpreadParts | null;
  tier: number;
  tradeable: boolean;
  /** Increases per corridor within one server process; starts again after a restart. */
  seq: number;
  ts: number;
  tickTs: number;
  configVersion: string;
}

export interface LockedFrame {
  type: 'locked';
  reqId: string;
  quote: Quote;
}

export interface QuoteRedeemedFrame {
  type: 'quote_redeemed';
  reqId: string;
  id: string;
  redeemedAt: string;
}

export interface QuoteExpiredFrame {
  type: 'quote_expired';
  reqId: string;
  id: string;
  expiresAt: string;
}

export interface HeartbeatFrame {
  type: 'heartbeat';
  ts: number;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  detail: string;
  reqId?: string;
  retryAfterSec?: number;
}

export type ServerFrame = QuoteFrame | LockedFrame | QuoteRedeemedFrame | QuoteExpiredFrame | HeartbeatFrame | ErrorFrame;

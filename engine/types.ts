// Domain types shared by the engine, feeds (ticks) and gateway (views). Money and rates are strings.

/** One partner's bid/ask for one pair (BASE/QUOTE: QUOTE units per 1 BASE). */
export interface PartnerTick {
  partner: string;
  pair: string;
  bid: string;
  ask: string;
  /** Partner's own timestamp, epoch ms. */
  ts: number;
  /** Partner's sequence, increasing per partner and pair. */
  seq: number;
}

/** A tick as the book holds it, with when it arrived here. */
export interface BookTick extends PartnerTick {
  /** Arrival time, epoch microseconds. */
  receivedAtUs: number;
  /** What the price is as of: the older of the partner's timestamp and the arrival, epoch µs. Staleness counts from it. */
  asOfUs: number;
}

export interface RouteLeg {
  partner: string;
  pair: string;
  /** This leg's rate in the corridor's direction, fee included. */
  rate: string;
  /**
   * The as-of time of the tick behind this leg (the older of the partner's timestamp and its arrival), epoch µs.
   * Ages are computed from it where a quote is made (lock, indicative), so a gateway shows them at that time.
   */
  tickTs: number;
}

/** A route leg as a quote shows it: its tick's age when the quote was made. */
export interface QuoteLeg {
  partner: string;
  pair: string;
  rate: string;
  /** How old the tick behind this leg was when the quote was made (locked, or the indicative asked for), ms. */
  ageMs: number;
}

/** One way to turn send into receive: the product of its legs' rates. */
export interface Route {
  rate: string;
  /** The largest send amount all its partners take on this corridor (absent: no limit). */
  maxAmount?: string;
  legs: RouteLeg[];
}

/** Which parts made a spread, in bps: totalBps = clamp(sum of the parts, minSpreadBps, maxSpreadBps). */
export interface SpreadParts {
  tierBps: string;
  marketClosedBps: string;
  volatilityBps: string;
  skewBps: string;
  totalBps: string;
}

export interface TierPrice {
  tier: number;
  /** Send amount up to which this tier applies (none on the last tier). */
  upTo?: string;
  /** Set when the tier's route is capped below the tier's top by a partner limit: larger amounts are refused. */
  maxAmount?: string;
  /** The total spread (spread.totalBps). */
  spreadBps: string;
  spread: SpreadParts;
  /** Customer rate; null when no eligible route takes this tier's amounts. */
  rate: string | null;
  /** Index into the snapshot's routes of the route this tier is priced on; null with rate null. */
  route: number | null;
}

/**
 * Why a priced corridor is not tradeable: no partner route is eligible (fresh, within limits, enabled), the
 * newest snapshot is older than the staleness bound (a gateway whose pricer went silent), or the corridor
 * is not in the config the pricer holds, or the desk halted it.
 */
export type UnavailableReason = 'no_route' | 'stale' | 'not_configured' | 'halted';

/** The pricing pool's output for one corridor: strings only, so it crosses threads and Redis as is. */
export interface CorridorSnapshot {
  corridor: string;
  send: string;
  receive: string;
  tradeable: boolean;
  /** Why the corridor is not tradeable, when it is not. */
  reason?: UnavailableReason;
  mid: string | null;
  /** Eligible routes, best (highest rate) first: each family's best (direct, via each pivot) and every tier's. */
  routes: Route[];
  tiers: TierPrice[];
  /** Newest arrival among the ticks behind the routes, epoch µs. */
  tickTs: number;
  /** Oldest as-of time among the ticks behind the routes, epoch µs: the snapshot is stale when this is. */
  oldestTickUs: number;
  configVersion: string;
  /** Per corridor, increasing with every published snapshot. */
  seq: number;
  /** When the engine published it, epoch µs. */
  ts: number;
}

export type AmountSide = 'send' | 'receive';

/** A locked quote's firm terms, as the wire shows them (status added by the store). */
export interface QuoteTerms {
  id: string;
  corridor: string;
  sendCurrency: string;
  receiveCurrency: string;
  sendAmount: string;
  receiveAmount: string;
  rate: string;
  fee: string;
  createdAt: string;
  expiresAt: string;
  configVersion: string;
  /** The legs the rate came from; ageMs (how old each leg's tick was at lock time) is absent on quotes locked before it existed. */
  route: (Omit<QuoteLeg, 'ageMs'> & { ageMs?: number })[];
  /** Which parts made the spread; absent on quotes locked before it existed. */
  spread?: SpreadParts;
}

export type QuoteStatus = 'locked' | 'redeemed' | 'expired';

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
  route: QuoteLeg[];
}

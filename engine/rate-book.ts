// The latest tick per partner and pair, with validation at the door: a rejected tick never reaches pricing.
import { compare, isDecimal } from './money.js';
import type { BookTick, PartnerTick } from './types.js';

export type TickOutcome = 'accepted' | 'malformed' | 'non_positive' | 'crossed' | 'future' | 'too_old' | 'out_of_sequence';

export interface RateBookLimits {
  /** A partner timestamp this far ahead of our clock is refused. */
  maxFutureSkewMs: number;
  /** A partner timestamp this far behind our clock is refused. */
  maxTickAgeMs: number;
}

export class RateBook {
  /** pair -> partner -> tick */
  readonly #book = new Map<string, Map<string, BookTick>>();

  constructor(private readonly limits: RateBookLimits) {}

  /** Validates and stores a tick; returns the outcome (only 'accepted' changes the book). */
  offer(tick: PartnerTick, nowMs: number, receivedAtUs: number): TickOutcome {
    if (typeof tick.partner !== 'string' || typeof tick.pair !== 'string' || !Number.isSafeInteger(tick.seq) || !Number.isFinite(tick.ts))
      return 'malformed';
    if (!isDecimal(tick.bid) || !isDecimal(tick.ask)) return 'malformed';
    if (compare(tick.bid, '0') <= 0) return 'non_positive';
    if (compare(tick.bid, tick.ask) > 0) return 'crossed';
    if (tick.ts - nowMs > this.limits.maxFutureSkewMs) return 'future';
    if (nowMs - tick.ts > this.limits.maxTickAgeMs) return 'too_old';
    let partners = this.#book.get(tick.pair);
    const prev = partners?.get(tick.partner);
    if (prev && tick.seq <= prev.seq) return 'out_of_sequence';
    if (!partners) this.#book.set(tick.pair, (partners = new Map()));
    partners.set(tick.partner, {
      partner: tick.partner, pair: tick.pair, bid: tick.bid, ask: tick.ask, ts: tick.ts, seq: tick.seq, receivedAtUs,
    });
    return 'accepted';
  }

  /** Latest ticks for the given pairs. */
  ticksFor(pairs: Iterable<string>): BookTick[] {
    const out: BookTick[] = [];
    for (const pair of pairs) for (const t of this.#book.get(pair)?.values() ?? []) out.push(t);
    return out;
  }
}

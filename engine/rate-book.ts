// The latest tick per partner and pair, with validation at the door: a rejected tick never reaches pricing.
// Outliers are judged later, in the workers, against the other partners that are fresh at pricing time.
import { isDecimal, PAIR, PARTNER_ID } from '../config/index.js';
import { quoteShape } from './decimal.js';
import { tickLine } from './tick-wire.js';
import type { BookTick, PartnerTick } from './types.js';

export type TickOutcome =
  | 'accepted' | 'malformed' | 'non_positive' | 'crossed' | 'too_wide' | 'future' | 'too_old' | 'out_of_sequence';

export interface RateBookLimits {
  /** A partner timestamp this far ahead of our clock is refused. */
  maxFutureSkewMs: number;
  /** A partner timestamp this far behind our clock is refused. */
  maxTickAgeMs: number;
  /** A tick wider than this, (ask - bid) / mid in bps, is refused. */
  maxTickWidthBps: string;
}

const NON_ZERO = /[1-9]/;

export class RateBook {
  /** pair -> partner -> tick, with its line for the workers */
  readonly #book = new Map<string, Map<string, { tick: BookTick; line: string }>>();

  constructor(private limits: RateBookLimits) {}

  setLimits(limits: RateBookLimits): void {
    this.limits = limits;
  }

  /** Validates and stores a tick; returns the outcome (only 'accepted' changes the book). */
  offer(tick: PartnerTick, nowMs: number, receivedAtUs: number): TickOutcome {
    if (!tick || typeof tick.partner !== 'string' || typeof tick.pair !== 'string' || !Number.isSafeInteger(tick.seq) || !Number.isFinite(tick.ts))
      return 'malformed';
    if (!PARTNER_ID.test(tick.partner) || !PAIR.test(tick.pair) || !isDecimal(tick.bid) || !isDecimal(tick.ask)) return 'malformed';
    // Plain non-negative decimals: positive means some non-zero digit. ask >= bid > 0 follows from the next check.
    if (!NON_ZERO.test(tick.bid)) return 'non_positive';
    if (tick.ts - nowMs > this.limits.maxFutureSkewMs) return 'future';
    if (nowMs - tick.ts > this.limits.maxTickAgeMs) return 'too_old';
    let partners = this.#book.get(tick.pair);
    const prev = partners?.get(tick.partner);
    // A later seq stamped earlier than the tick it would replace is old news: it must not push out a fresher price.
    if (prev && (tick.seq <= prev.tick.seq || tick.ts < prev.tick.ts)) return 'out_of_sequence';
    const shape = quoteShape(tick.bid, tick.ask, this.limits.maxTickWidthBps);
    if (shape !== 'ok') return shape;
    if (!partners) this.#book.set(tick.pair, (partners = new Map()));
    const stored: BookTick = {
      partner: tick.partner, pair: tick.pair, bid: tick.bid, ask: tick.ask, ts: tick.ts, seq: tick.seq, receivedAtUs,
      asOfUs: Math.min(tick.ts * 1000, receivedAtUs),
    };
    partners.set(tick.partner, { tick: stored, line: tickLine(stored) });
    return 'accepted';
  }

  /** Latest ticks for the given pairs as the workers take them (tick-wire.ts). */
  linesFor(pairs: Iterable<string>): string {
    const out: string[] = [];
    for (const pair of pairs) for (const e of this.#book.get(pair)?.values() ?? []) out.push(e.line);
    return out.join('\n');
  }
}

// Synthetic partners: a seeded, mean-reverting random walk around configured mids. Each pair ticks on its own
// schedule, as real partners' pairs do: a seeded random phase, then intervals jittered around 1/ticksPerSecond
// (uniform in 0.5x to 1.5x), so pairs and partners never tick in one instant and corridors are priced and
// published one or two at a time, not in bursts. The same seed gives the same ticks (prices and times, on the
// same clock) in the same order per partner and pair, so runs are reproducible.
import { FeedAdapter, type Connection, type FeedOptions, type Link, type RawTick, type TickSink } from './adapter.js';
import type { FeedClock } from './clock.js';
import { fromScaled, toScaled } from './fixed-point.js';

export interface SyntheticPartnerOptions {
  offsetBps: string;
  halfSpreadBps: string;
  noiseBps: string;
  pairs: string[];
}

export interface SyntheticOptions {
  seed: number;
  ticksPerSecond: number;
  mids: Record<string, string>;
}

const PLACES = 8; // rates are made with 8 decimals, then cut to 6 on the wire
const WIRE_PLACES = 6;
const TENTH_BPS = 100_000n; // 1 = 0.1 bps

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashSeed(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

interface PairState {
  pair: string;
  mid: bigint;
  /** Current deviation from the mid, in 0.1 bps. */
  walk: bigint;
  seq: number;
  random: () => number;
  /** The pair's own schedule, from its own seed (so the prices do not depend on the timing). */
  jitter: () => number;
}

/** An in-process partner on the shared base: connecting always works, and each round is one "message". */
export class SyntheticFeed extends FeedAdapter<PairState> {
  readonly #pairs: PairState[];
  readonly #offset: bigint;
  readonly #half: bigint;
  readonly #noise: number;

  constructor(partner: string, opts: SyntheticOptions, p: SyntheticPartnerOptions, sink: TickSink, clock: FeedClock, options: FeedOptions) {
    super(partner, sink, clock, options);
    this.#offset = toScaled(p.offsetBps, 1);
    this.#half = toScaled(p.halfSpreadBps, 1);
    this.#noise = Number(toScaled(p.noiseBps, 1)); // a step size in 0.1 bps, not a rate
    this.#pairs = p.pairs.map((pair) => ({
      pair, mid: toScaled(opts.mids[pair]!, PLACES), walk: 0n, seq: 0, random: prng(hashSeed(opts.seed, partner, pair)),
      jitter: prng(hashSeed(opts.seed, partner, pair, 'schedule')),
    }));
    this.tickIntervalMs = 1000 / opts.ticksPerSecond;
  }

  readonly tickIntervalMs: number;

  /** The next tick for one pair: step the walk, then price bid and ask around the partner's mid. */
  next(s: PairState): { bid: string; ask: string } {
    const step = BigInt(Math.round((s.random() * 2 - 1) * this.#noise));
    s.walk = s.walk - s.walk / 50n + step; // mean reversion keeps the walk near the configured mid
    const at = (tenthsBps: bigint) => (s.mid * (TENTH_BPS + this.#offset + s.walk + tenthsBps)) / TENTH_BPS;
    const scale = 10n ** BigInt(PLACES - WIRE_PLACES);
    const bid = at(-this.#half) / scale; // rounded down
    const ask = (at(this.#half) + scale - 1n) / scale; // rounded up: the spread never shrinks by rounding
    return { bid: fromScaled(bid, WIRE_PLACES), ask: fromScaled(ask, WIRE_PLACES) };
  }

  /** One message: the next tick of one pair. */
  protected parse(s: PairState): RawTick[] {
    return [{ pair: s.pair, ...this.next(s), ts: this.clock.nowMs(), seq: ++s.seq }];
  }

  protected connect(link: Link): Connection {
    const timers = new Map<PairState, unknown>();
    const schedule = (s: PairState, ms: number) => timers.set(s, this.clock.setTimeout(() => tick(s), ms));
    const tick = (s: PairState) => {
      link.message(s);
      if (link.current) schedule(s, this.tickIntervalMs * (0.5 + s.jitter()));
    };
    link.up();
    // Each pair starts with a tick (a fresh connection has prices at once), then runs on its own phase.
    for (const s of this.#pairs) {
      link.message(s);
      schedule(s, this.tickIntervalMs * s.jitter());
    }
    return { close: () => { for (const t of timers.values()) this.clock.clearTimeout(t); } };
  }
}

// One true clock for the wire's µs stamps (`ts`, `tickTs`) and for staleness: the monotonic clock, anchored to
// the wall clock and kept on it.
//
//   wall ms ─► bounds on (wall - monotonic): every read narrows them ─► target offset (their middle)
//   monotonic µs + applied offset ─► nowUs         the applied offset slews towards the target, never a step back
//
// Date.now() only says which millisecond it is, but each read bounds the offset between the wall clock and the
// monotonic one: a read of w ms between two monotonic instants puts the true offset in a 1 ms window, and
// reads at different phases of the millisecond cut the window down to a few µs (a read just after the ms turns
// over pins it). The bounds widen slowly as time passes; a read outside them (the wall clock was stepped or
// slewed) restarts them. The applied offset moves to the target at a
// bounded rate (SLEW of the elapsed time), so time never runs backwards and never speeds up by more than SLEW;
// only a forward jump of over STEP_US is taken at once.
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** Epoch microseconds, for latency stamps on the wire. */
  nowUs(): number;
}

/** What a true clock reads: a monotonic clock in µs (any origin, fractions allowed) and the wall clock in epoch ms. */
export interface TimeSource {
  monoUs(): number;
  wallMs(): number;
}

export const systemTimeSource: TimeSource = { monoUs: () => performance.now() * 1000, wallMs: () => Date.now() };

/**
 * How fast the bounds widen, as a share of the time since the last read. Both clocks follow NTP's frequency
 * correction, so their difference moves only when the wall clock is stepped or slewed to an offset; a read
 * outside the bounds then restarts them, and reads a few ms apart pin the offset again.
 */
const DRIFT = 1e-6;
/** A correction runs at up to 5% of the elapsed time: 50 µs takes 1 ms to slew out. */
const SLEW = 0.05;
/** A forward jump larger than this is stepped (time still never goes backwards). */
const STEP_US = 1_000_000;
/** The start-up reads go on until they pin the offset this closely (or the wait is up). */
const ANCHOR_US = 4;

export class TrueClock implements Clock {
  readonly #src: TimeSource;
  /** Bounds on the true (wall - monotonic) offset, µs, as of monotonic #at. */
  #lo = -Infinity;
  #hi = Infinity;
  #at = 0;
  /** The offset applied, and the monotonic time it was last moved at. */
  #offset: number;
  #movedAt: number;
  #lastUs = 0;

  /** `anchorSpinUs`: how long the constructor may wait for the wall clock's ms to turn over (0: no wait). */
  constructor(src: TimeSource = systemTimeSource, { anchorSpinUs = 5_000 }: { anchorSpinUs?: number } = {}) {
    this.#src = src;
    // Read through the turn of a millisecond: the last read before it and the first after it pin the offset
    // within the reads' own duration. A read held up (a busy machine) leaves the bounds wide: try another turn.
    const start = this.#observe();
    let m = start;
    for (let i = 0; i < 1_000_000 && this.#hi - this.#lo > ANCHOR_US && m - start < anchorSpinUs; i++) m = this.#observe();
    this.#offset = (this.#lo + this.#hi) / 2;
    this.#movedAt = m;
  }

  /** One read of both clocks: narrows the bounds; returns the monotonic time of the read. */
  #observe(): number {
    const w1 = this.#src.wallMs();
    const m = this.#src.monoUs();
    const w2 = this.#src.wallMs();
    // The wall clock at m was at least w1 ms and less than w2 + 1 ms.
    const lo = w1 * 1000 - m;
    const hi = (w2 + 1) * 1000 - m;
    const widen = (m - this.#at) * DRIFT;
    const a = Math.max(this.#lo - widen, lo);
    const b = Math.min(this.#hi + widen, hi);
    if (a <= b) (this.#lo = a), (this.#hi = b);
    else (this.#lo = lo), (this.#hi = hi); // outside the bounds: the wall clock was stepped; start again
    this.#at = m;
    return m;
  }

  nowUs(): number {
    const m = this.#observe();
    const error = (this.#lo + this.#hi) / 2 - this.#offset;
    const most = (m - this.#movedAt) * SLEW;
    this.#offset += error > STEP_US ? error : Math.max(-most, Math.min(most, error));
    this.#movedAt = m;
    const us = Math.floor(m + this.#offset);
    if (us > this.#lastUs) this.#lastUs = us;
    return this.#lastUs;
  }

  nowMs(): number {
    return Math.floor(this.nowUs() / 1000);
  }
}

export const systemClock: Clock = new TrueClock();

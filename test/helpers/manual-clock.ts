import type { FeedClock } from '../../feeds/index.js';

/** A FeedClock whose time moves only when a test says so; due timers run in order as it moves. */
export class ManualClock implements FeedClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = Date.now()) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (including ones they set). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= target && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = target;
  }
}

/** Lets real I/O (loopback sockets, files) happen between steps of fake time. */
export const io = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** Advances fake time in steps, letting real I/O run between them, until `done` holds. */
export async function drive(clock: ManualClock, done: () => boolean, stepMs = 50, maxSteps = 600): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (done()) return;
    clock.advance(stepMs);
    await io();
  }
  throw new Error(`condition not met after ${maxSteps} steps of ${stepMs} ms of fake time`);
}

/** Waits in real time (fake time stands still) until `check` holds: for I/O already set in motion. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await io(5);
  }
}

// Time for feeds is injected: the base's backoff, heartbeats and staleness, and every adapter's poll interval
// or replay pace run on these timers, so tests drive hours of partner behaviour in milliseconds.

export interface FeedClock {
  /** Epoch milliseconds. */
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemFeedClock: FeedClock = {
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref(); // a feed never keeps the process alive on its own
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

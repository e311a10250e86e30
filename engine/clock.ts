export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** Epoch microseconds, for latency stamps on the wire. */
  nowUs(): number;
}

const origin = performance.timeOrigin;

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowUs: () => Math.round((origin + performance.now()) * 1000),
};

export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** Epoch microseconds, for latency stamps on the wire. */
  nowUs(): number;
}

// nowUs follows the wall clock (Date.now()), so staleness that compares it with nowMs never mixes two clocks
// (performance.timeOrigin is fixed at start-up and drifts from the wall clock under NTP); the monotonic clock
// only adds the microseconds within the current millisecond, and the result never goes backwards.
let lastUs = 0;

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowUs: () => {
    const us = Date.now() * 1000 + Math.floor((performance.now() * 1000) % 1000);
    lastUs = us > lastUs ? us : lastUs + 1;
    return lastUs;
  },
};

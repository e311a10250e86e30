// Exponential backoff with full jitter (a uniform pick in [0, min(cap, base * 2^n))): reconnecting partners
// spread out instead of arriving together after an outage.

export interface BackoffOptions {
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** The delay before reconnect attempt `failures` (1 for the first failure). */
export function backoffDelayMs(failures: number, o: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(o.backoffMaxMs, o.backoffInitialMs * 2 ** Math.min(failures - 1, 30));
  return Math.floor(random() * ceiling);
}

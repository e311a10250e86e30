// Exponential backoff with full jitter: a delay drawn uniformly from [0, min(maxMs, baseMs * 2^attempt)),
// so many clients cut off at once (a server restart) come back spread out, not in a herd.

export interface BackoffOptions {
  /** The first retry's delay bound, ms. */
  baseMs: number;
  /** The largest delay bound, ms. */
  maxMs: number;
}

export function backoffDelay(attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

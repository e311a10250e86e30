// Per-key token buckets for lock and redeem, in process memory (REST and stream share them).
import type { PeerLimits } from './config.js';
import { PeerError } from './errors.js';

export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  take(key: string, op: 'lock' | 'redeem', limits: PeerLimits): void {
    const [rate, burst] = op === 'lock' ? [limits.lockPerSecond, limits.lockBurst] : [limits.redeemPerSecond, limits.redeemBurst];
    const now = Date.now();
    const b = this.#buckets.get(`${op}:${key}`) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.#buckets.set(`${op}:${key}`, b);
    if (b.tokens < 1) throw new PeerError('rate_limited', `too many ${op} requests for this API key; retry in ${Math.ceil((1 - b.tokens) / rate)} s`, Math.ceil((1 - b.tokens) / rate));
    b.tokens -= 1;
  }
}

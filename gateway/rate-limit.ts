// Per-key token buckets for lock and redeem, shared by REST and the stream. In-process: with N gateways a
// key gets N times its limit (a Redis-backed limiter would be exact, at a round trip per request).
// REST answers say where a key stands in the IETF draft's terms (draft-ietf-httpapi-ratelimit-headers):
// RateLimit-Policy: "lock";q=<burst>;w=<seconds a full refill takes>, RateLimit: "lock";r=<left>;t=<seconds until full>.
import { fxError } from '../engine/index.js';
import type { Principal } from './auth.js';

class TokenBucket {
  #tokens: number;
  #at: number;
  /** The RateLimit-Policy value, the same for every answer from this bucket. */
  readonly policy: string;

  constructor(readonly op: LimitedOp, private readonly perSecond: number, private readonly burst: number, now: number) {
    this.#tokens = burst;
    this.#at = now;
    this.policy = `"${op}";q=${burst};w=${Math.max(1, Math.ceil(burst / perSecond))}`;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
  }

  /** Takes one token, or returns how many seconds until one is there. */
  take(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.perSecond);
  }

  /** The RateLimit value now: whole requests left, and seconds until the bucket is full again. */
  state(now: number): string {
    this.#refill(now);
    return `"${this.op}";r=${Math.floor(this.#tokens)};t=${Math.ceil((this.burst - this.#tokens) / this.perSecond)}`;
  }
}

export type LimitedOp = 'lock' | 'redeem';

export class RateLimits {
  /** op -> key name -> bucket */
  readonly #buckets = { lock: new Map<string, TokenBucket>(), redeem: new Map<string, TokenBucket>() };

  constructor(private readonly onLimited: (op: LimitedOp) => void = () => {}, private readonly now: () => number = Date.now) {}

  /** Takes a token for the key's op, or throws rate_limited with retryAfterSec. */
  take(principal: Principal, op: LimitedOp): void {
    const buckets = this.#buckets[op];
    let bucket = buckets.get(principal.name);
    if (!bucket) {
      const l = principal.limits;
      bucket = op === 'lock' ? new TokenBucket(op, l.lockPerSecond, l.lockBurst, this.now()) : new TokenBucket(op, l.redeemPerSecond, l.redeemBurst, this.now());
      buckets.set(principal.name, bucket);
    }
    const wait = bucket.take(this.now());
    if (wait > 0) this.onLimited(op);
    if (wait > 0) throw fxError('rate_limited', `too many ${op} requests for this API key; retry in ${wait} s`, { retryAfterSec: wait });
  }

  /** RateLimit-Policy and RateLimit for the key's op, once it has taken from the bucket (undefined before). */
  headers(principal: Principal, op: LimitedOp): Record<string, string> | undefined {
    const bucket = this.#buckets[op].get(principal.name);
    return bucket && { 'ratelimit-policy': bucket.policy, ratelimit: bucket.state(this.now()) };
  }

  /** New limits apply from the next request (after a config reload). */
  reset(): void {
    this.#buckets.lock.clear();
    this.#buckets.redeem.clear();
  }
}

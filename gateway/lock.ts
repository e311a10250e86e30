// The one lock path of REST and the stream: scope, shutdown and the rate limit are checked here, in this
// order, before the request is even read; then the desk locks (the store holds the quote before anyone hears of it).
import { fxError, type LockCallback, type LockRequest, type QuoteDesk } from '../engine/index.js';
import type { Principal } from './auth.js';
import type { RateLimits } from './rate-limit.js';

export interface LockPath {
  desk: QuoteDesk;
  limits: RateLimits;
  /** false once shutdown has begun. */
  accepting: () => boolean;
}

/**
 * `read` parses the request (throwing a coded error for a bad one) once the caller may lock at all. A refusal
 * before the desk is thrown; the desk answers through `done` (one store round trip, no promise).
 */
export function lockFor(path: LockPath, principal: Principal, read: () => { request: LockRequest; idempotencyKey?: string | undefined }, done: LockCallback): void {
  if (!principal.scopes.has('lock')) throw fxError('forbidden', 'this API key needs the lock scope');
  if (!path.accepting()) throw fxError('shutting_down', 'the server is shutting down; lock on another instance');
  path.limits.take(principal, 'lock');
  const { request, idempotencyKey } = read();
  path.desk.lock(request, { owner: principal.name, idempotencyKey }, done);
}

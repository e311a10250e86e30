// The peer's quote store: one ioredis client with its defaults (no auto-pipelining), a hash per quote with a
// TTL, a lifecycle event stream. Lock is a MULTI/EXEC; redeem is a short Lua script, because a check-then-set
// across requests must be atomic and WATCH/MULTI does not work on a connection shared by concurrent requests.
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { PeerError } from './errors.js';

// KEYS: quote hash, event stream. ARGV: id, idempotency key, corridor, send amount, receive amount (canonical, or ''), stream MAXLEN.
// Returns { outcome, terms JSON, redeemedAt ms }. Expiry is decided by the Redis server's clock.
const REDEEM = `
local q = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'corridor', 'sendAmount', 'receiveAmount', 'redeemKey', 'redeemedAt', 'terms')
if not q[1] then return { 'not_found' } end
if (ARGV[3] ~= '' and ARGV[3] ~= q[3]) or (ARGV[4] ~= '' and ARGV[4] ~= q[4]) or (ARGV[5] ~= '' and ARGV[5] ~= q[5]) then
  return { 'amount_mismatch' }
end
if q[1] == 'redeemed' then
  if q[6] == ARGV[2] then return { 'replay', q[8], q[7] } end
  return { 'already_redeemed' }
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(q[2]) then return { 'expired' } end
redis.call('HSET', KEYS[1], 'status', 'redeemed', 'redeemKey', ARGV[2], 'redeemedAt', tostring(now))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'type', 'redeemed', 'id', ARGV[1])
return { 'ok', q[8], tostring(now) }
`;

export interface LockRecord {
  /** The quote as the wire shows it, without status. */
  quote: { id: string; corridor: string; expiresAt: string } & Record<string, unknown>;
  expiresAtMs: number;
  sendAmount: string;
  receiveAmount: string;
}

const quoteKey = (id: string) => `quote:${id}`;
const EVENTS = 'quote-events';

const body = (terms: string, status: string, redeemedAtMs?: string) =>
  JSON.stringify({ ...JSON.parse(terms), status, ...(redeemedAtMs ? { redeemedAt: new Date(Number(redeemedAtMs)).toISOString() } : {}) });

export class PeerStore {
  readonly redis: Redis & { peerRedeem(...args: (string | number)[]): Promise<string[]> };

  constructor(url: string, private readonly opts: { retentionMs: number; eventsMaxLen: number; keyPrefix?: string }) {
    this.redis = new Redis(url, { keyPrefix: opts.keyPrefix ?? '' }) as PeerStore['redis'];
    this.redis.defineCommand('peerRedeem', { numberOfKeys: 2, lua: REDEEM });
    this.redis.on('error', () => {}); // reconnects by itself; requests meanwhile answer 503
  }

  static newId(): string {
    return 'q_' + randomBytes(16).toString('base64url');
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PeerError) throw err;
      throw new PeerError('store_unavailable', `the quote store failed: ${(err as Error).message}`);
    }
  }

  /** Writes the quote; with an idempotency key, a second lock with it answers the first body (or 422 for another request). */
  async lock(rec: LockRecord, idempotency?: { key: string; fingerprint: string }): Promise<{ body: string; replayed: boolean }> {
    const terms = JSON.stringify(rec.quote);
    const lockedBody = JSON.stringify({ ...rec.quote, status: 'locked' });
    const keepUntil = rec.expiresAtMs + this.opts.retentionMs;
    return this.#run(async () => {
      if (idempotency) {
        // SET NX claims the key first; a concurrent same-key lock may see the body a moment before the quote is written.
        const claimed = await this.redis.set(`lock-idem:${idempotency.key}`, JSON.stringify({ fp: idempotency.fingerprint, body: lockedBody }), 'PXAT', keepUntil, 'NX');
        if (!claimed) {
          const seen = JSON.parse((await this.redis.get(`lock-idem:${idempotency.key}`)) ?? '{}');
          if (seen.fp !== idempotency.fingerprint) throw new PeerError('idempotency_key_reused', 'this Idempotency-Key was used to lock a different request');
          return { body: seen.body, replayed: true };
        }
      }
      const results = await this.redis
        .multi()
        .hset(quoteKey(rec.quote.id), {
          terms, status: 'locked', expiresAt: rec.expiresAtMs, corridor: rec.quote.corridor, sendAmount: rec.sendAmount, receiveAmount: rec.receiveAmount,
        })
        .pexpireat(quoteKey(rec.quote.id), keepUntil)
        .xadd(EVENTS, 'MAXLEN', '~', this.opts.eventsMaxLen, '*', 'type', 'locked', 'id', rec.quote.id, 'corridor', rec.quote.corridor)
        .exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      return { body: lockedBody, replayed: false };
    });
  }

  async get(id: string): Promise<string> {
    const q = await this.#run(() => this.redis.hgetall(quoteKey(id)));
    if (!q.terms) throw new PeerError('quote_not_found', `no quote ${id}`);
    if (q.status === 'redeemed') return body(q.terms, 'redeemed', q.redeemedAt);
    return body(q.terms, Date.now() >= Number(q.expiresAt) ? 'expired' : 'locked');
  }

  async redeem(id: string, key: string, match: { corridor?: string; sendAmount?: string; receiveAmount?: string }): Promise<{ body: string; replayed: boolean }> {
    const [outcome, terms, redeemedAt] = await this.#run(() =>
      this.redis.peerRedeem(quoteKey(id), EVENTS, id, key, match.corridor ?? '', match.sendAmount ?? '', match.receiveAmount ?? '', this.opts.eventsMaxLen));
    switch (outcome) {
      case 'ok': return { body: body(terms!, 'redeemed', redeemedAt), replayed: false };
      case 'replay': return { body: body(terms!, 'redeemed', redeemedAt), replayed: true };
      case 'not_found': throw new PeerError('quote_not_found', `no quote ${id}`);
      case 'amount_mismatch': throw new PeerError('amount_mismatch', `the amount or corridor does not match quote ${id}`);
      case 'already_redeemed': throw new PeerError('quote_already_redeemed', `quote ${id} was redeemed with another Idempotency-Key`);
      case 'expired': throw new PeerError('quote_expired', `quote ${id} has expired`);
      default: throw new PeerError('internal_error', `unexpected redeem outcome ${outcome}`);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

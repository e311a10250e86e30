// The in-memory quote store: the embedded default when no REDIS_URL is set. Same contract as Redis
// (one contract suite runs against both); single-process only, and nothing survives a restart.
import { createSecretKey, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { canonical } from './decimal.js';
import {
  newQuoteId, quoteBody, StoreCode, storeError,
  type LockDone, type LockInput, type QuoteStore, type RedeemedListener, type RedeemInput, type RedeemOutcome,
} from './quote-store.js';

interface Rec {
  terms: string;
  owner: string;
  corridor: string;
  sendAmount: string;
  receiveAmount: string;
  expiresAtMs: number;
  keepUntilMs: number;
  redeemed?: { at: string; caller: string; key: string; body: string };
}

export class MemoryQuoteStore implements QuoteStore {
  readonly kind = 'memory';
  readonly up = true;
  readonly #quotes = new Map<string, Rec>();
  readonly #idempotency = new Map<string, { fingerprint: string; body: string; keepUntilMs: number }>();
  readonly #sweep: NodeJS.Timeout;
  readonly #redeemed = new Set<RedeemedListener>();
  /** Names the ids of idempotent locks (nothing outlives the process here, so neither need this). */
  readonly #secret = createSecretKey(randomBytes(32));

  constructor(private readonly clock: Clock, private readonly retentionMs: number) {
    this.#sweep = setInterval(() => this.#purge(), 60_000).unref();
  }

  newId(idempotencyKey?: string): string {
    return newQuoteId({ idempotencyKey, secret: this.#secret });
  }

  #live<T extends { keepUntilMs: number }>(map: Map<string, T>, key: string): T | undefined {
    const rec = map.get(key);
    if (rec && rec.keepUntilMs <= this.clock.nowMs()) {
      map.delete(key);
      return undefined;
    }
    return rec;
  }

  /** Answers before it returns: nothing here waits. */
  lock(input: LockInput, done: LockDone): void {
    const { idempotency } = input;
    if (idempotency) {
      const seen = this.#live(this.#idempotency, idempotency.key);
      if (seen && seen.fingerprint !== idempotency.fingerprint) return done(storeError(StoreCode.IDEMPOTENCY_KEY_REUSED, input.id));
      if (seen) return done(undefined, { body: seen.body, replayed: true });
    }
    const keepUntilMs = input.expiresAtMs + this.retentionMs;
    this.#quotes.set(input.id, {
      terms: input.terms, owner: input.owner, corridor: input.corridor, sendAmount: canonical(input.sendAmount), receiveAmount: canonical(input.receiveAmount),
      expiresAtMs: input.expiresAtMs, keepUntilMs,
    });
    const { body } = input;
    if (idempotency) this.#idempotency.set(idempotency.key, { fingerprint: idempotency.fingerprint, body, keepUntilMs });
    done(undefined, { body, replayed: false });
  }

  async lockedWith(key: string): Promise<{ fingerprint: string; body: string } | undefined> {
    const seen = this.#live(this.#idempotency, key);
    return seen && { fingerprint: seen.fingerprint, body: seen.body };
  }

  async get(id: string, owner?: string): Promise<string> {
    const q = this.#live(this.#quotes, id);
    if (!q || (owner !== undefined && q.owner !== owner)) throw storeError(StoreCode.NOT_FOUND, id);
    if (q.redeemed) return q.redeemed.body;
    return quoteBody(q.terms, this.clock.nowMs() >= q.expiresAtMs ? 'expired' : 'locked');
  }

  async redeem(input: RedeemInput): Promise<RedeemOutcome> {
    // The same checks, in the same order, as redeem-2.lua.
    const q = this.#live(this.#quotes, input.id);
    if (!q) throw storeError(StoreCode.NOT_FOUND, input.id);
    if ((input.corridor && input.corridor !== q.corridor) || (input.sendAmount && input.sendAmount !== q.sendAmount) ||
      (input.receiveAmount && input.receiveAmount !== q.receiveAmount))
      throw storeError(StoreCode.AMOUNT_MISMATCH, input.id);
    if (q.redeemed) {
      if (q.redeemed.caller === input.caller && q.redeemed.key === input.idempotencyKey) return { body: q.redeemed.body, replayed: true };
      throw storeError(StoreCode.ALREADY_REDEEMED, input.id);
    }
    const now = this.clock.nowMs();
    if (now >= q.expiresAtMs) throw storeError(StoreCode.EXPIRED, input.id);
    const at = new Date(now).toISOString();
    q.redeemed = { at, caller: input.caller, key: input.idempotencyKey, body: quoteBody(q.terms, 'redeemed', at) };
    for (const fn of this.#redeemed) fn(input.id, q.redeemed.body, q.owner);
    return { body: q.redeemed.body, replayed: false };
  }

  onRedeemed(listener: RedeemedListener): () => void {
    this.#redeemed.add(listener);
    return () => this.#redeemed.delete(listener);
  }

  #purge(): void {
    const now = this.clock.nowMs();
    for (const [k, v] of this.#quotes) if (v.keepUntilMs <= now) this.#quotes.delete(k);
    for (const [k, v] of this.#idempotency) if (v.keepUntilMs <= now) this.#idempotency.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }
}

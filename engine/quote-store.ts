// The quote store contract. Two implementations: Redis (production, every store test) and in-memory
// (the embedded default). Bodies are returned as the exact JSON bytes to send, so replays are identical.
import { createHmac, randomFillSync, type KeyObject } from 'node:crypto';
import { fxError, type FxError } from './errors.js';
import type { QuoteStatus } from './types.js';

export interface LockInput {
  id: string;
  /** The firm terms as their wire JSON, without status: the exact bytes every later answer is built from. */
  terms: string;
  /** The lock's answer: the terms with status locked (quoteBody(terms, 'locked')), made once by the caller. */
  body: string;
  /** The name of the API key that locked it: it, and redeem-scope keys, may read the quote; no other key. */
  owner: string;
  corridor: string;
  /** As the wire shows them (in the currencies' minor units), for the lifecycle event and redeem's match. */
  sendAmount: string;
  receiveAmount: string;
  expiresAtMs: number;
  /** Present when the client sent an Idempotency-Key: the key scoped to the caller, and a fingerprint of the request. */
  idempotency?: { key: string; fingerprint: string };
}

export interface LockOutcome {
  body: string;
  /** true when an earlier lock with the same Idempotency-Key answered, and this is its body. */
  replayed: boolean;
}

/** How a lock answers: once, with an error or the outcome; possibly before lock() returns (the memory store). */
export type LockDone = (err: FxError | undefined, outcome?: LockOutcome) => void;

export interface RedeemInput {
  id: string;
  /** The redeeming key's name: its Idempotency-Key is its own, never another key's. */
  caller: string;
  idempotencyKey: string;
  /** Normalised to the currency's minor units; at least one is present. */
  sendAmount?: string;
  receiveAmount?: string;
  corridor?: string;
}

export interface RedeemOutcome {
  body: string;
  replayed: boolean;
}

/** The redeemed quote's id, its wire body (with redeemedAt) and the name of the key that owns it ('' if not recorded). */
export type RedeemedListener = (id: string, body: string, owner: string) => void;

export interface QuoteStore {
  readonly kind: 'memory' | 'redis';
  /**
   * A fresh quote id; with a (scoped) idempotency key, the one id that key names (see newQuoteId). Throws
   * store_unavailable while the store cannot make one (Redis: its secret not read yet).
   */
  newId(idempotencyKey?: string): string;
  /** Holds the quote (and its idempotency entry and locked event) before `done` hears of it: one store round trip. */
  lock(input: LockInput, done: LockDone): void;
  /** What an earlier lock with this (scoped) Idempotency-Key answered, if any: its request fingerprint and body. */
  lockedWith(key: string): Promise<{ fingerprint: string; body: string } | undefined>;
  /**
   * The quote with its status now (by the store's clock). With `owner`, only a quote that key locked: any
   * other is quote_not_found, exactly as if it did not exist. Without, any quote (the redeem scope).
   */
  get(id: string, owner?: string): Promise<string>;
  redeem(input: RedeemInput): Promise<RedeemOutcome>;
  /**
   * Calls back on every first redeem (not replays), wherever it happened: Redis publishes from inside the
   * redeem script, so every gateway process hears of it. Returns an unsubscribe function.
   */
  onRedeemed(listener: RedeemedListener): () => void;
  readonly up: boolean;
  close(): Promise<void>;
}

/** Result codes shared by the Lua scripts and the in-memory store; one mapper turns them into errors. */
export const StoreCode = {
  OK: 0,
  REPLAY: 1,
  IDEMPOTENCY_KEY_REUSED: 2,
  NOT_FOUND: 3,
  EXPIRED: 4,
  ALREADY_REDEEMED: 5,
  AMOUNT_MISMATCH: 6,
} as const;
export type StoreCode = (typeof StoreCode)[keyof typeof StoreCode];

export function storeError(code: StoreCode, id: string): FxError {
  switch (code) {
    case StoreCode.IDEMPOTENCY_KEY_REUSED: return fxError('idempotency_key_reused', 'this Idempotency-Key was used to lock a different request');
    case StoreCode.NOT_FOUND: return fxError('quote_not_found', `no quote ${id}`);
    case StoreCode.EXPIRED: return fxError('quote_expired', `quote ${id} has expired`);
    case StoreCode.ALREADY_REDEEMED: return fxError('quote_already_redeemed', `quote ${id} was redeemed with another Idempotency-Key`);
    case StoreCode.AMOUNT_MISMATCH: return fxError('amount_mismatch', `the amount or corridor does not match quote ${id}`);
    default: return fxError('internal_error', `unexpected store code ${code}`);
  }
}

// Ids: "q_" + shard (one hex digit) + 128 random bits in base64url. The shard is the Redis hash tag.
export const SHARDS = 16;
const ID = /^q_[0-9a-f][A-Za-z0-9_-]{22}$/;

export function isQuoteId(id: string): boolean {
  return ID.test(id);
}

export function shardOf(id: string): string {
  return id.charAt(2);
}

// One CSPRNG fill per 256 ids: randomBytes per id costs more than the rest of the id.
const POOL = Buffer.alloc(16 * 256);
let poolAt = POOL.length;

/**
 * A quote id: `q_`, a shard digit, 128 bits. Without an idempotency key the bits are random and the shard is
 * `shard` (or random). With one (scoped to its caller), both come from HMAC-SHA256(secret, key): the same key
 * always names the same quote, so a lock retried with it finds its first quote at the id itself, and the
 * bits are still unpredictable to anyone without the store's secret.
 */
export function newQuoteId(opts: { idempotencyKey?: string; secret?: KeyObject; shard?: number } = {}): string {
  if (opts.idempotencyKey !== undefined) {
    if (!opts.secret) throw new Error('an id for an idempotency key needs the store secret');
    const mac = createHmac('sha256', opts.secret).update(opts.idempotencyKey).digest();
    return `q_${(mac[0]! % SHARDS).toString(16)}${mac.toString('base64url', 16, 32)}`;
  }
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 16;
  return `q_${(opts.shard ?? POOL[at + 15]! % SHARDS).toString(16)}${POOL.toString('base64url', at, at + 16)}`;
}

/** The wire body: the terms plus status (and redeemedAt). The Lua scripts build the same bytes the same way. */
export function quoteBody(termsJson: string, status: QuoteStatus, redeemedAt?: string): string {
  return termsJson.slice(0, -1) + `,"status":"${status}"` + (redeemedAt ? `,"redeemedAt":"${redeemedAt}"` : '') + '}';
}

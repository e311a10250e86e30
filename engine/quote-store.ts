// The quote store contract. Two implementations: Redis (production, every store test) and in-memory
// (the embedded default). Bodies are returned as the exact JSON bytes to send, so replays are identical.
import { createHash, randomFillSync } from 'node:crypto';
import { fxError, type FxError } from './errors.js';
import type { QuoteStatus, QuoteTerms } from './types.js';

export interface LockInput {
  terms: QuoteTerms;
  expiresAtMs: number;
  /** Present when the client sent an Idempotency-Key: the scoped key and a fingerprint of the request. */
  idempotency?: { key: string; fingerprint: string };
}

export interface LockOutcome {
  body: string;
  /** true when an earlier lock with the same Idempotency-Key answered, and this is its body. */
  replayed: boolean;
}

export interface RedeemInput {
  id: string;
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

/** The redeemed quote's id and its wire body (with redeemedAt). */
export type RedeemedListener = (id: string, body: string) => void;

export interface QuoteStore {
  readonly kind: 'memory' | 'redis';
  /** A fresh quote id; with an idempotency key, one in the key's shard (so both live in one Cluster slot). */
  newId(idempotencyKey?: string): string;
  lock(input: LockInput): Promise<LockOutcome>;
  /** What an earlier lock with this (scoped) Idempotency-Key answered, if any: its request fingerprint and body. */
  lockedWith(key: string): Promise<{ fingerprint: string; body: string } | undefined>;
  /** The quote with its status now (by the store's clock). */
  get(id: string): Promise<string>;
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

function random16(): Buffer {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  poolAt += 16;
  return POOL.subarray(poolAt - 16, poolAt);
}

export function newQuoteId(idempotencyKey?: string): string {
  const random = random16();
  const shard = idempotencyKey === undefined ? random[15]! % SHARDS : createHash('sha256').update(idempotencyKey).digest()[0]! % SHARDS;
  return `q_${shard.toString(16)}${random.toString('base64url')}`;
}

/** The wire body: the terms plus status (and redeemedAt). Lua builds the same bytes the same way. */
export function quoteBody(termsJson: string, status: QuoteStatus, redeemedAt?: string): string {
  return termsJson.slice(0, -1) + `,"status":"${status}"` + (redeemedAt ? `,"redeemedAt":"${redeemedAt}"` : '') + '}';
}

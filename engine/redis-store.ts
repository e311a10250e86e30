// The Redis quote store: three Lua scripts, loaded once and run with EVALSHA (ioredis defineCommand).
// Commands are bounded by a timeout and never queued while disconnected: in an outage, lock and redeem
// fail fast with store_unavailable and nothing runs late.
import { existsSync, readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { channels } from './diagnostics.js';
import { fxError, isFxError } from './errors.js';
import { canonical } from './decimal.js';
import { keys } from './redis-keys.js';
import { newQuoteId, quoteBody, StoreCode, storeError, type RedeemedListener, type LockInput, type LockOutcome, type QuoteStore, type RedeemInput, type RedeemOutcome } from './quote-store.js';
import type { QuoteStatus } from './types.js';

// Scripts sit beside this file in the source tree; compiled code (dist/engine) reads them from there too.
const scriptDir = [new URL('./scripts/', import.meta.url), new URL('../../engine/scripts/', import.meta.url)].find((u) => existsSync(u));
const script = (name: string) => readFileSync(new URL(`${name}.lua`, scriptDir), 'utf8');

type Reply = [number, string?, string?, string?];
type ScriptCall = (...args: (string | number)[]) => Promise<Reply>;
interface ScriptedRedis extends Redis {
  fxLock: ScriptCall;
  fxRedeem: ScriptCall;
  fxGet: ScriptCall;
}

export interface RedisStoreOptions {
  url: string;
  retentionMs: number;
  commandTimeoutMs: number;
  eventsMaxLen: number;
  /** Prepended to every key (tests use one per run). */
  keyPrefix?: string;
}

export class RedisQuoteStore implements QuoteStore {
  readonly kind = 'redis';
  readonly #redis: ScriptedRedis;
  readonly #channel: string;
  #subscriber: Redis | undefined;
  readonly #redeemed = new Set<RedeemedListener>();
  #up = false;

  constructor(private readonly opts: RedisStoreOptions) {
    const options: RedisOptions = {
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: Math.max(1_000, opts.commandTimeoutMs * 2),
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
      keyPrefix: opts.keyPrefix ?? '',
    };
    const redis = new Redis(opts.url, options);
    redis.defineCommand('fxLock', { numberOfKeys: 3, lua: script('lock-3') });
    redis.defineCommand('fxRedeem', { numberOfKeys: 2, lua: script('redeem-2') });
    redis.defineCommand('fxGet', { numberOfKeys: 1, lua: script('get-1') });
    redis.on('ready', () => this.#setUp(true));
    redis.on('close', () => this.#setUp(false));
    redis.on('error', (err: Error) => this.#setUp(false, err.message));
    this.#redis = redis as ScriptedRedis;
    this.#channel = `${opts.keyPrefix ?? ''}${keys.redeemedChannel}`;
  }

  get up(): boolean {
    return this.#up;
  }

  #setUp(up: boolean, error?: string): void {
    if (up === this.#up) return;
    this.#up = up;
    channels.storeState.publish({ store: 'redis', up, error });
  }

  /** Waits for the first connection (or the timeout): a start-up helper, not needed for correctness. */
  async connected(timeoutMs = 3_000): Promise<boolean> {
    if (this.#up) return true;
    return new Promise((resolve) => {
      const onReady = () => (clearTimeout(timer), resolve(true));
      const timer = setTimeout(() => (this.#redis.off('ready', onReady), resolve(false)), timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  newId(idempotencyKey?: string): string {
    return newQuoteId(idempotencyKey);
  }

  async #call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      const result = await fn();
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: 'ok', durationUs: (performance.now() - start) * 1000 });
      return result;
    } catch (err) {
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: 'error', durationUs: (performance.now() - start) * 1000 });
      if (isFxError(err)) throw err;
      throw fxError('store_unavailable', `the quote store did not answer ${op}: ${(err as Error).message}`);
    }
  }

  async lock(input: LockInput): Promise<LockOutcome> {
    const { terms, idempotency } = input;
    const [code, body] = await this.#call('lock', () =>
      this.#redis.fxLock(
        keys.quote(terms.id),
        // Without a key the script never touches KEYS[2]: pass a key of the same slot rather than hash nothing.
        idempotency ? keys.lockIdempotency(terms.id, idempotency.key) : keys.quote(terms.id),
        keys.events(terms.id),
        terms.id, JSON.stringify(terms), input.expiresAtMs, terms.corridor, canonical(terms.sendAmount), canonical(terms.receiveAmount),
        this.opts.retentionMs, idempotency?.fingerprint ?? '', this.opts.eventsMaxLen,
      ));
    if (code === StoreCode.OK || code === StoreCode.REPLAY) return { body: body!, replayed: code === StoreCode.REPLAY };
    throw storeError(code as StoreCode, terms.id);
  }

  async lockedWith(key: string): Promise<{ fingerprint: string; body: string } | undefined> {
    // Any id in the key's shard names the entry's slot (see keys.lockIdempotency).
    const [fingerprint, body] = await this.#call('lock-replay', () => this.#redis.hmget(keys.lockIdempotency(newQuoteId(key), key), 'fp', 'body'));
    return fingerprint && body ? { fingerprint, body } : undefined;
  }

  async get(id: string): Promise<string> {
    const [code, terms, status, redeemedAt] = await this.#call('get', () => this.#redis.fxGet(keys.quote(id)));
    if (code !== StoreCode.OK) throw storeError(code as StoreCode, id);
    return quoteBody(terms!, status as QuoteStatus, redeemedAt || undefined);
  }

  async redeem(input: RedeemInput): Promise<RedeemOutcome> {
    const attempt = () => this.#call('redeem', () =>
      this.#redis.fxRedeem(
        keys.quote(input.id), keys.events(input.id),
        input.id, input.idempotencyKey, input.corridor ?? '', input.sendAmount ?? '', input.receiveAmount ?? '', this.opts.eventsMaxLen, this.#channel,
      ));
    let reply: Reply;
    try {
      reply = await attempt();
    } catch (err) {
      if (!isFxError(err) || !err.detail.includes('timed out')) throw err; // refused or not sent: nothing changed
      // Sent but unanswered: Redis may still apply it. The script is idempotent by key, so asking once more
      // (bounded by the same timeout) answers with the stored outcome if it was applied, or redeems now.
      reply = await attempt().catch(() => {
        throw fxError('store_unavailable', 'the quote store did not answer in time; the redeem outcome is unknown: retry with the same Idempotency-Key');
      });
    }
    const [code, body] = reply;
    if (code === StoreCode.OK || code === StoreCode.REPLAY) return { body: body!, replayed: code === StoreCode.REPLAY };
    throw storeError(code as StoreCode, input.id);
  }

  onRedeemed(listener: RedeemedListener): () => void {
    if (!this.#subscriber) {
      // A connection of its own: a subscribed connection cannot run commands. It queues and resubscribes
      // across reconnects, which is what a notification channel wants (the command client does not).
      const sub = new Redis(this.opts.url, { retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000), maxRetriesPerRequest: null });
      sub.on('error', () => {}); // reachability is reported by the command connection
      sub.on('message', (_channel: string, body: string) => {
        const id = /"id":"([^"]+)"/.exec(body)?.[1];
        if (id) for (const fn of this.#redeemed) fn(id, body);
      });
      void sub.subscribe(this.#channel).catch(() => {});
      this.#subscriber = sub;
    }
    this.#redeemed.add(listener);
    return () => this.#redeemed.delete(listener);
  }

  async ping(): Promise<void> {
    await this.#call('ping', () => this.#redis.ping());
  }

  /** The underlying client, for tests and tools that read the event streams. */
  get client(): Redis {
    return this.#redis;
  }

  async close(): Promise<void> {
    this.#subscriber?.disconnect();
    this.#redis.disconnect();
  }
}

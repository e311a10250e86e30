// The Redis quote store (one node or a Cluster): three Lua scripts, loaded once and run with EVALSHA
// (ioredis defineCommand). Every call is bounded by store.commandTimeoutMs and never queued while
// disconnected: in an outage, lock and redeem fail fast with store_unavailable and nothing runs late.
// A health probe on a timer (PING, or on a cluster one EXISTS per shard so every master holding quotes
// answers) with a short time-out tells a hung Redis from a live one: `up` follows it.
import { existsSync, readFileSync } from 'node:fs';
import { channels } from './diagnostics.js';
import { fxError, isFxError } from './errors.js';
import { canonical } from './decimal.js';
import { createRedis, describeTarget, isCluster, StoreTimeout, withTimeout, type RedisClient, type RedisTarget } from './redis-client.js';
import { keys, SHARD_TAGS } from './redis-keys.js';
import { newQuoteId, quoteBody, StoreCode, storeError, type RedeemedListener, type LockInput, type LockOutcome, type QuoteStore, type RedeemInput, type RedeemOutcome } from './quote-store.js';
import type { QuoteStatus } from './types.js';

// Scripts sit beside this file in the source tree; compiled code (dist/engine) reads them from there too.
const scriptDir = [new URL('./scripts/', import.meta.url), new URL('../../engine/scripts/', import.meta.url)].find((u) => existsSync(u));
const script = (name: string) => readFileSync(new URL(`${name}.lua`, scriptDir), 'utf8');

type Reply = [number, string?, string?, string?];
type ScriptCall = (...args: (string | number)[]) => Promise<Reply>;
type ScriptedRedis = RedisClient & {
  fxLock: ScriptCall;
  fxRedeem: ScriptCall;
  fxGet: ScriptCall;
};

export interface RedisStoreOptions {
  target: RedisTarget;
  retentionMs: number;
  commandTimeoutMs: number;
  eventsMaxLen: number;
  /** How often the health probe runs, and how long it waits for an answer before calling the store down. */
  healthCheckIntervalMs?: number;
  healthCheckTimeoutMs?: number;
  /** Prepended to every key and channel (tests use one per run). */
  keyPrefix?: string;
}

export class RedisQuoteStore implements QuoteStore {
  readonly kind = 'redis';
  readonly #redis: ScriptedRedis;
  readonly #channel: string;
  #subscriber: RedisClient | undefined;
  readonly #redeemed = new Set<RedeemedListener>();
  readonly #health: NodeJS.Timeout;
  #probing = false;
  #connected = false;
  #up = false;
  #closed = false;

  constructor(private readonly opts: RedisStoreOptions) {
    const redis = createRedis(opts.target, { role: 'commands', keyPrefix: opts.keyPrefix, connectTimeoutMs: Math.max(1_000, opts.commandTimeoutMs * 2) });
    redis.defineCommand('fxLock', { numberOfKeys: 3, lua: script('lock-3') });
    redis.defineCommand('fxRedeem', { numberOfKeys: 2, lua: script('redeem-2') });
    redis.defineCommand('fxGet', { numberOfKeys: 1, lua: script('get-1') });
    redis.on('ready', () => ((this.#connected = true), void this.#probe()));
    redis.on('close', () => ((this.#connected = false), this.#setUp(false, 'connection closed')));
    redis.on('error', (err: Error) => this.#setUp(false, err.message));
    this.#redis = redis as ScriptedRedis;
    this.#channel = `${opts.keyPrefix ?? ''}${keys.redeemedChannel}`;
    this.#health = setInterval(() => void this.#probe(), opts.healthCheckIntervalMs ?? 250);
    this.#health.unref();
  }

  get up(): boolean {
    return this.#up;
  }

  /** Where it points, for logs (never a password). */
  get endpoint(): string {
    return describeTarget(this.opts.target);
  }

  #setUp(up: boolean, error?: string): void {
    if (up === this.#up || this.#closed) return;
    this.#up = up;
    channels.storeState.publish({ store: 'redis', up, error });
  }

  /** One probe at a time: a hung Redis is one probe timing out, not a pile of them. */
  async #probe(): Promise<void> {
    if (this.#probing || this.#closed || !this.#connected) return;
    this.#probing = true;
    const redis = this.#redis;
    const timeoutMs = this.opts.healthCheckTimeoutMs ?? 500;
    try {
      const answers = isCluster(redis) ? SHARD_TAGS.map((t) => redis.exists(keys.probe(t))) : [redis.ping()];
      await withTimeout('health probe', Promise.all(answers), timeoutMs);
      this.#setUp(this.#connected);
    } catch (err) {
      this.#setUp(false, (err as Error).message);
    } finally {
      this.#probing = false;
    }
  }

  /** Waits for the store to answer (or the timeout): a start-up helper, not needed for correctness. */
  async connected(timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.#up;
  }

  newId(idempotencyKey?: string): string {
    return newQuoteId(idempotencyKey);
  }

  /** Runs one store call under the time-out; a failure becomes store_unavailable, a time-out too unless the caller keeps it. */
  async #call<T>(op: string, fn: () => Promise<T>, keepTimeout = false): Promise<T> {
    const start = performance.now();
    try {
      const result = await withTimeout(op, fn(), this.opts.commandTimeoutMs);
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: 'ok', durationUs: (performance.now() - start) * 1000 });
      return result;
    } catch (err) {
      const timedOut = err instanceof StoreTimeout;
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: timedOut ? 'timeout' : 'error', durationUs: (performance.now() - start) * 1000 });
      if (isFxError(err) || (timedOut && keepTimeout)) throw err;
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
      ), true);
    let reply: Reply;
    try {
      reply = await attempt();
    } catch (err) {
      if (!(err instanceof StoreTimeout)) throw err; // refused or not sent: nothing changed
      // Sent but unanswered: Redis may still apply it. The script is idempotent by key, so asking once more
      // (bounded by the same timeout) answers with the stored outcome if it was applied, or redeems now.
      // Not when the health probe already calls the store down: that try would only time out as well.
      const unknown = () => fxError('store_unavailable', 'the quote store did not answer in time; the redeem outcome is unknown: retry with the same Idempotency-Key');
      if (!this.#up) throw unknown();
      reply = await attempt().catch(() => {
        throw unknown();
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
      // On a cluster any node will do: PUBLISH reaches them all.
      const sub = createRedis(this.opts.target, { role: 'subscriber' });
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

  /** The underlying client, for tests and tools that read the event streams. */
  get client(): RedisClient {
    return this.#redis;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#health);
    this.#subscriber?.disconnect();
    this.#redis.disconnect();
  }
}

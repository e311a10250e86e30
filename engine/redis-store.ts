// The Redis quote store (one node or a Cluster): three Lua scripts, loaded once and run with EVALSHA
// (ioredis defineCommand). Every call is bounded by store.commandTimeoutMs and never queued while
// disconnected: in an outage, lock and redeem fail fast with store_unavailable and nothing runs late.
// A health probe on a timer (PING, or on a cluster one EXISTS per shard so every master holding quotes
// answers) with a short time-out tells a hung Redis from a live one: `up` follows it.
//
// Locks are batched per event-loop turn: every lock of one turn joins the batch, and the batch is one
// EVALSHA of lock-n.lua (a SET PXAT per quote, NX GET for one with an Idempotency-Key, and one `locked` event
// for the batch; a quote without an Idempotency-Key is one argument, its record, and the client joins the
// event lines) sent when the turn ends.
// On a Redis Cluster (or with shardedBatches) there is one batch per shard, so every script call stays in one
// slot; a single node has no slots, and one call per turn shares the call's cost among all of the turn's
// locks. A lock without an Idempotency-Key gets an id in the turn's shard (rotating turn by turn), so a
// turn's locks are one script call, in one Cluster slot; one with a key gets the id the key names (HMAC with
// a secret every process reads from Redis, keys.idSecret), and its script call checks that id.
//
// While a batch is in flight the next ones wait for its reply (group commit): under load a batch is every
// lock of a Redis round trip, not of one turn, so the script's fixed cost and the socket writes are shared
// by more locks; with nothing in flight a batch goes at the end of its turn, so a quiet lock waits for nothing.
//
//   lock, lock, lock (one turn) ──► batch per shard ──end of turn, none in flight──► EVALSHA lock-n ──► callbacks
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { channels } from './diagnostics.js';
import { fxError, isFxError, type FxError } from './errors.js';
import { createRedis, describeTarget, isCluster, StoreTimeout, withTimeout, type RedisClient, type RedisTarget } from './redis-client.js';
import { keys, SHARD_TAGS } from './redis-keys.js';
import {
  newQuoteId, quoteBody, SHARDS, StoreCode, storeError,
  type LockDone, type LockInput, type QuoteStore, type RedeemedListener, type RedeemInput, type RedeemOutcome,
} from './quote-store.js';

// Scripts sit beside this file in the source tree; compiled code (dist/engine) reads them from there too.
const scriptDir = [new URL('./scripts/', import.meta.url), new URL('../../engine/scripts/', import.meta.url)].find((u) => existsSync(u));
const script = (name: string) => readFileSync(new URL(`${name}.lua`, scriptDir), 'utf8');

type Reply = [number, string?, string?, string?];
type ScriptCall = (...args: (string | number)[]) => Promise<Reply>;
type ScriptedRedis = RedisClient & {
  /** lock-n.lua: (number of keys, keys, args), arrays flattened by ioredis; replies a flat list (see the script). */
  fxLock: (numberOfKeys: number, keys: string[], args: string[]) => Promise<(number | string)[]>;
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
  /** One lock batch per shard (one Cluster slot each) rather than one per turn: always so on a Redis Cluster. */
  shardedBatches?: boolean;
}

/** Who waits for a lock. */
interface Waiting { id: string; body: string; done: LockDone }

/**
 * The locks of one turn (of one shard, when sharded), in lock-n.lua's two lists: the plain quotes (record each, event
 * lines joined at send) and those with an Idempotency-Key (record and event line each), and who waits for each.
 */
interface LockBatch {
  events: string;
  plainKeys: string[];
  plainRecords: string[];
  plainLines: string[];
  plainWaiting: Waiting[];
  idemKeys: string[];
  idemArgs: string[];
  idemWaiting: Waiting[];
  /** Every record of the batch is kept until the latest expiresAt + retention (epoch ms). */
  keepUntil: number;
  /** When its first lock joined (performance.now()): the time-out counts from there, waiting behind a batch in flight included. */
  since: number;
}

/** Past this many locks a batch is sent at once rather than at the end of the turn (bounds one script's run). */
const MAX_BATCH = 128;

export class RedisQuoteStore implements QuoteStore {
  readonly kind = 'redis';
  readonly #redis: ScriptedRedis;
  readonly #channel: string;
  /** lock-n.lua's first argument, as the string sent. */
  readonly #eventsMaxLen: string;
  readonly #batches: (LockBatch | undefined)[] = new Array(SHARDS).fill(undefined);
  #flushing = false;
  /** One batch per shard (a Cluster: every script call in one slot), or one per turn (one node). */
  readonly #sharded: boolean;
  /** Lock script calls sent and not yet answered; while any is, the next batches wait for its reply. */
  #inFlight = 0;
  #deferred = false;
  /** Where this turn's locks without an Idempotency-Key go. */
  #turnShard = 0;
  /** Owner names as JSON (a name may hold any character; JSON holds no newline), by name. */
  readonly #owners = new Map<string, string>();
  /** The secret idempotent locks' ids are made with: read (or first written) when the connection is ready. */
  #idSecret: KeyObject | undefined;
  #idSecretText: string | undefined;
  /** Health probes run; every fourth also checks the id secret. */
  #probes = 0;
  #subscriber: RedisClient | undefined;
  readonly #redeemed = new Set<RedeemedListener>();
  readonly #health: NodeJS.Timeout;
  #probing = false;
  #connected = false;
  #up = false;
  #closed = false;

  constructor(private readonly opts: RedisStoreOptions) {
    const redis = createRedis(opts.target, { role: 'commands', keyPrefix: opts.keyPrefix, connectTimeoutMs: Math.max(1_000, opts.commandTimeoutMs * 2) });
    redis.defineCommand('fxLock', { lua: script('lock-n') });
    redis.defineCommand('fxRedeem', { numberOfKeys: 2, lua: script('redeem-2') });
    redis.defineCommand('fxGet', { numberOfKeys: 1, lua: script('get-1') });
    // Connected once the id secret is read: until then an idempotent lock could not be given its id.
    redis.on('ready', () => void this.#readSecret().then(
      () => ((this.#connected = true), void this.#probe()),
      (err: Error) => this.#setUp(false, err.message),
    ));
    redis.on('close', () => ((this.#connected = false), this.#setUp(false, 'connection closed')));
    redis.on('error', (err: Error) => this.#setUp(false, err.message));
    this.#redis = redis as ScriptedRedis;
    this.#sharded = opts.shardedBatches ?? isCluster(redis);
    this.#channel = `${opts.keyPrefix ?? ''}${keys.redeemedChannel}`;
    this.#eventsMaxLen = String(opts.eventsMaxLen);
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
      if (++this.#probes % 4 === 0) await this.#readSecret();
      this.#setUp(this.#connected);
    } catch (err) {
      this.#setUp(false, (err as Error).message);
    } finally {
      this.#probing = false;
    }
  }

  /** Waits for the store to be up (connected, id secret read, probe answered) or the timeout: a start-up helper, not needed for correctness. */
  async connected(timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.#up;
  }

  /**
   * Every process on this Redis makes the same id for the same key: the first to start writes the secret (NX).
   * Asked again on every reconnect and every second: a Redis that lost it (restarted without persistence,
   * failed over before replicating it) gets back the secret this process holds, and a process that holds
   * another one adopts the stored one, so the gateways agree again within a second.
   */
  async #readSecret(): Promise<void> {
    const timeoutMs = this.opts.commandTimeoutMs;
    await withTimeout('id secret', this.#redis.set(keys.idSecret, this.#idSecretText ?? randomBytes(32).toString('base64url'), 'NX'), timeoutMs);
    const secret = await withTimeout('id secret', this.#redis.get(keys.idSecret), timeoutMs);
    if (!secret) throw new Error('the id secret was not there after SET NX');
    if (secret === this.#idSecretText) return;
    this.#idSecretText = secret;
    this.#idSecret = createSecretKey(Buffer.from(secret));
  }

  newId(idempotencyKey?: string): string {
    if (idempotencyKey === undefined) return newQuoteId({ shard: this.#turnShard });
    if (!this.#idSecret) throw fxError('store_unavailable', 'the quote store has not answered yet');
    return newQuoteId({ idempotencyKey, secret: this.#idSecret });
  }

  #ownerJson(name: string): string {
    let json = this.#owners.get(name);
    if (json === undefined) {
      if (this.#owners.size > 10_000) this.#owners.clear(); // names come from config: a bound, not a policy
      this.#owners.set(name, (json = JSON.stringify(name)));
    }
    return json;
  }

  /** Runs one store call under the time-out; a failure becomes store_unavailable, a time-out too unless the caller keeps it. */
  async #call<T>(op: string, fn: () => Promise<T>, keepTimeout = false, timeoutMs = this.opts.commandTimeoutMs): Promise<T> {
    const start = performance.now();
    try {
      const result = await withTimeout(op, fn(), timeoutMs);
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: 'ok', durationUs: (performance.now() - start) * 1000 });
      return result;
    } catch (err) {
      const timedOut = err instanceof StoreTimeout;
      if (channels.store.hasSubscribers) channels.store.publish({ op, outcome: timedOut ? 'timeout' : 'error', durationUs: (performance.now() - start) * 1000 });
      if (isFxError(err) || (timedOut && keepTimeout)) throw err;
      throw fxError('store_unavailable', `the quote store did not answer ${op}: ${(err as Error).message}`);
    }
  }

  lock(input: LockInput, done: LockDone): void {
    const shard = parseInt(input.id.charAt(2), 16);
    const slot = this.#sharded ? shard : 0;
    let batch = this.#batches[slot];
    // The batch's event goes to its first quote's shard (on one node, the turn's: its plain locks are there).
    if (!batch) {
      this.#batches[slot] = batch = {
        events: keys.shardEvents(SHARD_TAGS[shard]!), keepUntil: 0, since: performance.now(),
        plainKeys: [], plainRecords: [], plainLines: [], plainWaiting: [], idemKeys: [], idemArgs: [], idemWaiting: [],
      };
    }
    const exp = String(input.expiresAtMs);
    const owner = this.#ownerJson(input.owner);
    const line = `${input.id} ${input.corridor} ${input.sendAmount} ${input.receiveAmount} ${exp}`;
    const waiting = { id: input.id, body: input.body, done };
    if (input.expiresAtMs > batch.keepUntil) batch.keepUntil = input.expiresAtMs;
    if (input.idempotency) {
      // the script reads the fingerprint from the record
      batch.idemKeys.push(keys.quote(input.id));
      batch.idemArgs.push(`L\n${exp}\n${owner}\n${input.idempotency.fingerprint}\n${input.terms}`, line);
      batch.idemWaiting.push(waiting);
    } else {
      batch.plainKeys.push(keys.quote(input.id));
      batch.plainRecords.push(`L\n${exp}\n${owner}\n\n${input.terms}`);
      batch.plainLines.push(line);
      batch.plainWaiting.push(waiting);
    }
    if (batch.plainWaiting.length + batch.idemWaiting.length >= MAX_BATCH) {
      this.#batches[slot] = undefined;
      this.#send(batch);
    } else if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(this.#flush);
    }
  }

  /** The end of a turn (or a reply): every shard's batch goes out, and the next plain locks go to the next shard. */
  readonly #flush = (): void => {
    this.#flushing = false;
    if (this.#inFlight > 0) return void (this.#deferred = true);
    this.#deferred = false;
    this.#turnShard = (this.#turnShard + 1) % SHARDS;
    for (let s = 0; s < SHARDS; s++) {
      const batch = this.#batches[s];
      if (!batch) continue;
      this.#batches[s] = undefined;
      this.#send(batch);
    }
  };

  #send(batch: LockBatch): void {
    // the script's reply names a quote by its key's position: plain quotes first
    const waiting = batch.plainWaiting.concat(batch.idemWaiting);
    // A batch that waited behind a hung one has used its time already: it fails now rather than a time-out later.
    const leftMs = this.opts.commandTimeoutMs - (performance.now() - batch.since);
    if (leftMs < 1) {
      const err = fxError('store_unavailable', 'the quote store did not answer lock in time');
      for (const w of waiting) w.done(err);
      return;
    }
    this.#inFlight++;
    const answered = () => {
      if (--this.#inFlight === 0 && this.#deferred) this.#flush();
    };
    const m = batch.plainKeys.length;
    const args = [this.#eventsMaxLen, String(batch.keepUntil + this.opts.retentionMs), String(m), batch.plainLines.join('\n')];
    const keyList = [batch.events].concat(batch.plainKeys, batch.idemKeys);
    this.#call('lock', () => this.#redis.fxLock(keyList.length, keyList, args.concat(batch.plainRecords, batch.idemArgs)), false, leftMs).then(
      (reply) => {
        answered();
        // Only the quotes not locked now are named in the reply, by position, in order.
        let r = 0;
        for (let i = 0; i < waiting.length; i++) {
          const w = waiting[i]!;
          if (reply[r] !== i + 1) {
            w.done(undefined, { body: w.body, replayed: false });
            continue;
          }
          const code = reply[r + 1] as StoreCode;
          if (code === StoreCode.REPLAY) {
            w.done(undefined, { body: reply[r + 2] as string, replayed: true });
            r += 3;
          } else {
            w.done(storeError(code, w.id));
            r += 2;
          }
        }
      },
      (err: FxError) => {
        answered();
        for (const w of waiting) w.done(err);
      },
    );
  }

  async lockedWith(key: string): Promise<{ fingerprint: string; body: string } | undefined> {
    const seen = await this.#call('lock-replay', () => this.#redis.get(keys.quote(this.newId(key))).catch((err: Error) => {
      if (err.message.startsWith('WRONGTYPE')) return null; // an earlier version's quote (a hash): no fingerprint there
      throw err;
    }));
    // 'L' or 'R' \n expiresAt \n owner \n fingerprint \n ...; only an idempotent lock's record has a fingerprint
    const m = seen ? /^([LR])\n\d+\n[^\n]*\n([^\n]+)\n/.exec(seen) : null;
    if (!m) return undefined;
    const rest = seen!.slice(m[0].length);
    const terms = m[1] === 'L' ? rest : `${rest.slice(nthNewline(rest, 3) + 1).replace(/,"status":"redeemed".*$/, '')}}`;
    return { fingerprint: m[2]!, body: quoteBody(terms, 'locked') };
  }

  async get(id: string, owner?: string): Promise<string> {
    const [code, body] = await this.#call('get', () => this.#redis.fxGet(keys.quote(id), owner === undefined ? '' : this.#ownerJson(owner)));
    if (code !== StoreCode.OK) throw storeError(code as StoreCode, id);
    return body!;
  }

  async redeem(input: RedeemInput): Promise<RedeemOutcome> {
    const attempt = () => this.#call('redeem', () =>
      this.#redis.fxRedeem(
        keys.quote(input.id), keys.events(input.id),
        input.id, this.#ownerJson(input.caller), input.idempotencyKey, input.corridor ?? '', input.sendAmount ?? '', input.receiveAmount ?? '',
        this.opts.eventsMaxLen, this.#channel,
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
      sub.on('message', (_channel: string, message: string) => {
        // owner JSON '\n' body (redeem-2.lua); an earlier version published the body alone
        const nl = message.indexOf('\n');
        const owner = nl < 0 ? '' : (JSON.parse(message.slice(0, nl) || '""') as string);
        const body = nl < 0 ? message : message.slice(nl + 1);
        const id = /"id":"([^"]+)"/.exec(body)?.[1];
        if (id) for (const fn of this.#redeemed) fn(id, body, owner);
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

/** The index of the n-th newline in s. */
function nthNewline(s: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = s.indexOf('\n', at + 1);
  return at;
}

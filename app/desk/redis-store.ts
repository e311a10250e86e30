// The desk's store in Redis: the applied sections (a string), the changes (a hash) and the audit trail (a
// Stream), all under one hash tag so the decide script runs in one slot of a Redis Cluster too. A process that
// applies a change publishes its revision; the others hear it and load the sections (and poll, in case
// they missed it).
import { existsSync, readFileSync } from 'node:fs';
import { createRedis, fxError, redisKeys, withTimeout, type RedisClient, type RedisTarget } from '../../engine/index.js';
import type { Applied, AuditRecord, ChangeRecord, DecideOutcome, Decision, DeskStore } from './store.js';

const scriptDir = [new URL('./scripts/', import.meta.url), new URL('../../../app/desk/scripts/', import.meta.url)].find((u) => existsSync(u))!;

const deskKeys = redisKeys.desk;

const AUDIT_MAX_LEN = 100_000;
const POLL_MS = 1_000;

type DeskRedis = RedisClient & {
  fxDeskDecide(k1: string, k2: string, k3: string, ...argv: string[]): Promise<[string, string]>;
};

export class RedisDeskStore implements DeskStore {
  readonly kind = 'redis';
  readonly #redis: DeskRedis;
  #sub: RedisClient | undefined;
  #poll: NodeJS.Timeout | undefined;
  readonly #channel: string;

  constructor(private readonly o: { target: RedisTarget; keyPrefix?: string; commandTimeoutMs: number }) {
    this.#redis = createRedis(o.target, { role: 'commands', keyPrefix: o.keyPrefix }) as DeskRedis;
    this.#redis.on('error', () => {}); // reachability is the quote store's to report; a desk call answers 503
    this.#redis.defineCommand('fxDeskDecide', { numberOfKeys: 3, lua: readFileSync(new URL('decide-3.lua', scriptDir), 'utf8') });
    this.#channel = `${o.keyPrefix ?? ''}${deskKeys.channel}`;
  }

  #call<T>(op: string, call: () => Promise<T>): Promise<T> {
    return withTimeout(op, call(), this.o.commandTimeoutMs).catch((err: Error) => {
      throw fxError('desk_store_unavailable', `the desk's Redis did not answer ${op}: ${err.message}`);
    });
  }

  async applied(): Promise<Applied> {
    const text = await this.#call('desk config', () => this.#redis.get(deskKeys.config));
    if (!text) return { rev: '' };
    const stored = JSON.parse(text) as { rev: number; sections: Applied['sections'] };
    return { rev: String(stored.rev), sections: stored.sections };
  }

  async change(id: string): Promise<ChangeRecord | undefined> {
    const text = await this.#call('desk change', () => this.#redis.hget(deskKeys.changes, id));
    return text ? (JSON.parse(text) as ChangeRecord) : undefined;
  }

  async changes(): Promise<ChangeRecord[]> {
    const all = await this.#call('desk changes', () => this.#redis.hvals(deskKeys.changes));
    return all.map((t) => JSON.parse(t) as ChangeRecord);
  }

  async propose(change: ChangeRecord, audit: AuditRecord[]): Promise<void> {
    const outcome = await this.#decide({ change, expect: 'new', audit });
    if (!outcome.ok) throw fxError('internal_error', `change id ${change.id} was taken`);
  }

  decide(d: Decision): Promise<DecideOutcome> {
    return this.#decide(d);
  }

  async #decide(d: Decision): Promise<DecideOutcome> {
    const [code, rev] = await this.#call('desk decide', () => this.#redis.fxDeskDecide(
      deskKeys.config, deskKeys.changes, deskKeys.audit,
      d.change.id, d.expect, d.apply?.rev ?? '', JSON.stringify(d.change), d.apply ? JSON.stringify(d.apply.sections) : '',
      String(AUDIT_MAX_LEN), ...d.audit.map((a) => JSON.stringify(a)),
    ));
    if (code !== 'ok') return { ok: false, code: code as Exclude<DecideOutcome, { ok: true }>['code'] };
    if (d.apply) void this.#redis.publish(this.#channel, rev).catch(() => {});
    return { ok: true, rev };
  }

  async append(audit: AuditRecord[]): Promise<void> {
    await this.#call('desk audit', async () => {
      for (const a of audit) await this.#redis.xadd(deskKeys.audit, 'MAXLEN', '~', String(AUDIT_MAX_LEN), '*', 'e', JSON.stringify(a));
    });
  }

  async audit(limit: number): Promise<AuditRecord[]> {
    const entries = await this.#call('desk audit', () => this.#redis.xrevrange(deskKeys.audit, '+', '-', 'COUNT', limit));
    return entries.map(([, fields]) => JSON.parse(fields[1]!) as AuditRecord);
  }

  onApplied(fn: () => void): void {
    const sub = createRedis(this.o.target, { role: 'subscriber' });
    sub.on('error', () => {});
    sub.on('message', () => fn());
    void sub.subscribe(this.#channel).catch(() => {});
    this.#sub = sub;
    // A message missed (a reconnect) is caught up by the poll: the revision is compared, nothing is re-applied.
    this.#poll = setInterval(fn, POLL_MS);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    this.#sub?.disconnect();
    this.#redis.disconnect();
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisQuoteStore, redisKeys } from '../../engine/index.js';
import { dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { lockIn, lockInput, OWNER, quoteStoreContract, terms } from './quote-store.contract.js';
import { eventually } from '../helpers/server.js';

const prefix = testPrefix();
let redis: Redis;
const store = new RedisQuoteStore({ target: { url: REDIS_URL }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix });
const redisNow = async () => {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};
const fields = (f: string[]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]]));

beforeAll(async () => {
  redis = await requireRedis();
  expect(await store.connected()).toBe(true);
});
afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
  await store.close();
});

quoteStoreContract('redis', () => ({ store, now: redisNow, advance: (ms) => new Promise((r) => setTimeout(r, ms)) }));

describe('redis quote store', () => {
  it('decides expiry by the Redis server clock, not the caller', async () => {
    // expiresAt one second before Redis's now: expired, whatever the caller's clock says.
    const t = terms(store);
    await lockIn(store, lockInput(t, (await redisNow()) - 1));
    await expect(store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' })).rejects.toMatchObject({ code: 'quote_expired' });
  });

  it('keeps a quote until expiresAt + retention, then it is gone', async () => {
    const t = terms(store);
    const expiresAtMs = (await redisNow()) + 30_000;
    await lockIn(store, lockInput(t, expiresAtMs));
    const pttl = await redis.pttl(prefix + redisKeys.quote(t.id));
    expect(pttl).toBeGreaterThan(30_000 + 60_000 - 2_000);
    expect(pttl).toBeLessThanOrEqual(30_000 + 60_000);
    // Redeemed, it keeps the same expiry.
    await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' });
    expect(await redis.pttl(prefix + redisKeys.quote(t.id))).toBeGreaterThan(30_000 + 60_000 - 4_000);
  });

  it('writes one string per quote: a lock is one SET and, per batch, one event', async () => {
    const t = terms(store);
    const exp = (await redisNow()) + 30_000;
    await lockIn(store, lockInput(t, exp));
    expect(await redis.get(prefix + redisKeys.quote(t.id))).toBe(`L\n${exp}\n${JSON.stringify(OWNER)}\n\n${JSON.stringify(t)}`);
  });

  it('puts one quote\'s keys in one Cluster slot, and a turn\'s locks without a key in one shard', async () => {
    const id = store.newId('client:key');
    const slot = (k: string) => redis.call('CLUSTER', 'KEYSLOT', k).catch(() => undefined);
    const slots = await Promise.all([redisKeys.quote(id), redisKeys.events(id)].map(slot));
    if (slots[0] === undefined) {
      // Not a cluster: check the hash tags instead.
      const tags = [redisKeys.quote(id), redisKeys.events(id)].map((k) => /\{[^}]+\}/.exec(k)![0]);
      expect(new Set(tags).size).toBe(1);
    } else expect(new Set(slots).size).toBe(1);
    const turn = Array.from({ length: 20 }, () => store.newId());
    expect(new Set(turn.map((q) => q.charAt(2))).size).toBe(1);
  });

  it('appends one locked event per batch naming its quotes, and one redeemed event, once', async () => {
    const at = (await redisNow()) + 30_000;
    const batch = [terms(store), terms(store, { sendAmount: '20.00', receiveAmount: '1679.17' })];
    await Promise.all(batch.map((t) => lockIn(store, lockInput(t, at))));
    const [t] = batch as [ReturnType<typeof terms>];
    await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' });
    await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' });
    await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'other', sendAmount: '1000' }).catch(() => {});
    const entries = (await redis.xrange(prefix + redisKeys.events(t.id), '-', '+')).map(([, f]) => fields(f));
    const locked = entries.filter((e) => e.type === 'locked' && e.quotes.includes(t.id));
    expect(locked).toHaveLength(1);
    expect(locked[0]!.quotes.split('\n')).toEqual(batch.map((q) => `${q.id} USD-INR ${q.sendAmount} ${q.receiveAmount} ${at}`));
    const redeemed = entries.filter((e) => e.type === 'redeemed' && e.id === t.id);
    expect(redeemed).toHaveLength(1);
    expect(redeemed[0]).toMatchObject({ corridor: 'USD-INR', sendAmount: '1000.00', receiveAmount: '83958.50' });
  });

  it('agrees on ids again within a second when Redis loses the shared secret', async () => {
    const other = new RedisQuoteStore({ target: { url: REDIS_URL }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix, healthCheckIntervalMs: 50 });
    try {
      expect(await other.connected()).toBe(true);
      const before = store.newId('client:lost');
      await redis.del(prefix + redisKeys.idSecret); // a restart without persistence, a failover before replication
      // The running processes write back the secret they hold (NX): a process starting now reads that one.
      await eventually(async () => ((await redis.get(prefix + redisKeys.idSecret)) ? true : undefined), 3_000);
      const late = new RedisQuoteStore({ target: { url: REDIS_URL }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix });
      try {
        expect(await late.connected()).toBe(true);
        expect([late.newId('client:lost'), other.newId('client:lost')]).toEqual([before, before]);
      } finally {
        await late.close();
      }
    } finally {
      await other.close();
    }
  });

  it('makes the same id for the same Idempotency-Key in every process on the Redis (one shared secret)', async () => {
    const other = new RedisQuoteStore({ target: { url: REDIS_URL }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix });
    try {
      expect(await other.connected()).toBe(true);
      expect(other.newId('client:same')).toBe(store.newId('client:same'));
      expect(other.newId('client:same')).not.toBe(other.newId('client:other'));
    } finally {
      await other.close();
    }
  });

  it('reads and redeems a quote an earlier version wrote (a hash)', async () => {
    // What lock-3.lua wrote before this version: a hash record.
    const t = terms(store);
    const exp = (await redisNow()) + 30_000;
    const key = prefix + redisKeys.quote(t.id);
    const json = JSON.stringify(t);
    const body = `${json.slice(0, -1)},"status":"locked"}`;
    await redis.hset(key, 'terms', json, 'st', 'locked', 'exp', String(exp), 'cor', 'USD-INR', 'snd', '1000', 'rcv', '83958.5');
    await redis.pexpireat(key, exp + 60_000);
    expect(await store.get(t.id)).toBe(body);
    // No owner was recorded: a lock-scope key cannot see it.
    await expect(store.get(t.id, OWNER)).rejects.toMatchObject({ code: 'quote_not_found' });
    const first = await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' });
    expect(JSON.parse(first.body)).toMatchObject({ id: t.id, status: 'redeemed' });
    expect(await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'k', sendAmount: '1000' })).toEqual({ body: first.body, replayed: true });
    expect(await store.get(t.id)).toBe(first.body);
    expect(await redis.pttl(key)).toBeGreaterThan(80_000);
  });

  it('replays a redeem an earlier version recorded (no caller then) by its key', async () => {
    const t = terms(store);
    const key = prefix + redisKeys.quote(t.id);
    const json = JSON.stringify(t);
    const rsp = `${json.slice(0, -1)},"status":"redeemed","redeemedAt":"2026-11-21T10:00:00.000Z"}`;
    await redis.hset(key, 'terms', json, 'st', 'redeemed', 'exp', String((await redisNow()) + 30_000), 'cor', 'USD-INR', 'snd', '1000', 'rcv', '83958.5',
      'rat', '2026-11-21T10:00:00.000Z', 'rk', 'old-key', 'rsp', rsp);
    expect(await store.get(t.id)).toBe(rsp);
    expect(await store.redeem({ id: t.id, caller: 't', idempotencyKey: 'old-key', sendAmount: '1000' })).toEqual({ body: rsp, replayed: true });
    await expect(store.redeem({ id: t.id, caller: 't', idempotencyKey: 'new-key', sendAmount: '1000' })).rejects.toMatchObject({ code: 'quote_already_redeemed' });
  });
});

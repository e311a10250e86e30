import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisQuoteStore, redisKeys } from '../../engine/index.js';
import { dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { quoteStoreContract, terms } from './quote-store.contract.js';

const prefix = testPrefix();
let redis: Redis;
const store = new RedisQuoteStore({ target: { url: REDIS_URL }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix });
const redisNow = async () => {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

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
    await store.lock({ terms: t, expiresAtMs: (await redisNow()) - 1 });
    await expect(store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' })).rejects.toMatchObject({ code: 'quote_expired' });
  });

  it('keeps a quote until expiresAt + retention, then it is gone', async () => {
    const t = terms(store);
    const expiresAtMs = (await redisNow()) + 30_000;
    await store.lock({ terms: t, expiresAtMs });
    const pttl = await redis.pttl(prefix + redisKeys.quote(t.id));
    expect(pttl).toBeGreaterThan(30_000 + 60_000 - 2_000);
    expect(pttl).toBeLessThanOrEqual(30_000 + 60_000);
  });

  it('puts one quote\'s keys in one Cluster slot', async () => {
    const id = store.newId('client:key');
    const slot = (k: string) => redis.call('CLUSTER', 'KEYSLOT', k).catch(() => undefined);
    const slots = await Promise.all([redisKeys.quote(id), redisKeys.lockIdempotency(id, 'client:key'), redisKeys.events(id)].map(slot));
    if (slots[0] === undefined) {
      // Not a cluster: check the hash tags instead.
      const tags = [redisKeys.quote(id), redisKeys.lockIdempotency(id, 'client:key'), redisKeys.events(id)].map((k) => /\{[^}]+\}/.exec(k)![0]);
      expect(new Set(tags).size).toBe(1);
    } else expect(new Set(slots).size).toBe(1);
  });

  it('appends locked and redeemed events to the lifecycle stream, once each', async () => {
    const t = terms(store);
    await store.lock({ terms: t, expiresAtMs: (await redisNow()) + 30_000 });
    await store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' });
    await store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' });
    await store.redeem({ id: t.id, idempotencyKey: 'other', sendAmount: '1000' }).catch(() => {});
    const entries = await redis.xrange(prefix + redisKeys.events(t.id), '-', '+');
    const mine = entries.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]]))).filter((e) => e.id === t.id);
    expect(mine.map((e) => e.type)).toEqual(['locked', 'redeemed']);
    expect(mine[1]).toMatchObject({ corridor: 'USD-INR', sendAmount: '1000', receiveAmount: '83958.5' });
  });
});

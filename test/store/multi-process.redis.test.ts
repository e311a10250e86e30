// Two engine processes on one Redis, and on a 3-master Redis Cluster: a quote is redeemed exactly once,
// whichever process each redeem hits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import { redisKeys } from '../../engine/index.js';
import { spawnEngine, type EngineProcess } from '../helpers/process.js';
import { clusterClient, clusterNodes, dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, http, TRANSFER, writeConfig } from '../helpers/server.js';

const stores = [
  { name: 'one Redis', env: () => ({ REDIS_URL }), client: requireRedis },
  { name: 'a 3-master Redis Cluster', env: () => ({ REDIS_CLUSTER_NODES: clusterNodes().join(',') }), client: async () => clusterClient() },
];

describe.each(stores)('two engine processes on $name', (target) => {
  const prefix = testPrefix();
  let redis: Redis | Cluster;
  let a: EngineProcess;
  let b: EngineProcess;

  beforeAll(async () => {
    redis = await target.client();
    const env = { ...target.env(), REDIS_KEY_PREFIX: prefix, FX_CONFIG: writeConfig() };
    [a, b] = await Promise.all([spawnEngine(env), spawnEngine(env)]);
  }, 60_000);

  afterAll(async () => {
    for (const p of [a, b]) p?.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  const lock = async () => {
    const res = await http(a.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '500.00' } });
    expect(res.status).toBe(201);
    return res.json.id as string;
  };
  const redeem = (base: string, id: string, key: string) =>
    http(base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '500.00' }, headers: { 'idempotency-key': key } });
  const redeemedEvents = async (id: string) => {
    const entries = await redis.xrange(prefix + redisKeys.events(id), '-', '+');
    return entries.filter(([, f]) => f.includes(id) && f[f.indexOf('type') + 1] === 'redeemed').length;
  };

  it('runs both processes on that store', () => {
    for (const p of [a, b]) expect(p.logs.find((l) => l.url)?.redis).toMatch(target.name.includes('Cluster') ? /^cluster 127\.0\.0\.1:\d+,/ : /^redis:\/\/127\.0\.0\.1:6379$/);
  });

  it('lets exactly one of many concurrent redeems with distinct keys win, across both processes', async () => {
    const id = await lock();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => redeem(i % 2 ? a.base : b.base, id, `key-${i}`)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(59);
    expect(results.filter((r) => r.status === 409).every((r) => r.json.code === 'quote_already_redeemed')).toBe(true);
    expect(await redeemedEvents(id)).toBe(1);
  });

  it('answers every concurrent redeem with the same key with 200 and the identical body', async () => {
    const id = await lock();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => redeem(i % 2 ? a.base : b.base, id, 'same-key')));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(JSON.parse(results[0]!.text).status).toBe('redeemed');
    expect(await redeemedEvents(id)).toBe(1);
  });

  it('reads a quote locked by one process from the other', async () => {
    const id = await lock();
    const read = await http(b.base, 'GET', `/v1/quotes/${id}`, { key: TRANSFER });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id, status: 'locked' });
  });
});

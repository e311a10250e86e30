// The bench peer keeps the same v1 contract as the engine (the same assertions, test/helpers/quote-contract.ts),
// against the real Redis, so the benchmark compares two servers that do the same job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startPeer, type RunningPeer } from '../../bench/peer/server.js';
import { quoteApiContract } from '../helpers/quote-contract.js';
import { dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, eventually, http, writeConfig } from '../helpers/server.js';

describe('the bench peer (redis)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let peer: RunningPeer;
  let base: string;

  beforeAll(async () => {
    redis = await requireRedis();
    peer = await startPeer({
      configPath: writeConfig((c) => (c.synthetic.ticksPerSecond = 20)), port: 0, host: '127.0.0.1', redisUrl: REDIS_URL, keyPrefix: prefix,
    });
    base = `http://127.0.0.1:${peer.port}`;
    await eventually(async () => ((await http(base, 'GET', '/readyz')).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await peer?.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  quoteApiContract(() => ({ base, ws: `ws://127.0.0.1:${peer.port}/v1/stream`, configVersion: peer.configVersion }));

  it('keeps its quotes under its own key prefix in Redis', async () => {
    const lock = await http(base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100' } });
    expect(lock.status).toBe(201);
    expect(await redis.exists(`${prefix}quote:${lock.json.id}`)).toBe(1);
  });

  it('answers 429 rate_limited with Retry-After past the key\'s lock limit', async () => {
    const limited = await startPeer({
      configPath: writeConfig((c) => (c.limits = { lockPerSecond: 1, lockBurst: 2 })), port: 0, host: '127.0.0.1', redisUrl: REDIS_URL, keyPrefix: prefix, feeds: true,
    });
    try {
      const url = `http://127.0.0.1:${limited.port}`;
      await eventually(async () => ((await http(url, 'GET', '/readyz')).status === 200 ? true : undefined));
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await http(url, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100' } }));
      expect(statuses.map((r) => r.status)).toEqual([201, 201, 429]);
      expect(statuses[2]!.json.code).toBe('rate_limited');
      expect(Number(statuses[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

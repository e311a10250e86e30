// The bench peer keeps the same v1 contract as the engine (the same assertions, test/helpers/quote-contract.ts),
// against the real Redis, so the benchmark compares two servers that do the same job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startPeer, type RunningPeer } from '../../bench/peer/server.js';
import { contractChecks } from '../helpers/contract.js';
import { quoteApiContract } from '../helpers/quote-contract.js';
import { dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, eventually, http, writeConfig } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

// The peer is not this engine: it keeps the assertions, not the published documents' every additive field.
contractChecks.enabled = false;

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

  it('locks over the stream and stops sending a corridor once unsubscribed', async () => {
    const client = await StreamClient.open(`ws://127.0.0.1:${peer.port}/v1/stream`, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'lock', reqId: 'r1', corridor: 'USD-INR', sendAmount: '500.00' });
    const locked = await client.next((f) => f.type === 'locked' && f.reqId === 'r1');
    expect(locked.quote).toMatchObject({ corridor: 'USD-INR', sendAmount: '500.00', status: 'locked' });
    expect((await http(base, 'GET', `/v1/quotes/${locked.quote.id}`, { key: CLIENT })).json).toEqual(locked.quote);

    client.send({ op: 'subscribe', corridors: ['USD-INR'] });
    await client.next((f) => f.type === 'quote' && f.corridor === 'USD-INR');
    const control = await StreamClient.open(`ws://127.0.0.1:${peer.port}/v1/stream`, { authorization: `Bearer ${CLIENT}` });
    control.send({ op: 'subscribe', corridors: ['USD-INR'] });
    client.send({ op: 'unsubscribe', corridors: ['USD-INR'] });
    // Frames are answered in order: once the error for this bad op is back, the unsubscribe has been applied.
    client.send({ op: 'nope' });
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_op' });
    const before = client.frames.length;
    // USD-INR moves on: the control socket sees three more prices, the unsubscribed one none.
    const seen = control.frames.filter((f) => f.type === 'quote').length;
    await eventually(() => (control.frames.filter((f) => f.type === 'quote').length >= seen + 3 ? true : undefined));
    expect(client.frames.slice(before).filter((f) => f.type === 'quote')).toEqual([]);
    control.close();
    client.close();
  });

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

// FX_ROLE=pricer and FX_ROLE=gateway as separate processes on one Redis: the gateway streams and locks from
// the pricer's snapshots, and stops calling a corridor tradeable when the pricer goes quiet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { spawnEngine, type EngineProcess } from '../helpers/process.js';
import { clusterClient, clusterNodes, dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, eventually, http, TRANSFER, writeConfig } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

describe('a pricer and a gateway in separate processes', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let pricer: EngineProcess;
  let gateway: EngineProcess;

  beforeAll(async () => {
    redis = await requireRedis();
    const config = writeConfig((c) => {
      c.synthetic.ticksPerSecond = 10;
      for (const corridor of Object.values<any>(c.corridors)) corridor.maxStalenessMs = 1_000;
    });
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, FX_CONFIG: config };
    pricer = await spawnEngine({ ...env, FX_ROLE: 'pricer' });
    gateway = await spawnEngine({ ...env, FX_ROLE: 'gateway' });
  }, 60_000);

  afterAll(async () => {
    for (const p of [pricer, gateway]) p?.child.kill('SIGTERM');
    await Promise.all([pricer?.exited, gateway?.exited]);
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('serves only health and metrics on the pricer', async () => {
    expect((await http(pricer.base, 'GET', '/readyz')).status).toBe(200);
    expect((await http(pricer.base, 'GET', '/v1/corridors', { key: CLIENT })).status).toBe(404);
  });

  it('streams, locks and redeems on the gateway from the pricer\'s prices', async () => {
    const stream = await StreamClient.open(gateway.base.replace('http', 'ws') + '/v1/stream', { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['AED-INR'] });
    const quotes = await eventually(() => {
      const q = stream.frames.filter((f) => f.type === 'quote' && f.tradeable);
      return q.length >= 3 ? q : undefined;
    });
    for (let i = 1; i < quotes.length; i++) expect(quotes[i].seq).toBeGreaterThan(quotes[i - 1].seq);
    const lock = await http(gateway.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'AED-INR', sendAmount: '3000.00' } });
    expect(lock.status).toBe(201);
    expect(lock.json.route.map((l: any) => l.pair)).toHaveLength(2); // AED -> USD -> INR
    const redeem = await http(gateway.base, 'POST', `/v1/quotes/${lock.json.id}/redeem`, {
      key: TRANSFER, body: { sendAmount: '3000.00' }, headers: { 'idempotency-key': 'k' },
    });
    expect(redeem.status).toBe(200);
    stream.close();
  });

  it('gives a lock on the gateway its legs\' ages at lock time, not when the pricer priced them', async () => {
    const config = writeConfig((c) => {
      c.synthetic.ticksPerSecond = 10;
      for (const corridor of Object.values<any>(c.corridors)) corridor.maxStalenessMs = 5_000;
    });
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `${prefix}ages:`, FX_CONFIG: config };
    const agesPricer = await spawnEngine({ ...env, FX_ROLE: 'pricer' });
    const agesGateway = await spawnEngine({ ...env, FX_ROLE: 'gateway' });
    try {
      const lockNow = () => http(agesGateway.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'AED-INR', sendAmount: '3000.00' } });
      const live = await eventually(async () => ((await lockNow()).status === 201 ? lockNow() : undefined));
      expect(live.json.route).toHaveLength(2);
      for (const leg of live.json.route) expect(leg.ageMs).toBeLessThan(1_000); // 10 ticks a second
      agesPricer.child.kill('SIGKILL');
      await agesPricer.exited;
      const stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, 2_000));
      // Still inside the staleness bound, so the gateway locks; its legs are now at least 2 s old.
      const late = await lockNow();
      const waited = Date.now() - stoppedAt;
      expect(late.status).toBe(201);
      for (const leg of late.json.route) {
        expect(leg.ageMs).toBeGreaterThanOrEqual(2_000);
        expect(leg.ageMs).toBeLessThan(waited + 1_000);
      }
      const indicative = await http(agesGateway.base, 'GET', '/v1/corridors/AED-INR/quote?sendAmount=3000.00', { key: CLIENT });
      for (const leg of indicative.json.route) expect(leg.ageMs).toBeGreaterThanOrEqual(2_000);
      // The indicative's tickTs is a time, not an age: when the newest tick behind it arrived, before the stop.
      expect(indicative.json.tickTs / 1000).toBeLessThanOrEqual(stoppedAt);
    } finally {
      for (const p of [agesPricer, agesGateway]) p.child.kill('SIGTERM');
      await Promise.all([agesPricer.exited, agesGateway.exited]);
    }
  }, 30_000);

  it('marks corridors not tradeable and refuses locks once the pricer is gone', async () => {
    const stream = await StreamClient.open(gateway.base.replace('http', 'ws') + '/v1/stream', { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['USD-INR'] });
    await stream.next((f) => f.type === 'quote' && f.tradeable);
    pricer.child.kill('SIGKILL');
    const down = await stream.next((f) => f.type === 'quote' && !f.tradeable, 5_000);
    expect(down).toMatchObject({ corridor: 'USD-INR', rate: null });
    const lock = await http(gateway.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
    expect(lock.status).toBe(503);
    expect(lock.json.code).toBe('corridor_unavailable');
    // Unready once no corridor is fresh (the others go stale within a sweep of USD-INR).
    await eventually(async () => ((await http(gateway.base, 'GET', '/readyz')).status === 503 ? true : undefined), 3_000);
    stream.close();
  });

  it('keeps a quiet market tradeable on the gateway: re-priced snapshots carry freshness even when the price does not move', async () => {
    const config = writeConfig((c) => {
      c.synthetic.ticksPerSecond = 10;
      for (const p of Object.values<any>(c.synthetic.partners)) p.noiseBps = '0'; // the same quotes, tick after tick
      for (const corridor of Object.values<any>(c.corridors)) corridor.maxStalenessMs = 1_000;
    });
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `${prefix}quiet:`, FX_CONFIG: config };
    const quietPricer = await spawnEngine({ ...env, FX_ROLE: 'pricer' });
    const quietGateway = await spawnEngine({ ...env, FX_ROLE: 'gateway' });
    try {
      // For well past maxStalenessMs with no visible price change, the gateway never once calls USD-INR untradeable.
      for (const until = Date.now() + 2_500; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        const { json } = await http(quietGateway.base, 'GET', '/v1/corridors', { key: CLIENT });
        expect(json.corridors.find((c: any) => c.id === 'USD-INR')).toMatchObject({ tradeable: true });
      }
      const lock = await http(quietGateway.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
      expect(lock.status).toBe(201);
      expect((await http(quietGateway.base, 'GET', '/readyz')).status).toBe(200);
    } finally {
      for (const p of [quietPricer, quietGateway]) p.child.kill('SIGTERM');
      await Promise.all([quietPricer.exited, quietGateway.exited]);
    }
  }, 30_000);
});

describe('a pricer and a gateway on a 3-master Redis Cluster', () => {
  const prefix = testPrefix();
  let pricer: EngineProcess;
  let gateway: EngineProcess;

  beforeAll(async () => {
    const env = { REDIS_URL: '', REDIS_CLUSTER_NODES: clusterNodes().join(','), REDIS_KEY_PREFIX: prefix, FX_CONFIG: writeConfig((c) => (c.synthetic.ticksPerSecond = 10)) };
    // Each process's subscriber sits on a node of ioredis's choosing: snapshots (plain PUBLISH) reach every node.
    pricer = await spawnEngine({ ...env, FX_ROLE: 'pricer' });
    gateway = await spawnEngine({ ...env, FX_ROLE: 'gateway' });
  }, 60_000);
  afterAll(async () => {
    for (const p of [pricer, gateway]) p?.child.kill('SIGTERM');
    await Promise.all([pricer?.exited, gateway?.exited]);
    const admin = clusterClient();
    await dropPrefix(admin, prefix);
    admin.disconnect();
  });

  it('streams the pricer\'s snapshots on the gateway, and locks and redeems there', async () => {
    expect(gateway.logs.find((l) => l.url)?.redis).toMatch(/^cluster /);
    const stream = await StreamClient.open(gateway.base.replace('http', 'ws') + '/v1/stream', { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['USD-INR'] });
    await stream.next((f) => f.type === 'quote' && f.tradeable);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const lock = await http(gateway.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
      expect(lock.status).toBe(201);
      ids.push(lock.json.id);
    }
    for (const id of ids) {
      const redeem = await http(gateway.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': 'k' } });
      expect(redeem.status).toBe(200);
    }
    stream.close();
  });
});

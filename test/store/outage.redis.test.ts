// Redis goes away during a burst of locks: every answer is 201 or 503 store_unavailable, nothing hangs past
// the command timeout, the stream keeps flowing, readiness follows the store, no acknowledged quote is lost,
// and service comes back by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { OwnRedis, requireRedis } from '../helpers/redis.js';
import { CLIENT, DESK, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

const TIMEOUT_MS = 300;

describe('a Redis outage', () => {
  let redis: OwnRedis;
  let server: TestServer;

  beforeAll(async () => {
    (await requireRedis()).disconnect(); // redis-server must be installed and usable here
    redis = await OwnRedis.create();
    server = await startServer({ store: 'redis', redisUrl: redis.url, edit: (c) => (c.store.commandTimeoutMs = TIMEOUT_MS) });
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    await server?.close();
    await redis?.kill();
  });

  /** Locks in 6 parallel loops until stopped, keeping every answer and how long it took. */
  function lockLoad() {
    const answers: { status: number; code?: string; id?: string; ms: number }[] = [];
    let running = true;
    const loops = Array.from({ length: 6 }, async () => {
      while (running) {
        const t0 = performance.now();
        const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
        answers.push({ status: res.status, code: res.json?.code, id: res.json?.id, ms: performance.now() - t0 });
      }
    });
    return { answers, stop: async () => ((running = false), await Promise.all(loops)) };
  }

  it('answers 503 store_unavailable fast while Redis is down, loses no acknowledged lock, and recovers without a restart', async () => {
    const stream = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['USD-INR', 'GBP-INR', 'EUR-INR'] });
    const load = lockLoad();
    await eventually(() => (load.answers.filter((a) => a.status === 201).length >= 20 ? true : undefined));

    await redis.kill(); // SIGKILL: acknowledged writes were fsync'd (appendfsync always)
    const framesAtOutage = stream.frames.length;
    await eventually(() => (load.answers.filter((a) => a.status === 503).length >= 20 ? true : undefined));
    const ready = await http(server.base, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.store).toBe('down');
    await eventually(() => (stream.frames.length > framesAtOutage + 3 ? true : undefined)); // prices keep flowing

    await redis.start(); // same port, same AOF
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined), 10_000);
    const before = load.answers.length;
    await eventually(() => (load.answers.slice(before).some((a) => a.status === 201) ? true : undefined), 5_000);
    await load.stop();
    stream.close();

    const outcomes = new Set(load.answers.map((a) => `${a.status} ${a.code ?? ''}`.trim()));
    expect([...outcomes].sort()).toEqual(['201', '503 store_unavailable']);
    expect(Math.max(...load.answers.map((a) => a.ms))).toBeLessThan(TIMEOUT_MS * 2 + 1_500);

    const acknowledged = load.answers.filter((a) => a.status === 201).map((a) => a.id!);
    const reads = await Promise.all(acknowledged.map((id) => http(server.base, 'GET', `/v1/quotes/${id}`, { key: DESK })));
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);

    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/fx_quote_ops_total\{op="lock",outcome="store_unavailable"\} [1-9]/);
    expect(metrics).toMatch(/fx_store_up 1/);
  });

  it('answers within the command timeout when Redis hangs, then recovers', async () => {
    redis.signal('SIGSTOP');
    try {
      const t0 = performance.now();
      const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
      const ms = performance.now() - t0;
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('store_unavailable');
      expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
    } finally {
      redis.signal('SIGCONT');
    }
    await eventually(async () => {
      const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
      return res.status === 201 ? true : undefined;
    }, 10_000);
  });
  it('turns a redeem that timed out into its real outcome, or says the outcome is unknown', async () => {
    const admin = new Redis(redis.url);
    const lockOne = async () => (await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } })).json.id;
    const redeem = (id: string, key: string) =>
      http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': key } });
    try {
      // Writes paused a little past one timeout: the first try times out, the second gets the applied outcome.
      const a = await lockOne();
      await admin.call('CLIENT', 'PAUSE', String(TIMEOUT_MS + 150), 'WRITE');
      const first = await redeem(a, 'k-a');
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ id: a, status: 'redeemed' });
      expect((await redeem(a, 'k-a')).text).toBe(first.text);

      // Paused past both tries: 503 that says the outcome is unknown; the same key later tells it.
      const b = await lockOne();
      await admin.call('CLIENT', 'PAUSE', String(TIMEOUT_MS * 3), 'WRITE');
      const unknown = await redeem(b, 'k-b');
      expect(unknown.status).toBe(503);
      expect(unknown.json.detail).toMatch(/outcome is unknown.*same Idempotency-Key/);
      const later = await eventually(async () => {
        const r = await redeem(b, 'k-b');
        return r.status === 200 ? r : undefined;
      }, 5_000);
      expect(later.json).toMatchObject({ id: b, status: 'redeemed' });
      expect((await redeem(b, 'k-other')).status).toBe(409); // redeemed exactly once
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => {});
      admin.disconnect();
    }
  });
});

// A Redis that hangs (SIGSTOP: the socket stays open, nothing answers). Readiness must see it within a
// second and log it once; every lock and redeem must answer at the configured time-out even 32 at a time.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedis, requireRedis } from '../helpers/redis.js';
import { CLIENT, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';

const TIMEOUT_MS = 500; // the shipped store.commandTimeoutMs

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

describe('a hung Redis', () => {
  let redis: OwnRedis;
  let server: TestServer;
  const logs: any[] = [];
  const readyz = () => http(server.base, 'GET', '/readyz');

  beforeAll(async () => {
    (await requireRedis()).disconnect();
    redis = await OwnRedis.create();
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(chunk.toString())), done()) });
    server = await startServer({ store: 'redis', redisUrl: redis.url, logger: pino({ level: 'info' }, sink) });
    expect(server.config().config.store.commandTimeoutMs).toBe(TIMEOUT_MS);
    await eventually(async () => ((await readyz()).status === 200 ? true : undefined));
  });
  afterAll(async () => {
    redis?.signal('SIGCONT');
    await server?.close();
    await redis?.kill();
  });

  const storeLogs = () => logs.filter((l) => /^quote store (un)?reachable/.test(l.msg)).map((l) => l.msg.split(':')[0]);

  it('turns /readyz 503 within a second, logs it once, and is ready again once Redis answers', async () => {
    const before = storeLogs().length;
    redis.signal('SIGSTOP');
    const stoppedAt = performance.now();
    try {
      const down = await eventually(async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      }, 3_000, 25);
      const detectedMs = performance.now() - stoppedAt;
      expect(down.json).toMatchObject({ status: 'not_ready', store: 'down' });
      expect(detectedMs).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 1_500)); // several more probes time out: still one log line
      expect((await readyz()).status).toBe(503);
      expect(storeLogs().slice(before)).toEqual(['quote store unreachable']);
    } finally {
      redis.signal('SIGCONT');
    }
    await eventually(async () => ((await readyz()).status === 200 ? true : undefined), 3_000, 25);
    expect(storeLogs().slice(before)).toEqual(['quote store unreachable', 'quote store reachable']);
    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^fx_store_up 1$/m);
  });

  it('answers 32 concurrent locks and then 32 redeems at the time-out, not queued behind each other', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
      expect(res.status).toBe(201);
      ids.push(res.json.id);
    }
    redis.signal('SIGSTOP');
    try {
      const timed = async (call: () => ReturnType<typeof http>) => {
        const t0 = performance.now();
        const res = await call();
        return { status: res.status, code: res.json?.code, ms: performance.now() - t0 };
      };
      const locks = await Promise.all(Array.from({ length: 32 }, () =>
        timed(() => http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } }))));
      expect(new Set(locks.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(['503 store_unavailable']));
      // A correctness bound, not a benchmark: at the time-out, well short of a second time-out stacked on it.
      expect(median(locks.map((a) => a.ms))).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(median(locks.map((a) => a.ms))).toBeLessThanOrEqual(TIMEOUT_MS * 1.5);

      // The probe calls the store down by now, so a redeem that times out is not asked a second time.
      await eventually(async () => ((await readyz()).status === 503 ? true : undefined), 2_000);
      const redeems = await Promise.all(ids.map((id, i) =>
        timed(() => http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': `k${i}` } }))));
      expect(new Set(redeems.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(['503 store_unavailable']));
      expect(median(redeems.map((a) => a.ms))).toBeLessThanOrEqual(TIMEOUT_MS * 1.5);
    } finally {
      redis.signal('SIGCONT');
    }
    // Once Redis answers, the redeems that timed out tell their real outcome with the same key: each once.
    await eventually(async () => ((await readyz()).status === 200 ? true : undefined), 3_000);
    const after = await Promise.all(ids.map((id, i) =>
      http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': `k${i}` } })));
    expect(after.map((r) => r.status)).toEqual(Array(32).fill(200));
    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    // Locks go to the store in batches (one script call for a turn's locks): calls timed out, every lock answered.
    expect(Number(/^fx_store_op_seconds_count\{op="lock",outcome="timeout"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^fx_quote_ops_total\{op="lock",outcome="store_unavailable"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(32);
  });
});

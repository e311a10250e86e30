// A master of a 3-master Redis Cluster dies and comes back during a burst of locks: every answer is 201 or
// 503 store_unavailable, readiness follows, and every acknowledged lock is readable afterwards (the
// cluster of this test's own fsyncs every write, as production's `appendfsync always` would).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { CLIENT, DESK, eventually, http, startServer, type TestServer } from '../helpers/server.js';

const TIMEOUT_MS = 300;

describe('a cluster master restarted mid-run', () => {
  let cluster: RedisCluster;
  let server: TestServer;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, durable: true });
    server = await startServer({ store: 'redis', redis: { clusterNodes: cluster.addresses }, edit: (c) => (c.store.commandTimeoutMs = TIMEOUT_MS) });
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined), 10_000);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it('answers only 201 or 503 while a master is down, and loses no acknowledged lock', async () => {
    const answers: { status: number; code?: string; id?: string; ms: number }[] = [];
    let running = true;
    const loops = Array.from({ length: 6 }, async () => {
      while (running) {
        const t0 = performance.now();
        const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
        answers.push({ status: res.status, code: res.json?.code, id: res.json?.id, ms: performance.now() - t0 });
      }
    });
    const count = (status: number, from = 0) => answers.slice(from).filter((a) => a.status === status).length;
    try {
      await eventually(() => (count(201) >= 30 ? true : undefined), 10_000);
      const victim = cluster.addresses[1]!;
      const port = Number(victim.split(':')[1]);
      await cluster.kill(port);
      await eventually(() => (count(503) >= 10 ? true : undefined), 10_000);
      // The health probe asks every shard, so a master gone is the store down: unready within a second.
      const ready = await eventually(async () => {
        const r = await http(server.base, 'GET', '/readyz');
        return r.status === 503 ? r : undefined;
      }, 1_000);
      expect(ready.json.store).toBe('down');

      await cluster.restart(port);
      await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined), 15_000);
      // Service is whole again: a run of locks with no refusal (they land on every master).
      const back = answers.length;
      await eventually(() => (count(201, back) >= 40 ? true : undefined), 15_000);
      expect(count(503, answers.length - 20)).toBe(0);
    } finally {
      running = false;
      await Promise.all(loops);
    }

    const outcomes = new Set(answers.map((a) => `${a.status} ${a.code ?? ''}`.trim()));
    expect([...outcomes].sort()).toEqual(['201', '503 store_unavailable']);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(TIMEOUT_MS * 2 + 1_500);

    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.id!);
    const reads = await Promise.all(acknowledged.map((id) => http(server.base, 'GET', `/v1/quotes/${id}`, { key: DESK })));
    expect(reads.filter((r) => r.status !== 200).map((r) => r.json)).toEqual([]);
    expect(reads.every((r) => r.json.status === 'locked')).toBe(true);
  }, 60_000);
});

// SIGTERM during a burst of locks: the process drains and exits, and every lock it acknowledged is
// redeemable afterwards (from another process on the same Redis).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { spawnEngine } from '../helpers/process.js';
import { dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, http, TRANSFER, writeConfig } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

describe('graceful shutdown', () => {
  const prefix = testPrefix();
  let redis: Redis;
  beforeAll(async () => (redis = await requireRedis()));
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('loses no acknowledged lock when SIGTERM lands during a burst, and closes sockets with 1001', async () => {
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, FX_CONFIG: writeConfig() };
    const engine = await spawnEngine(env);
    const stream = await StreamClient.open(engine.base.replace('http', 'ws') + '/v1/stream', { authorization: `Bearer ${CLIENT}` });
    const acked: string[] = [];
    const refused: number[] = [];
    let stop = false;
    const loops = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const res = await http(engine.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '250.00' } });
          if (res.status === 201) acked.push(res.json.id);
          else refused.push(res.status);
        } catch {
          return; // connection refused or reset: the process is gone
        }
      }
    });
    while (acked.length < 50) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    engine.child.kill('SIGTERM');
    const code = await engine.exited;
    stop = true;
    await Promise.all(loops);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stream.closed?.code).toBe(1001);
    expect(refused.every((s) => s === 503)).toBe(true); // only shutting_down, never a 5xx of another kind

    const other = await spawnEngine(env);
    try {
      const redeems = await Promise.all(acked.map((id) =>
        http(other.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '250.00' }, headers: { 'idempotency-key': `t-${id}` } })));
      expect(redeems.filter((r) => r.status !== 200).map((r) => r.json)).toEqual([]);
    } finally {
      other.child.kill('SIGTERM');
      await other.exited;
    }
  });
});

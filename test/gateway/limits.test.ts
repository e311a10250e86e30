// Per-key token buckets (REST and the stream share them) and per-key caps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT, DESK, eventually, http, startServer, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

describe('per-key limits', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      store: 'memory',
      edit: (c) => {
        c.limits = { lockPerSecond: 0.5, lockBurst: 3, redeemPerSecond: 100, redeemBurst: 100, connections: 2, subscriptions: 3 };
        c.apiKeys.find((k: any) => k.name === 'demo-desk').limits = { lockBurst: 1000, connections: 100, subscriptions: 100 };
      },
    });
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined));
  });
  afterAll(async () => server?.close());

  it('answers 429 rate_limited with Retry-After once the lock bucket is empty, on REST and the stream alike', async () => {
    const lock = () => http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await lock()).status);
    expect(statuses).toEqual([201, 201, 201]);
    const limited = await lock();
    expect(limited.status).toBe(429);
    expect(limited.json.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const stream = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'lock', reqId: 'r1', corridor: 'USD-INR', sendAmount: '100.00' });
    expect(await stream.next((f) => f.reqId === 'r1')).toMatchObject({ type: 'error', code: 'rate_limited' });
    stream.close();

    // Another key has its own bucket.
    expect((await http(server.base, 'POST', '/v1/quotes', { key: DESK, body: { corridor: 'USD-INR', sendAmount: '100.00' } })).status).toBe(201);
    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/fx_rate_limited_total\{limit="lock"\} [2-9]/);
  });

  it('caps connections and subscriptions per key', async () => {
    const a = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    const b = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    await expect(StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` })).rejects.toThrow(/429/);
    a.send({ op: 'subscribe', corridors: ['USD-INR', 'GBP-INR'] });
    await a.next((f) => f.type === 'quote' && f.corridor === 'GBP-INR');
    b.send({ op: 'subscribe', corridors: ['EUR-INR', 'AED-INR'] });
    expect(await b.next((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited' });
    expect(b.frames.some((f) => f.type === 'quote')).toBe(false); // refused whole: nothing half-subscribed
    a.send({ op: 'unsubscribe', corridors: ['GBP-INR'] });
    b.send({ op: 'subscribe', corridors: ['EUR-INR', 'AED-INR'] });
    await b.next((f) => f.type === 'quote' && f.corridor === 'AED-INR');
    a.close();
    await eventually(async () => {
      try {
        const c = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
        c.close();
        return true;
      } catch {
        return undefined;
      }
    });
    b.close();
  });
});

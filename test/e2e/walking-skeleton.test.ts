// The whole path with the real parts: synthetic partners -> book -> pricing workers -> uWS stream, and
// REST lock / read / redeem against the in-memory store and against the real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { CLIENT, eventually, http, startServer, type StoreKind, type TestServer } from '../helpers/server.js';
import { quoteApiContract } from '../helpers/quote-contract.js';
import { StreamClient } from '../helpers/ws-client.js';

describe.each<StoreKind>(['memory', 'redis'])('a tick reaches a client and a quote is locked and redeemed (%s store)', (store) => {
  let server: TestServer;

  beforeAll(async () => {
    if (store === 'redis') (await requireRedis()).disconnect();
    server = await startServer({ store, edit: (c) => (c.synthetic.ticksPerSecond = 20) });
    expect(server.store.kind).toBe(store);
  });
  afterAll(async () => server?.close());

  // Quote ids carry a shard digit (the Redis hash tag) before the 128 random bits.
  quoteApiContract(() => ({ base: server.base, ws: server.ws, configVersion: server.config().version, idPattern: /^q_[0-9a-f][A-Za-z0-9_-]{22}$/ }));

  it('carries the spread parts on every stream frame', async () => {
    const client = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'subscribe', corridors: ['USD-INR'], sendAmount: '1000' });
    const q = await client.next((f) => f.type === 'quote' && f.tradeable);
    client.close();
    expect(q.spread).toMatchObject({ tierBps: '60', skewBps: '0' });
    expect(q.spreadBps).toBe(q.spread.totalBps);
  });

  it('lists corridors, prices an indicative quote and reports health', async () => {
    const list = await http(server.base, 'GET', '/v1/corridors', { key: CLIENT });
    expect(list.status).toBe(200);
    expect(list.json.corridors.map((c: any) => c.id)).toEqual(expect.arrayContaining(['USD-INR', 'AED-INR', 'USD-JPY', 'KWD-INR']));
    const aed = list.json.corridors.find((c: any) => c.id === 'AED-INR');
    expect(aed).toMatchObject({ send: 'AED', receive: 'INR', tradeable: true });

    const jpy = await http(server.base, 'GET', '/v1/corridors/USD-JPY/quote?sendAmount=100', { key: CLIENT });
    expect(jpy.status).toBe(200);
    expect(jpy.json.receiveAmount).toMatch(/^\d+$/); // JPY: no minor units
    const kwd = await http(server.base, 'GET', '/v1/corridors/KWD-INR/quote?receiveAmount=10000', { key: CLIENT });
    expect(kwd.json.sendAmount).toMatch(/^\d+\.\d{3}$/); // KWD: 3 minor units

    expect((await http(server.base, 'GET', '/healthz')).status).toBe(200);
    const ready = await eventually(async () => {
      const r = await http(server.base, 'GET', '/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(ready.json).toMatchObject({ status: 'ready', store: 'up' });
    const metrics = await http(server.base, 'GET', '/metrics');
    expect(metrics.text).toMatch(/fx_ticks_total\{partner="lp-a",outcome="accepted"\} \d+/);
    expect(metrics.text).toMatch(/fx_quote_ops_total\{op="redeem",outcome="quote_already_redeemed"\} [1-9]/);
    expect(metrics.text).toMatch(/fx_tick_to_publish_seconds_count [1-9]/);
  });
});

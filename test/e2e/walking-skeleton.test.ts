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

  it('answers hostile paths and prototype names with coded 4xx, and keeps serving', async () => {
    const malformed = await http(server.base, 'GET', '/v1/quotes/%E0%A4%A', { key: CLIENT });
    expect(malformed).toMatchObject({ status: 400, json: { code: 'invalid_request' } });
    for (const corridor of ['constructor', '__proto__', 'toString']) {
      const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor, sendAmount: '100.00' } });
      expect({ corridor, status: lock.status, code: lock.json.code }).toEqual({ corridor, status: 404, code: 'corridor_not_found' });
    }
    expect((await http(server.base, 'GET', '/v1/corridors/toString/quote?sendAmount=1', { key: CLIENT })).json.code).toBe('corridor_not_found');
    const ws = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    ws.send({ op: 'subscribe', corridors: ['constructor'] });
    expect((await ws.next((f) => f.type === 'error')).code).toBe('corridor_not_found');
    ws.close();
    expect((await http(server.base, 'GET', '/healthz')).status).toBe(200);
  });

  it('lets go of a request whose body is cut off mid-way', async () => {
    const { connect } = await import('node:net');
    const port = Number(new URL(server.base).port);
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /v1/quotes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"corridor":`);
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
    }
    await eventually(() => (server.gateway.inFlight.count === 0 ? true : undefined), 2_000);
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

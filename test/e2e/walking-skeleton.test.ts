// The whole path with the real parts: synthetic partners -> book -> pricing workers -> uWS stream, and
// REST lock / read / redeem against the in-memory store and against the real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { CLIENT, eventually, http, startServer, TRANSFER, type StoreKind, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

describe.each<StoreKind>(['memory', 'redis'])('a tick reaches a client and a quote is locked and redeemed (%s store)', (store) => {
  let server: TestServer;

  beforeAll(async () => {
    if (store === 'redis') (await requireRedis()).disconnect();
    server = await startServer({ store, edit: (c) => (c.synthetic.ticksPerSecond = 20) });
    expect(server.store.kind).toBe(store);
  });
  afterAll(async () => server?.close());

  it('streams quotes for a corridor with increasing seq', async () => {
    const client = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'subscribe', corridors: ['USD-INR'], sendAmount: '1000' });
    const quotes = await eventually(() => {
      const q = client.frames.filter((f) => f.type === 'quote' && f.corridor === 'USD-INR');
      return q.length >= 3 ? q : undefined;
    });
    client.close();
    for (let i = 1; i < quotes.length; i++) expect(quotes[i].seq).toBeGreaterThan(quotes[i - 1].seq);
    const q = quotes.at(-1);
    // Tier 0 is 60 bps; the shipped config widens it while the market is closed (a weekend run) or volatile.
    expect(q).toMatchObject({ type: 'quote', corridor: 'USD-INR', tier: 0, tradeable: true, spread: { tierBps: '60', skewBps: '0' } });
    expect(q.spreadBps).toBe(q.spread.totalBps);
    expect(q.rate).toMatch(/^\d+\.\d{4}$/);
    expect(Number.isInteger(q.ts) && Number.isInteger(q.tickTs)).toBe(true);
    expect(q.ts).toBeGreaterThanOrEqual(q.tickTs);
    // epoch microseconds, close to now
    expect(Math.abs(q.ts / 1000 - Date.now())).toBeLessThan(5_000);
  });

  it('locks, reads back, redeems once, replays the same key and refuses everything else', async () => {
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '1000.00' } });
    expect(lock.status).toBe(201);
    const quote = lock.json;
    expect(quote).toMatchObject({ corridor: 'USD-INR', sendCurrency: 'USD', receiveCurrency: 'INR', sendAmount: '1000.00', fee: '0.00', status: 'locked' });
    expect(quote.id).toMatch(/^q_[0-9a-f][A-Za-z0-9_-]{22}$/);
    expect(quote.receiveAmount).toMatch(/^\d+\.\d{2}$/);
    expect(quote.route.length).toBeGreaterThanOrEqual(1);
    expect(Date.parse(quote.expiresAt) - Date.parse(quote.createdAt)).toBe(30_000);
    expect(quote.configVersion).toBe(server.config().version);

    const read = await http(server.base, 'GET', `/v1/quotes/${quote.id}`, { key: TRANSFER });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(quote);

    const redeem = (key: string, body: unknown = { sendAmount: '1000.00' }) =>
      http(server.base, 'POST', `/v1/quotes/${quote.id}/redeem`, { key: TRANSFER, body, headers: { 'idempotency-key': key } });

    const first = await redeem('transfer-1');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ ...quote, status: 'redeemed' });
    expect(Date.parse(first.json.redeemedAt)).toBeGreaterThan(0);

    const replay = await redeem('transfer-1');
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);

    const other = await redeem('transfer-2');
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(other.json).toMatchObject({ status: 409, code: 'quote_already_redeemed' });

    const after = await http(server.base, 'GET', `/v1/quotes/${quote.id}`, { key: CLIENT });
    expect(after.json).toMatchObject({ status: 'redeemed', redeemedAt: first.json.redeemedAt });
  });

  it('answers 404 quote_not_found for an unknown id', async () => {
    const res = await http(server.base, 'POST', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA/redeem', {
      key: TRANSFER, body: { sendAmount: '10.00' }, headers: { 'idempotency-key': 'k' },
    });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'quote_not_found', status: 404, title: expect.any(String), type: expect.any(String) });
  });

  it('refuses a different amount with 422 amount_mismatch and leaves the quote redeemable', async () => {
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'GBP-INR', sendAmount: '250' } });
    expect(lock.status).toBe(201);
    const id = lock.json.id;
    const wrong = await http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '250.01' }, headers: { 'idempotency-key': 'a' } });
    expect(wrong.status).toBe(422);
    expect(wrong.json.code).toBe('amount_mismatch');
    // "250" and "250.00" are the same amount
    const right = await http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '250' }, headers: { 'idempotency-key': 'b' } });
    expect(right.status).toBe(200);
    expect(right.json.status).toBe('redeemed');
  });

  it('refuses bad requests with coded problems and never a 5xx', async () => {
    const cases: [string, string, any, number, string][] = [
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '10.001' }, 422, 'invalid_amount'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: 1000 }, 422, 'invalid_amount'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '0' }, 422, 'invalid_amount'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '-5' }, 422, 'invalid_amount'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '1', receiveAmount: '1' }, 422, 'invalid_amount'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '9999999' }, 422, 'amount_out_of_range'],
      ['POST', '/v1/quotes', { corridor: 'XXX-INR', sendAmount: '100' }, 404, 'corridor_not_found'],
      ['POST', '/v1/quotes', { corridor: 'USD-INR', sendAmount: '100', extra: 1 }, 400, 'invalid_request'],
      ['POST', '/v1/quotes', '{not json', 400, 'invalid_request'],
      ['POST', '/v1/quotes', [1], 400, 'invalid_request'],
      ['POST', '/v1/quotes', 'x'.repeat(20_000), 413, 'payload_too_large'],
      ['GET', '/v1/nope', undefined, 404, 'not_found'],
      ['DELETE', '/v1/quotes', undefined, 405, 'method_not_allowed'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await http(server.base, method, path, { key: CLIENT, body });
      expect({ path, body: String(body).slice(0, 40), status: res.status, code: res.json?.code }).toEqual({ path, body: String(body).slice(0, 40), status, code });
    }
  });

  it('checks keys and scopes', async () => {
    expect((await http(server.base, 'GET', '/v1/corridors')).json.code).toBe('unauthorized');
    expect((await http(server.base, 'GET', '/v1/corridors', { key: 'nope' })).status).toBe(401);
    const forbidden = await http(server.base, 'POST', '/v1/quotes', { key: TRANSFER, body: { corridor: 'USD-INR', sendAmount: '100' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('forbidden');
    const noIdem = await http(server.base, 'POST', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA/redeem', { key: TRANSFER, body: { sendAmount: '1' } });
    expect(noIdem.status).toBe(400);
    expect(noIdem.json.code).toBe('idempotency_key_required');
    await expect(StreamClient.open(server.ws)).rejects.toThrow(/401/);
    const viaQuery = await StreamClient.open(`${server.ws}?apiKey=${CLIENT}`);
    viaQuery.close();
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

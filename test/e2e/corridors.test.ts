// GET /v1/corridors and /v1/corridors/{id}: each corridor's rules (limits, fee, decimals, TTL, tier bounds)
// beside its live price, and, when it cannot be traded, a coded reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';

describe('corridor rules', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ store: 'memory', edit: (c) => (c.synthetic.ticksPerSecond = 20) });
  });
  afterAll(async () => server?.close());

  const tradeable = (id: string) =>
    eventually(async () => {
      const r = await http(server.base, 'GET', `/v1/corridors/${id}`, { key: CLIENT });
      return r.json?.tradeable ? r.json : undefined;
    });

  it('lists every corridor with its limits, fee, decimals, TTL and tier bounds in the send currency', async () => {
    await tradeable('USD-INR');
    const { status, json } = await http(server.base, 'GET', '/v1/corridors', { key: CLIENT });
    expect(status).toBe(200);
    const byId = Object.fromEntries(json.corridors.map((c: any) => [c.id, c]));
    expect(byId['USD-INR']).toMatchObject({
      send: 'USD', receive: 'INR', minAmount: '10.00', maxAmount: '50000.00', fee: '0.00', sendDecimals: 2, receiveDecimals: 2, quoteTtlMs: 30000,
    });
    expect(byId['USD-INR'].tiers.map((t: any) => ({ tier: t.tier, upTo: t.upTo }))).toEqual([{ tier: 0, upTo: '1000.00' }, { tier: 1, upTo: '10000.00' }, { tier: 2, upTo: undefined }]);
    expect(byId['GBP-INR']).toMatchObject({ fee: '1.50', maxAmount: '40000.00' });
    expect(byId['USD-JPY']).toMatchObject({ receiveDecimals: 0, quoteTtlMs: 20000 });
    expect(byId['KWD-INR']).toMatchObject({ sendDecimals: 3, minAmount: '5.000', tiers: expect.arrayContaining([expect.objectContaining({ upTo: '300.000' })]) });
  });

  it('gives each tier the rate and spread in force, the same as an indicative quote in that tier', async () => {
    const c = await tradeable('USD-INR');
    expect(c.rate).toBe(c.tiers[0].rate);
    expect(c.reason).toBeUndefined();
    for (const t of c.tiers) expect(t).toMatchObject({ rate: expect.stringMatching(/^\d+\.\d{1,4}$/), spreadBps: expect.stringMatching(/^\d+$/) });
    // Rates move between two requests: compare the spread, which only config and the market's hours change.
    const q = await http(server.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=5000', { key: CLIENT });
    expect(q.json.tier).toBe(1);
    expect(c.tiers[1].spreadBps).toBe(q.json.spreadBps);
  });

  it('answers one corridor, 404 corridor_not_found for an unknown id, and 401/403/405 as for the list', async () => {
    const one = await tradeable('GBP-EUR');
    expect(one).toMatchObject({ id: 'GBP-EUR', send: 'GBP', receive: 'EUR', minAmount: '10.00', maxAmount: '100000.00', quoteTtlMs: 20000 });
    for (const id of ['XXX-YYY', 'constructor', '__proto__', 'usd-inr'])
      expect(await http(server.base, 'GET', `/v1/corridors/${id}`, { key: CLIENT })).toMatchObject({ status: 404, json: { code: 'corridor_not_found' } });
    expect((await http(server.base, 'GET', '/v1/corridors/USD-INR')).json.code).toBe('unauthorized');
    expect((await http(server.base, 'GET', '/v1/corridors/USD-INR', { key: TRANSFER })).json.code).toBe('forbidden');
    expect(await http(server.base, 'POST', '/v1/corridors/USD-INR', { key: CLIENT, body: {} })).toMatchObject({ status: 405, json: { code: 'method_not_allowed' } });
    expect(await http(server.base, 'GET', '/v1/corridors/USD-INR/nope', { key: CLIENT })).toMatchObject({ status: 404, json: { code: 'not_found' } });
  });
});

describe('why a corridor is not tradeable', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ store: 'memory', feeds: false, edit: (c) => (c.corridors['USD-INR'].maxStalenessMs = 400) });
  });
  afterAll(async () => server?.close());

  it('says no_route without partner prices, and again once the only partner price went stale', async () => {
    // Before the first batch there is no price at all (no_price); the start-up batch finds no route.
    const before = await eventually(async () => {
      const c = (await http(server.base, 'GET', '/v1/corridors/USD-INR', { key: CLIENT })).json;
      return c.reason === 'no_route' ? c : (expect(c.reason).toBe('no_price'), undefined);
    });
    expect(before).toMatchObject({ tradeable: false, rate: null, reasonDetail: expect.any(String), minAmount: '10.00' });
    expect(before.tiers.every((t: any) => t.rate === null && t.spreadBps === null)).toBe(true);

    server.core.ingest!({ partner: 'lp-a', pair: 'USD/INR', bid: '84.40', ask: '84.46', ts: Date.now(), seq: 1 });
    const live = await eventually(async () => {
      const c = (await http(server.base, 'GET', '/v1/corridors/USD-INR', { key: CLIENT })).json;
      return c.tradeable ? c : undefined;
    });
    expect(live.reason).toBeUndefined();
    expect(live.reasonDetail).toBeUndefined();

    // First the held price ages past maxStalenessMs (stale); the sweep re-prices it and finds no fresh route.
    const seen = new Set<string>();
    const gone = await eventually(async () => {
      const c = (await http(server.base, 'GET', '/v1/corridors/USD-INR', { key: CLIENT })).json;
      if (!c.tradeable) seen.add(c.reason);
      return c.reason === 'no_route' ? c : undefined;
    }, 5_000, 5);
    expect(gone).toMatchObject({ tradeable: false, rate: null, mid: null, reasonDetail: expect.stringMatching(/route/) });
    expect([...seen].every((r) => r === 'stale' || r === 'no_route')).toBe(true);
    const list = (await http(server.base, 'GET', '/v1/corridors', { key: CLIENT })).json.corridors;
    expect(list.find((c: any) => c.id === 'GBP-INR')).toMatchObject({ tradeable: false, reason: 'no_route' });
  });
});

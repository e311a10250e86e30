// The v1 contract as a client sees it, over real HTTP and WebSocket: one set of assertions run against every
// server that claims to implement it (the engine on both stores in test/e2e, the bench peer in test/bench).
import { expect, it } from 'vitest';
import { CLIENT, eventually, http, TRANSFER } from './server.js';
import { StreamClient } from './ws-client.js';

export interface ContractTarget {
  base: string;
  /** ws://.../v1/stream */
  ws: string;
  /** The version every quote must carry. */
  configVersion: string;
  /** A stricter quote id format than "q_" and 128 random bits, where the server has one. */
  idPattern?: RegExp;
}

/** Registers the contract's tests (in order) inside the caller's describe. */
export function quoteApiContract(t: () => ContractTarget): void {
  it('streams quotes for a corridor with increasing seq', async () => {
    const client = await StreamClient.open(t().ws, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'subscribe', corridors: ['USD-INR'], sendAmount: '1000' });
    const quotes = await eventually(() => {
      const q = client.frames.filter((f) => f.type === 'quote' && f.corridor === 'USD-INR');
      return q.length >= 3 ? q : undefined;
    });
    client.close();
    for (let i = 1; i < quotes.length; i++) expect(quotes[i].seq).toBeGreaterThan(quotes[i - 1].seq);
    const q = quotes.at(-1);
    expect(q).toMatchObject({ type: 'quote', corridor: 'USD-INR', tier: 0, tradeable: true });
    // Tier 0 is 60 bps; the engine widens it while the market is closed (a weekend run) or volatile.
    expect(Number(q.spreadBps)).toBeGreaterThanOrEqual(60);
    expect(q.rate).toMatch(/^\d+\.\d{4}$/);
    expect(Number.isInteger(q.ts) && Number.isInteger(q.tickTs)).toBe(true);
    expect(q.ts).toBeGreaterThanOrEqual(q.tickTs);
    // epoch microseconds, close to now
    expect(Math.abs(q.ts / 1000 - Date.now())).toBeLessThan(5_000);
  });

  it('locks, reads back, redeems once, replays the same key and refuses everything else', async () => {
    const lock = await http(t().base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '1000.00' } });
    expect(lock.status).toBe(201);
    const quote = lock.json;
    expect(quote).toMatchObject({ corridor: 'USD-INR', sendCurrency: 'USD', receiveCurrency: 'INR', sendAmount: '1000.00', fee: '0.00', status: 'locked' });
    expect(quote.id).toMatch(t().idPattern ?? /^q_[A-Za-z0-9_-]{22,}$/); // 128 random bits at least
    expect(quote.receiveAmount).toMatch(/^\d+\.\d{2}$/);
    expect(quote.route.length).toBeGreaterThanOrEqual(1);
    expect(Date.parse(quote.expiresAt) - Date.parse(quote.createdAt)).toBe(30_000);
    expect(quote.configVersion).toBe(t().configVersion);

    const read = await http(t().base, 'GET', `/v1/quotes/${quote.id}`, { key: TRANSFER });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(quote);

    const redeem = (key: string, body: unknown = { sendAmount: '1000.00' }) =>
      http(t().base, 'POST', `/v1/quotes/${quote.id}/redeem`, { key: TRANSFER, body, headers: { 'idempotency-key': key } });

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

    const after = await http(t().base, 'GET', `/v1/quotes/${quote.id}`, { key: CLIENT });
    expect(after.json).toMatchObject({ status: 'redeemed', redeemedAt: first.json.redeemedAt });
  });

  it('answers 404 quote_not_found for an unknown id', async () => {
    const res = await http(t().base, 'POST', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA/redeem', {
      key: TRANSFER, body: { sendAmount: '10.00' }, headers: { 'idempotency-key': 'k' },
    });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'quote_not_found', status: 404, title: expect.any(String), type: expect.any(String) });
  });

  it('refuses a different amount with 422 amount_mismatch and leaves the quote redeemable', async () => {
    const lock = await http(t().base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'GBP-INR', sendAmount: '250' } });
    expect(lock.status).toBe(201);
    const id = lock.json.id;
    const wrong = await http(t().base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '250.01' }, headers: { 'idempotency-key': 'a' } });
    expect(wrong.status).toBe(422);
    expect(wrong.json.code).toBe('amount_mismatch');
    // "250" and "250.00" are the same amount
    const right = await http(t().base, 'POST', `/v1/quotes/${id}/redeem`, { key: TRANSFER, body: { sendAmount: '250' }, headers: { 'idempotency-key': 'b' } });
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
      ['POST', '/v1/quotes', '{not json', 400, 'invalid_json'],
      ['POST', '/v1/quotes', [1], 400, 'invalid_request'],
      ['POST', '/v1/quotes', 'x'.repeat(20_000), 413, 'payload_too_large'],
      ['GET', '/v1/nope', undefined, 404, 'not_found'],
      ['DELETE', '/v1/quotes', undefined, 405, 'method_not_allowed'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await http(t().base, method, path, { key: CLIENT, body });
      expect({ path, body: String(body).slice(0, 40), status: res.status, code: res.json?.code }).toEqual({ path, body: String(body).slice(0, 40), status, code });
    }
  });

  it('checks keys and scopes', async () => {
    expect((await http(t().base, 'GET', '/v1/corridors')).json.code).toBe('unauthorized');
    expect((await http(t().base, 'GET', '/v1/corridors', { key: 'nope' })).status).toBe(401);
    const forbidden = await http(t().base, 'POST', '/v1/quotes', { key: TRANSFER, body: { corridor: 'USD-INR', sendAmount: '100' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('forbidden');
    const noIdem = await http(t().base, 'POST', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA/redeem', { key: TRANSFER, body: { sendAmount: '1' } });
    expect(noIdem.status).toBe(400);
    expect(noIdem.json.code).toBe('idempotency_key_required');
    await expect(StreamClient.open(t().ws)).rejects.toThrow(/401/);
    const viaQuery = await StreamClient.open(`${t().ws}?apiKey=${CLIENT}`);
    viaQuery.close();
  });
}

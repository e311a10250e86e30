// The SDK's REST client against the real server (Redis store): lock, read, redeem, typed refusals, and
// retries that cannot lock or redeem twice: the first attempt is processed by the server and its answer
// lost on the way back (a proxy on loopback cuts or holds it), the retry gets the same quote.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FxApiError, FxClient } from '../../sdk/index.js';
import { dropPrefix, requireRedis } from '../helpers/redis.js';
import { CLIENT, eventually, startServer, TRANSFER, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import type { Redis } from 'ioredis';

/** A fetch that records every attempt: its Idempotency-Key, the status and the replay header. */
function recordingFetch(after?: (res: Response, n: number) => Promise<void>) {
  const calls: { key: string | null; status?: number; replayed?: string | null; at: number }[] = [];
  const f: typeof fetch = async (input, init) => {
    const call: (typeof calls)[number] = { key: new Headers(init?.headers).get('idempotency-key'), at: Date.now() };
    calls.push(call);
    const res = await fetch(input, init);
    call.status = res.status;
    call.replayed = res.headers.get('idempotent-replayed');
    await after?.(res, calls.length);
    return res;
  };
  return { calls, fetch: f };
}

const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a refusal'); }, (e: unknown) => e as FxApiError);

describe('FxClient against the real server', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let redis: Redis;
  beforeAll(async () => {
    redis = await requireRedis();
    server = await startServer({ store: 'redis', edit: (c) => (c.synthetic.ticksPerSecond = 20) });
    proxy = await TcpProxy.start(server.port);
    await eventually(async () => ((await new FxClient({ baseUrl: server.base, apiKey: CLIENT }).corridor('USD-INR')).tradeable || undefined));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (server) await dropPrefix(redis, server.keyPrefix);
    redis?.disconnect();
  });

  const quotesStored = async () => (await redis.keys(`${server.keyPrefix}*:q:*`)).length;
  const client = (apiKey: string, extra: Partial<ConstructorParameters<typeof FxClient>[0]> = {}) =>
    new FxClient({ baseUrl: proxy.base, apiKey, retryBackoff: { baseMs: 50, maxMs: 200 }, ...extra });

  it('reads corridors with their rules, prices, locks, reads and redeems', async () => {
    const fx = client(CLIENT);
    const corridors = await fx.corridors();
    expect(corridors.find((c) => c.id === 'GBP-INR')).toMatchObject({ fee: '1.50', sendDecimals: 2, quoteTtlMs: 30000 });
    expect(await fx.corridor('USD-JPY')).toMatchObject({ id: 'USD-JPY', receiveDecimals: 0 });
    const ind = await fx.indicative('USD-INR', { receiveAmount: '50000' });
    expect(ind).toMatchObject({ corridor: 'USD-INR', receiveAmount: '50000.00', sendAmount: expect.stringMatching(/^\d+\.\d{2}$/) });

    const q = await fx.lock({ corridor: 'USD-INR', sendAmount: '1000' }, { idempotencyKey: `order-${Date.now()}` });
    expect(q).toMatchObject({ corridor: 'USD-INR', sendAmount: '1000.00', status: 'locked', id: expect.stringMatching(/^q_/) });
    const transfer = client(TRANSFER);
    expect(await transfer.getQuote(q.id)).toMatchObject({ id: q.id, status: 'locked', receiveAmount: q.receiveAmount });
    const redeemed = await transfer.redeem(q.id, { receiveAmount: q.receiveAmount }, { idempotencyKey: 'transfer-1' });
    expect(redeemed).toMatchObject({ id: q.id, status: 'redeemed', redeemedAt: expect.any(String) });
    expect((await transfer.getQuote(q.id)).status).toBe('redeemed');
  });

  it('throws a typed FxApiError with the server code: 409 quote_already_redeemed, 404, 422, 403, 401, never retried', async () => {
    const rec = recordingFetch();
    const fx = client(CLIENT);
    const transfer = client(TRANSFER, { fetch: rec.fetch });
    const q = await fx.lock({ corridor: 'GBP-INR', sendAmount: '500' });
    await transfer.redeem(q.id, { sendAmount: '500.00' }, { idempotencyKey: 'first' });
    rec.calls.length = 0;
    const again = await refusal(transfer.redeem(q.id, { sendAmount: '500.00' }, { idempotencyKey: 'second' }));
    expect(again).toBeInstanceOf(FxApiError);
    expect(again).toMatchObject({ status: 409, code: 'quote_already_redeemed', idempotencyKey: 'second', detail: expect.stringContaining(q.id) });
    expect(rec.calls).toHaveLength(1);

    expect(await refusal(transfer.getQuote('q_0nope0nope0nope0nope0n'))).toMatchObject({ status: 404, code: 'quote_not_found' });
    expect(await refusal(fx.corridor('XXX-YYY'))).toMatchObject({ status: 404, code: 'corridor_not_found' });
    expect(await refusal(fx.lock({ corridor: 'USD-INR', sendAmount: '1000.001' }))).toMatchObject({ status: 422, code: 'invalid_amount' });
    expect(await refusal(fx.lock({ corridor: 'USD-INR', sendAmount: '99999999' }))).toMatchObject({ status: 422, code: 'amount_out_of_range' });
    expect(await refusal(transfer.redeem(q.id, { sendAmount: '1.00' }, { idempotencyKey: 'third' }))).toMatchObject({ status: 422, code: 'amount_mismatch' });
    expect(await refusal(transfer.lock({ corridor: 'USD-INR', sendAmount: '100' }))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await refusal(client('nobody').corridors())).toMatchObject({ status: 401, code: 'unauthorized' });
    // One attempt per call: a 4xx is never retried.
    expect(rec.calls.map((c) => c.status)).toEqual([409, 404, 422, 403]);
  });

  it('retries a lock whose answer was lost after the server stored it, and gets that one quote', async () => {
    const rec = recordingFetch();
    const fx = client(CLIENT, { fetch: rec.fetch });
    const before = await quotesStored();
    proxy.cutNextResponse();
    const cuts = proxy.cuts;
    const q = await fx.lock({ corridor: 'USD-INR', sendAmount: '2500' }); // no key given: the SDK makes one
    expect(proxy.cuts).toBe(cuts + 1);
    expect(rec.calls).toHaveLength(2);
    expect(rec.calls[0]!.status).toBeUndefined(); // the dropped connection: fetch threw
    expect(rec.calls[1]).toMatchObject({ status: 201, replayed: 'true', key: rec.calls[0]!.key });
    expect(rec.calls[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(await quotesStored()).toBe(before + 1);
    expect((await fx.getQuote(q.id)).status).toBe('locked');
  });

  it('retries a lock that timed out (the answer held back) with the same key, and gets one quote', async () => {
    const rec = recordingFetch();
    const fx = client(CLIENT, { fetch: rec.fetch, timeoutMs: 750 });
    const before = await quotesStored();
    proxy.holdNextResponse();
    const q = await fx.lock({ corridor: 'EUR-INR', sendAmount: '300' }, { idempotencyKey: 'checkout-77' });
    expect(rec.calls.map((c) => c.key)).toEqual(['checkout-77', 'checkout-77']);
    expect(rec.calls[1]).toMatchObject({ status: 201, replayed: 'true' });
    expect(await quotesStored()).toBe(before + 1);
    expect(q.corridor).toBe('EUR-INR');
  });

  it('retries a redeem whose answer was lost: the retry replays the first redeem, another key gets 409', async () => {
    const q = await client(CLIENT).lock({ corridor: 'USD-INR', sendAmount: '750' });
    const rec = recordingFetch();
    const transfer = client(TRANSFER, { fetch: rec.fetch });
    proxy.cutNextResponse();
    const first = await transfer.redeem(q.id, { sendAmount: '750' }, { idempotencyKey: 'transfer-retry' });
    expect(rec.calls).toHaveLength(2);
    expect(rec.calls[1]).toMatchObject({ status: 200, replayed: 'true', key: 'transfer-retry' });
    expect(first).toMatchObject({ status: 'redeemed', id: q.id });
    // Asked again later with the same key: the identical answer; with another: refused.
    expect(await transfer.redeem(q.id, { sendAmount: '750' }, { idempotencyKey: 'transfer-retry' })).toEqual(first);
    expect(await refusal(transfer.redeem(q.id, { sendAmount: '750' }, { idempotencyKey: 'other' }))).toMatchObject({ status: 409, code: 'quote_already_redeemed' });
  });

  it('gives up after its retries with a coded network_error (nothing listening) or timeout', async () => {
    const dead = new FxClient({ baseUrl: 'http://127.0.0.1:1', apiKey: CLIENT, retries: 2, retryBackoff: { baseMs: 10, maxMs: 20 } });
    const err = await refusal(dead.lock({ corridor: 'USD-INR', sendAmount: '100' }, { idempotencyKey: 'k-dead' }));
    expect(err).toMatchObject({ code: 'network_error', status: undefined, idempotencyKey: 'k-dead', detail: expect.stringMatching(/3 attempts/) });
    proxy.holdNextResponse();
    proxy.holdNextResponse();
    const slow = client(CLIENT, { timeoutMs: 300, retries: 1 });
    expect(await refusal(slow.corridors())).toMatchObject({ code: 'timeout', detail: expect.stringMatching(/2 attempts/) });
  });
});

describe('FxClient retries on 503 and 429, and codes what is not the API', () => {
  let server: TestServer;
  let junk: Server;
  beforeAll(async () => {
    (await requireRedis()).disconnect();
    server = await startServer({
      store: 'redis', feeds: false,
      edit: (c) => {
        c.limits = { lockPerSecond: 1, lockBurst: 2, redeemPerSecond: 100, redeemBurst: 100 };
        c.corridors['USD-INR'].maxStalenessMs = 60_000;
      },
    });
    junk = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>'));
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => junk?.close(r));
  });

  const tick = (seq: number) => server.core.ingest!({ partner: 'lp-a', pair: 'USD/INR', bid: '84.40', ask: '84.46', ts: Date.now(), seq });

  it('retries 503 corridor_unavailable until the price is there, and honours Retry-After on 429', async () => {
    // The first answer is 503 (no price yet); before the SDK sees it, a partner price arrives.
    const rec = recordingFetch(async (res, n) => {
      if (n !== 1 || res.status !== 503) return;
      tick(1);
      await eventually(() => server.core.desk!.corridors().find((c) => c.id === 'USD-INR')?.tradeable || undefined);
    });
    const fx = new FxClient({ baseUrl: server.base, apiKey: CLIENT, fetch: rec.fetch, retryBackoff: { baseMs: 50, maxMs: 100 } });
    const q = await fx.lock({ corridor: 'USD-INR', sendAmount: '100' });
    expect(rec.calls.map((c) => c.status)).toEqual([503, 201]);
    expect(rec.calls[0]!.key).toBe(rec.calls[1]!.key);
    expect(q.status).toBe('locked');

    // Empty the bucket (1 a second, burst 2; the wait for a price above may have refilled it) with a client that
    // takes a 429 at once; the next lock is told to wait, waits, and gets through.
    const impatient = new FxClient({ baseUrl: server.base, apiKey: CLIENT, maxRetryAfterMs: 0 });
    for (let i = 0; i < 3; i++) await impatient.lock({ corridor: 'USD-INR', sendAmount: '100' }).catch(() => undefined);
    rec.calls.length = 0;
    const second = await fx.lock({ corridor: 'USD-INR', sendAmount: '100' });
    expect(rec.calls.map((c) => c.status)).toEqual([429, 201]);
    expect(rec.calls[1]!.at - rec.calls[0]!.at).toBeGreaterThanOrEqual(1000); // Retry-After: 1
    expect(second.id).not.toBe(q.id);
  });

  it('throws the 429 at once when Retry-After is longer than it will wait', async () => {
    const rec = recordingFetch();
    const fx = new FxClient({ baseUrl: server.base, apiKey: CLIENT, fetch: rec.fetch, maxRetryAfterMs: 100 });
    for (let i = 0; i < 3; i++) await fx.lock({ corridor: 'USD-INR', sendAmount: '100' }).catch(() => undefined); // empties the bucket
    rec.calls.length = 0;
    expect(await refusal(fx.lock({ corridor: 'USD-INR', sendAmount: '100' }))).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSec: 1 });
    expect(rec.calls).toHaveLength(1);
  });

  it('answers a body that is not the API (a proxy error page) with unexpected_response, after retrying the 502', async () => {
    const rec = recordingFetch();
    const port = (junk.address() as { port: number }).port;
    const fx = new FxClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: CLIENT, fetch: rec.fetch, retries: 1, retryBackoff: { baseMs: 10, maxMs: 10 } });
    const err = await refusal(fx.redeem('q_x', { sendAmount: '1' }, { idempotencyKey: 'k' }));
    expect(err).toMatchObject({ status: 502, code: 'unexpected_response', detail: expect.stringContaining('Bad Gateway') });
    expect(rec.calls).toHaveLength(2);
  });
});

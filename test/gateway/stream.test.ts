// The stream with real clients: fan-out in order, slow consumers cut off, locks over the socket and their
// lifecycle pushes, malformed frames answered with codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorridorSnapshot } from '../../engine/index.js';
import { CLIENT, DESK, eventually, http, startServer, STREAM_ONLY, TRANSFER, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

const auth = { authorization: `Bearer ${CLIENT}` };

describe('the quote stream', () => {
  let server: TestServer;
  let lastTs = 0;

  /** A snapshot as a pricer would publish it (the hub numbers it), for driving the stream directly. */
  const snapshot = (corridor: string, rate: string): CorridorSnapshot => {
    const now = (lastTs = Math.max(Date.now() * 1000, lastTs + 1));
    const tier = (n: number, bps: string, upTo?: string) => ({
      tier: n, upTo, spreadBps: bps, rate, route: 0, spread: { tierBps: bps, marketClosedBps: '0', volatilityBps: '0', skewBps: '0', totalBps: bps },
    });
    return {
      corridor, send: corridor.slice(0, 3), receive: corridor.slice(4), tradeable: true, mid: rate,
      routes: [{ rate, legs: [{ partner: 'lp-a', pair: corridor.replace('-', '/'), rate, tickTs: now }] }],
      tiers: [tier(0, '60', '1000'), tier(1, '40', '10000'), tier(2, '25')],
      tickTs: now, oldestTickUs: now, configVersion: server.config().version, seq: 0, ts: now,
    };
  };

  beforeAll(async () => {
    // No partners: the tests drive prices themselves.
    server = await startServer({
      store: 'memory', feeds: false,
      edit: (c) => {
        c.corridors['USD-PHP'].quoteTtlMs = 500;
        c.server.wsSlowConsumerCheckMs = 20;
      },
    });
    // The pool prices every corridor once at start-up (not tradeable: no partners); wait for that batch so
    // it does not land among the snapshots the tests publish.
    await eventually(() => (Object.keys(server.config().config.corridors).every((c) => server.core.hub.get(c)) ? true : undefined), 15_000);
  });
  afterAll(async () => server?.close());

  it('delivers every update of every corridor to 500 subscribers, in seq order, without duplicates', async () => {
    const corridors = ['USD-INR', 'GBP-INR', 'EUR-INR'];
    const clients = await Promise.all(Array.from({ length: 500 }, () => StreamClient.open(server.ws, auth)));
    for (const c of clients) c.send({ op: 'subscribe', corridors });
    await eventually(() => (server.gateway.app.numSubscribers('q/EUR-INR/0') === 500 ? true : undefined));

    const published: Record<string, number[]> = Object.fromEntries(corridors.map((c) => [c, []]));
    for (let i = 0; i < 40; i++) {
      for (const c of corridors) {
        published[c]!.push(server.core.hub.accept(snapshot(c, `84.${1000 + i}`))!.seq);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => (clients.every((c) => c.frames.filter((f) => f.type === 'quote').length >= 120) ? true : undefined), 15_000);
    for (const c of clients) {
      for (const corridor of corridors) {
        // The frame sent on subscribe (the start-up price) comes first; every published one follows, in order.
        const seqs = c.frames.filter((f) => f.type === 'quote' && f.corridor === corridor).map((f) => f.seq);
        expect(seqs.filter((s) => s >= published[corridor]![0]!)).toEqual(published[corridor]);
        expect(seqs.length - published[corridor]!.length).toBeLessThanOrEqual(1);
      }
      c.close();
    }
  });

  it('moves a subscription to the tier its amount picks, and after unsubscribe sends that corridor no more and frees the slot', async () => {
    const held = async () => (await server.metrics.wsSubscriptions.get()).values[0]?.value ?? 0;
    await eventually(() => (server.gateway.stream!.clients === 0 ? true : undefined), 10_000); // the last test's sockets are gone
    const before = await held();
    const c = await StreamClient.open(server.ws, auth);
    const subscribers = (tier: number) => server.gateway.app.numSubscribers(`q/GBP-INR/${tier}`);
    c.send({ op: 'subscribe', corridors: ['GBP-INR', 'GBP-INR', 'EUR-INR'] });
    await eventually(() => (subscribers(0) === 1 && server.gateway.app.numSubscribers('q/EUR-INR/0') === 1 ? true : undefined));
    expect(await held()).toBe(before + 2);

    c.send({ op: 'subscribe', corridors: ['GBP-INR'], sendAmount: '5000' });
    await eventually(() => (subscribers(1) === 1 ? true : undefined));
    expect([subscribers(0), subscribers(2)]).toEqual([0, 0]);
    expect(await held()).toBe(before + 2);
    const seq = server.core.hub.accept(snapshot('GBP-INR', '105.5'))!.seq;
    expect((await c.next((f) => f.type === 'quote' && f.corridor === 'GBP-INR' && f.seq === seq)).tier).toBe(1);

    c.send({ op: 'unsubscribe', corridors: ['GBP-INR', 'USD-INR'] });
    await eventually(() => (subscribers(1) === 0 ? true : undefined));
    expect(await held()).toBe(before + 1);
    const after = server.core.hub.accept(snapshot('GBP-INR', '105.6'))!.seq;
    const eur = server.core.hub.accept(snapshot('EUR-INR', '90.1'))!.seq;
    await c.next((f) => f.type === 'quote' && f.corridor === 'EUR-INR' && f.seq === eur);
    expect(c.frames.some((f) => f.type === 'quote' && f.corridor === 'GBP-INR' && f.seq >= after)).toBe(false);

    c.close();
    await eventually(async () => ((await held()) === before ? true : undefined));
  });

  it('closes a client that stops reading with 4008, while a probe keeps getting every frame', async () => {
    const slow = await StreamClient.open(server.ws, auth);
    const probe = await StreamClient.open(server.ws, auth);
    slow.send({ op: 'subscribe', corridors: ['USD-MXN', 'USD-JPY', 'GBP-EUR'] });
    probe.send({ op: 'subscribe', corridors: ['KWD-INR'] });
    await eventually(() => (server.gateway.app.numSubscribers('q/KWD-INR/0') === 1 && server.gateway.app.numSubscribers('q/USD-MXN/0') === 1 ? true : undefined));
    (slow.socket as any)._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue

    const probeSeqs: number[] = [];
    const pad = '9'.repeat(200); // fat rates fill the slow socket's buffers sooner
    const slowCloses = async () => (await server.metrics.wsSlowCloses.get()).values[0]?.value ?? 0;
    for (let round = 0; round < 2_000 && (await slowCloses()) === 0; round++) {
      for (let i = 0; i < 30; i++) for (const c of ['USD-MXN', 'USD-JPY', 'GBP-EUR']) server.core.hub.accept(snapshot(c, `19.${pad}${i}`));
      probeSeqs.push(server.core.hub.accept(snapshot('KWD-INR', `274.${round}`))!.seq);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await slowCloses()).toBe(1);
    // The probe was served while the slow socket backed up, not after it was closed: its frames came as they were
    // published (a few rounds of slack for a loaded machine), over enough rounds for that to mean something.
    expect(probeSeqs.length).toBeGreaterThanOrEqual(10);
    const probeBeforeClose = probe.frames.filter((f) => f.type === 'quote' && f.seq >= probeSeqs[0]!).length;
    expect(probeBeforeClose).toBeGreaterThanOrEqual(probeSeqs.length - 5);
    (slow.socket as any)._socket.resume();
    await eventually(() => slow.closed, 10_000);
    expect(slow.closed?.code).toBe(4008);
    expect(slow.closed?.reason).toMatch(/slow consumer/);
    await eventually(() => (probe.frames.filter((f) => f.type === 'quote').length >= probeSeqs.length ? true : undefined));
    expect(probe.frames.filter((f) => f.type === 'quote' && f.seq >= probeSeqs[0]!).map((f) => f.seq)).toEqual(probeSeqs);
    expect(probe.closed).toBeUndefined();
    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/fx_ws_slow_consumer_closes_total [1-9]/);
    probe.close();
  });

  it('locks over the socket, then pushes quote_redeemed after a REST redeem and quote_expired after expiry', async () => {
    server.core.hub.accept(snapshot('USD-INR', '83.5000'));
    server.core.hub.accept(snapshot('USD-PHP', '57.5000'));
    const client = await StreamClient.open(server.ws, auth);
    client.send({ op: 'lock', reqId: 'r1', corridor: 'USD-INR', sendAmount: '100.00' });
    const locked = await client.next((f) => f.type === 'locked' && f.reqId === 'r1');
    expect(locked.quote).toMatchObject({ corridor: 'USD-INR', sendAmount: '100.00', receiveAmount: '8350.00', rate: '83.5000', status: 'locked' });
    const read = await http(server.base, 'GET', `/v1/quotes/${locked.quote.id}`, { key: TRANSFER });
    expect(read.json).toEqual(locked.quote); // same code path and store as REST

    const redeem = await http(server.base, 'POST', `/v1/quotes/${locked.quote.id}/redeem`, {
      key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': 't1' },
    });
    expect(redeem.status).toBe(200);
    const pushed = await client.next((f) => f.type === 'quote_redeemed');
    expect(pushed).toEqual({ type: 'quote_redeemed', reqId: 'r1', id: locked.quote.id, redeemedAt: redeem.json.redeemedAt });

    client.send({ op: 'lock', reqId: 'r2', corridor: 'USD-PHP', receiveAmount: '5750.00' });
    const short = await client.next((f) => f.type === 'locked' && f.reqId === 'r2');
    expect(short.quote.sendAmount).toBe('100.00');
    const expired = await client.next((f) => f.type === 'quote_expired', 3_000);
    expect(expired).toMatchObject({ reqId: 'r2', id: short.quote.id, expiresAt: short.quote.expiresAt });
    client.close();
  });

  it('answers malformed frames, unknown ops and refused locks with coded errors, and stays open', async () => {
    const client = await StreamClient.open(server.ws, auth);
    const cases: [unknown, string][] = [
      ['{nope', 'invalid_json'],
      ['[1,2]', 'invalid_request'],
      [{ op: 'dance' }, 'unknown_op'],
      [{ op: 'subscribe', corridors: ['ZZZ-INR'] }, 'corridor_not_found'],
      [{ op: 'subscribe', corridors: 'USD-INR' }, 'invalid_request'],
      [{ op: 'subscribe', corridors: ['USD-INR'], sendAmount: '1.001' }, 'invalid_amount'],
      [{ op: 'subscribe', corridors: ['USD-INR'], extra: true }, 'invalid_request'],
      [{ op: 'lock', corridor: 'USD-INR', sendAmount: '10' }, 'invalid_request'],
      [{ op: 'lock', reqId: 'x1', corridor: 'USD-INR', sendAmount: '10.001' }, 'invalid_amount'],
      [{ op: 'lock', reqId: 'x2', corridor: 'USD-INR', sendAmount: '1' }, 'amount_out_of_range'],
    ];
    for (const [frame, code] of cases) {
      const before = client.frames.length;
      client.send(frame);
      const err = await client.next((f) => f.type === 'error' && client.frames.indexOf(f) >= before);
      expect({ frame, code: err.code }).toEqual({ frame, code });
    }
    const withReq = client.frames.find((f) => f.type === 'error' && f.code === 'invalid_amount' && f.reqId === 'x1');
    expect(withReq).toBeDefined();
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it('answers a frame over the size bound with payload_too_large, and drops a socket that sends a huge one', async () => {
    const client = await StreamClient.open(server.ws, auth);
    client.send({ op: 'subscribe', corridors: ['USD-INR'], pad: 'x'.repeat(17_000) });
    expect((await client.next((f) => f.type === 'error')).code).toBe('payload_too_large');
    client.send({ op: 'subscribe', corridors: ['USD-INR'], pad: 'x'.repeat(70_000) });
    await eventually(() => client.closed);
  });

  it('refuses a lock over the stream and over REST for a key without the lock scope', async () => {
    server.core.hub.accept(snapshot('USD-INR', '83.5000')); // a fresh price: only the scope can refuse
    // demo-transfer-key cannot even open the stream.
    await expect(StreamClient.open(server.ws, { authorization: `Bearer ${TRANSFER}` })).rejects.toThrow(/403/);
    const watcher = await StreamClient.open(`${server.ws}?apiKey=${STREAM_ONLY}`);
    watcher.send({ op: 'lock', reqId: 'w1', corridor: 'USD-INR', sendAmount: '100.00' });
    expect(await watcher.next((f) => f.reqId === 'w1')).toMatchObject({ type: 'error', code: 'forbidden' });
    const rest = await http(server.base, 'POST', '/v1/quotes', { key: STREAM_ONLY, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
    expect([rest.status, rest.json.code]).toEqual([403, 'forbidden']);
    // demo-desk-key has every scope: the same lock goes through.
    const desk = await StreamClient.open(`${server.ws}?apiKey=${DESK}`);
    desk.send({ op: 'lock', reqId: 'd1', corridor: 'USD-INR', sendAmount: '100.00' });
    expect((await desk.next((f) => f.reqId === 'd1')).type).toBe('locked');
    watcher.close();
    desk.close();
  });
});

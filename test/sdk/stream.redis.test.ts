// FxStream against the real server: quotes, a lock over the socket, redeem events; and the stream riding
// out what happens to real connections: heartbeats that stop (a half-open link), and the server process
// killed and started again on the same port (with Redis, so locked quotes survive it).
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FxApiError, FxClient, type FxStream, type StreamQuote, type StreamState } from '../../sdk/index.js';
import { spawnEngine, type EngineProcess } from '../helpers/process.js';
import { REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CLIENT, eventually, startServer, TRANSFER, writeConfig, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** Everything a stream emitted, in order. */
function record(stream: FxStream) {
  const quotes: StreamQuote[] = [];
  const states: StreamState[] = [];
  const errors: FxApiError[] = [];
  stream.on('quote', (q) => quotes.push(q));
  stream.on('state', (s) => states.push(s));
  stream.on('error', (e) => errors.push(e));
  const freshAfter = (i: number, corridor = 'USD-INR') => eventually(() => quotes.slice(i).find((q) => q.corridor === corridor && !q.stale && q.tradeable), 15_000);
  return { quotes, states, errors, freshAfter };
}

const FAST = { heartbeatMs: 200, missedHeartbeats: 3, reconnect: { baseMs: 50, maxMs: 400 } };

describe('FxStream', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    (await requireRedis()).disconnect();
    server = await startServer({ store: 'redis', edit: (c) => ((c.synthetic.ticksPerSecond = 20), (c.server.heartbeatMs = 200)) });
    proxy = await TcpProxy.start(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  const fx = (apiKey = CLIENT, base = proxy.base) => new FxClient({ baseUrl: base, apiKey, WebSocket, timeoutMs: 3_000 });

  it('streams quotes for the subscribed tier, locks over the socket, and hears of the redeem', async () => {
    const stream = fx().stream({ corridors: ['USD-INR', 'GBP-INR'], sendAmount: '5000', ...FAST });
    const rec = record(stream);
    const locked: unknown[] = [];
    const redeemed = new Promise<{ id: string }>((resolve) => stream.on('quote_redeemed', resolve));
    stream.on('locked', (f) => locked.push(f));
    try {
      const q = await rec.freshAfter(0);
      expect(q).toMatchObject({ type: 'quote', tier: 1, stale: false, rate: expect.stringMatching(/^\d+\.\d+$/) });
      await rec.freshAfter(0, 'GBP-INR');
      expect(rec.states.slice(0, 2)).toEqual(['connecting', 'open']);
      expect(stream.latest('USD-INR')).toMatchObject({ corridor: 'USD-INR', stale: false });

      const quote = await stream.lock({ corridor: 'USD-INR', sendAmount: '5000' });
      expect(quote).toMatchObject({ corridor: 'USD-INR', sendAmount: '5000.00', status: 'locked' });
      expect(locked).toHaveLength(1);
      const refused = await stream.lock({ corridor: 'USD-INR', sendAmount: '5000.001' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FxApiError);
      expect(refused).toMatchObject({ code: 'invalid_amount', status: undefined, reqId: expect.any(String) });

      await fx(TRANSFER).redeem(quote.id, { sendAmount: '5000' }, { idempotencyKey: 'stream-redeem' });
      expect((await redeemed).id).toBe(quote.id);

      // A new amount moves the corridor to its tier; unsubscribing stops its quotes.
      const i = rec.quotes.length;
      stream.subscribe(['USD-INR'], '100');
      expect(await eventually(() => rec.quotes.slice(i).find((x) => x.corridor === 'USD-INR' && x.tier === 0))).toBeDefined();
      stream.unsubscribe(['GBP-INR']);
      expect(stream.latest('GBP-INR')).toBeUndefined();
    } finally {
      stream.close();
    }
    expect(stream.state).toBe('closed');
    expect(await stream.lock({ corridor: 'USD-INR', sendAmount: '100' }).catch((e: FxApiError) => e.code)).toBe('stream_closed');
    expect(rec.errors).toEqual([]);
  });

  it('reconnects when heartbeats stop on a link that never closes, and marks the prices stale meanwhile', async () => {
    const stream = fx().stream({ corridors: ['USD-INR'], ...FAST });
    const rec = record(stream);
    try {
      await rec.freshAfter(0);
      const connections = proxy.connections;
      proxy.freeze(); // no frame, no close: only the silence tells
      const stale = await eventually(() => rec.quotes.find((q) => q.stale), 5_000);
      expect(stale).toMatchObject({ corridor: 'USD-INR', stale: true, rate: expect.any(String) });
      const at = rec.quotes.indexOf(stale);
      await rec.freshAfter(at);
      expect(proxy.connections).toBeGreaterThan(connections);
      expect(rec.states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    } finally {
      stream.close();
    }
  });

  it('fails a socket lock with connection_lost when the socket drops before the answer', async () => {
    const stream = fx().stream({ corridors: ['USD-INR'], ...FAST });
    const rec = record(stream);
    try {
      await rec.freshAfter(0);
      proxy.cutNextResponse(); // the next bytes the server sends on any connection: the locked frame, or a quote before it
      const err = await stream.lock({ corridor: 'USD-INR', sendAmount: '100' }).catch((e: FxApiError) => e);
      expect(err).toMatchObject({ code: 'connection_lost' });
      await rec.freshAfter(rec.quotes.length);
      expect(stream.state).toBe('open');
    } finally {
      stream.close();
    }
  });

  it('stops for good with the coded reason when the key is refused', async () => {
    const stream = fx('not-a-key').stream({ corridors: ['USD-INR'], ...FAST });
    const rec = record(stream);
    await eventually(() => (stream.state === 'closed' ? true : undefined), 5_000);
    expect(rec.errors.map((e) => [e.code, e.status])).toEqual([['unauthorized', 401]]);
    expect(rec.states.at(-1)).toBe('closed');
  });
});

describe('FxStream across a server restart', () => {
  let engine: EngineProcess | undefined;
  let port: number;
  let env: Record<string, string>;
  beforeAll(async () => {
    (await requireRedis()).disconnect();
    port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const config = writeConfig((c) => ((c.synthetic.ticksPerSecond = 20), (c.server.heartbeatMs = 500)));
    env = { PORT: String(port), REDIS_URL, REDIS_KEY_PREFIX: testPrefix(), FX_CONFIG: config };
    engine = await spawnEngine(env);
  }, 60_000);
  afterAll(() => {
    engine?.child.kill('SIGKILL');
  });

  it('keeps delivering after the server process is killed and started again, by itself', async () => {
    const client = new FxClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: CLIENT, WebSocket });
    const stream = client.stream({ corridors: ['USD-INR', 'KWD-INR'], heartbeatMs: 500, reconnect: { baseMs: 100, maxMs: 1_000 } });
    const rec = record(stream);
    try {
      await rec.freshAfter(0);
      const quote = await stream.lock({ corridor: 'USD-INR', sendAmount: '1000' });

      engine!.child.kill('SIGKILL');
      await engine!.exited;
      const stale = await eventually(() => rec.quotes.filter((q) => q.stale), 5_000);
      expect(stale.map((q) => q.corridor).sort()).toEqual(['KWD-INR', 'USD-INR']);
      expect(stream.state).toBe('reconnecting');

      const killedAtUs = Date.now() * 1000;
      engine = await spawnEngine(env, 60_000);
      const after = await rec.freshAfter(rec.quotes.length - 1);
      expect(after.ts).toBeGreaterThan(killedAtUs); // priced by the new process
      await rec.freshAfter(rec.quotes.indexOf(after), 'KWD-INR');
      expect(rec.states[0]).toBe('connecting');
      expect(rec.states.slice(1, 3)).toEqual(['open', 'reconnecting']);
      expect(rec.states.at(-1)).toBe('open');
      expect(rec.states.slice(2, -1).every((s) => s === 'reconnecting')).toBe(true);
      // The quote locked before the crash is still there (Redis), and the socket locks again.
      expect((await client.getQuote(quote.id)).status).toBe('locked');
      expect(await stream.lock({ corridor: 'USD-INR', sendAmount: '1000' })).toMatchObject({ status: 'locked' });
      expect(rec.errors).toEqual([]);
    } finally {
      stream.close();
    }
  }, 90_000);
});

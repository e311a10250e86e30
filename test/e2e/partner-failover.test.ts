// Two real WebSocket partners quote USD/INR to the real server. One dies mid-stream: quotes keep flowing from
// the other within the corridor's staleness bound, and the route (as a locked quote shows it) moves; when the
// dead one is back, it is back in routing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT, eventually, http, startServer, type TestServer } from '../helpers/server.js';
import { WsPartner } from '../helpers/partners.js';
import { StreamClient } from '../helpers/ws-client.js';

const MAX_STALENESS_MS = 1_000;
const SWEEP_MS = 100;

describe('a partner dies mid-stream', () => {
  let server: TestServer;
  let a: WsPartner;
  let b: WsPartner;
  let pump: NodeJS.Timeout;
  let aAlive = true;
  let seq = 0;

  beforeAll(async () => {
    a = await WsPartner.start();
    b = await WsPartner.start();
    const feed = (p: WsPartner) => ({
      ...p.spec(), pairs: ['USD/INR'],
      heartbeatMs: 200, idleTimeoutMs: 1_000, backoffInitialMs: 50, backoffMaxMs: 200, circuitFailures: 5, circuitOpenMs: 300, staleAfterMs: 500,
    });
    server = await startServer({
      store: 'memory',
      edit: (c) => {
        delete c.synthetic;
        c.partners = { 'lp-a': { enabled: true, feeBps: '0' }, 'lp-b': { enabled: true, feeBps: '0' } };
        c.feeds = { 'lp-a': feed(a), 'lp-b': feed(b) };
        c.pricing.staleSweepMs = SWEEP_MS;
        c.corridors = { 'USD-INR': { ...c.corridors['USD-INR'], maxStalenessMs: MAX_STALENESS_MS, partnerMaxAmounts: {} } };
      },
    });
    // Prices move every tick (a quote frame goes out on change); lp-a's bid is always the better one.
    pump = setInterval(() => {
      seq++;
      const ts = Date.now();
      const d = seq % 10;
      if (aAlive) void a.send([{ pair: 'USD/INR', bid: `84.5${d}`, ask: `84.6${d}`, ts, seq }]);
      void b.send([{ pair: 'USD/INR', bid: `84.3${d}`, ask: `84.4${d}`, ts, seq }]);
    }, 50);
  });

  afterAll(async () => {
    clearInterval(pump);
    await server?.close();
    await a?.close();
    await b?.close();
  });

  const routed = () => server.core.hub.get('USD-INR')?.routes[0]?.legs[0]?.partner;
  const lockRoute = async () => {
    const res = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '1000.00' } });
    expect(res.status).toBe(201);
    return res.json.route.map((l: { partner: string }) => l.partner);
  };

  it('routes through the better partner while both are up', async () => {
    await eventually(() => (routed() === 'lp-a' ? true : undefined));
    expect(await lockRoute()).toEqual(['lp-a']);
  });

  it('keeps quoting from the other partner within the staleness bound, and locks on its route', async () => {
    const client = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'subscribe', corridors: ['USD-INR'] });
    await client.next((f) => f.type === 'quote' && f.tradeable);
    const killedAt = Date.now();
    const seen = client.frames.length;
    aAlive = false;
    await a.kill();
    await eventually(() => (routed() === 'lp-b' ? true : undefined), 5_000, 10);
    const movedAfterMs = Date.now() - killedAt;
    // The last lp-a tick ages out after maxStalenessMs; the sweep re-prices within one more sweep period.
    expect(movedAfterMs).toBeLessThan(MAX_STALENESS_MS + SWEEP_MS + 500);
    expect(await lockRoute()).toEqual(['lp-b']);
    // Frames kept coming, and the corridor never went untradeable.
    await eventually(() => (client.frames.length > seen + 3 ? true : undefined));
    const after = client.frames.slice(seen).filter((f) => f.type === 'quote');
    expect(after.every((f) => f.tradeable === true)).toBe(true);
    client.close();
    const metrics = await http(server.base, 'GET', '/metrics');
    expect(metrics.text).toMatch(/fx_feed_errors_total\{partner="lp-a",code="feed_\w+",root="retryable"\} [1-9]/);
    expect(metrics.text).toMatch(/fx_feed_state\{partner="lp-b",state="connected"\} 1/);
    expect(metrics.text).toMatch(/fx_feed_age_seconds\{partner="lp-b",pair="USD\/INR"\} \d/);
  });

  it('puts the partner back in routing once it reconnects', async () => {
    await a.revive();
    aAlive = true;
    await eventually(() => (routed() === 'lp-a' ? true : undefined), 5_000, 10);
    expect(await lockRoute()).toEqual(['lp-a']);
    const metrics = await http(server.base, 'GET', '/metrics');
    expect(metrics.text).toMatch(/fx_feed_state\{partner="lp-a",state="connected"\} 1/);
  });
});

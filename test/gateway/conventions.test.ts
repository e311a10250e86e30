// The HTTP conventions every answer follows: WWW-Authenticate on 401, Allow on 405, problem types a person
// can open, RateLimit headers where limits apply, CORS for configured origins, and request ids.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../gateway/http.js';
import { uws } from '../../gateway/uws.js';
import { CLIENT, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';

const APP = 'https://app.example.com';
const lock = { corridor: 'USD-INR', sendAmount: '100.00' };

describe('the HTTP conventions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      store: 'memory',
      edit: (doc) => {
        doc.server = { ...doc.server, corsOrigins: [APP] };
        doc.limits = { lockPerSecond: 1, lockBurst: 3, redeemPerSecond: 100, redeemBurst: 100 };
      },
    });
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined), 10_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('challenges with WWW-Authenticate: Bearer on 401', async () => {
    const none = await http(server.base, 'GET', '/v1/corridors');
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="fx"']);
    const wrong = await http(server.base, 'GET', '/v1/corridors', { key: 'nope' });
    expect([wrong.status, wrong.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="fx", error="invalid_token"']);
  });

  it('says what is allowed on 405, and answers OPTIONS with Allow', async () => {
    const del = await http(server.base, 'DELETE', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA', { key: CLIENT });
    expect([del.status, del.json.code, del.headers.get('allow')]).toEqual([405, 'method_not_allowed', 'GET, HEAD, OPTIONS']);
    const opts = await http(server.base, 'OPTIONS', '/v1/quotes/q_0AAAAAAAAAAAAAAAAAAAAAA/redeem');
    expect([opts.status, opts.headers.get('allow')]).toEqual([204, 'POST, OPTIONS']);
  });

  it('gives problems an absolute type URI that opens the code\'s entry in the error docs', async () => {
    const res = await http(server.base, 'GET', '/v1/corridors/ZZZ-INR/quote?sendAmount=1', { key: CLIENT });
    expect(res.json.type).toBe(`${server.base}/docs/errors#corridor_not_found`);
    const page = await http(server.base, 'GET', '/docs/errors');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<tr id="corridor_not_found">');
    expect(page.text).toContain('<tr id="invalid_json">');
  });

  it('carries RateLimit-Policy and RateLimit on locks, and on the 429 past the burst', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: lock }));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429]);
    expect(answers.map((a) => a.headers.get('ratelimit-policy'))).toEqual(Array(4).fill('"lock";q=3;w=3'));
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/^"lock";r=2;t=1$/);
    expect(answers[3]!.headers.get('ratelimit')).toMatch(/^"lock";r=0;t=[1-3]$/);
    expect(answers[3]!.headers.get('retry-after')).toBe('1');
    const redeem = await http(server.base, 'POST', `/v1/quotes/${answers[0]!.json.id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': 'rl-1' } });
    expect(redeem.headers.get('ratelimit-policy')).toBe('"redeem";q=100;w=1');
  });

  it('lets a configured origin call the API from a browser: preflight, then the answer with its headers exposed', async () => {
    const preflight = await http(server.base, 'OPTIONS', '/v1/quotes', {
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Idempotency-Key, X-Request-Id');
    const list = await http(server.base, 'GET', '/v1/corridors', { key: CLIENT, headers: { origin: APP } });
    expect(list.headers.get('access-control-allow-origin')).toBe(APP);
    expect(list.headers.get('access-control-expose-headers')).toContain('RateLimit');
    expect(list.headers.get('vary')).toBe('Origin');
    const other = await http(server.base, 'GET', '/v1/corridors', { key: CLIENT, headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes a sane X-Request-Id, and makes one otherwise', async () => {
    const given = await http(server.base, 'GET', '/healthz', { headers: { 'x-request-id': 'order-42.retry:1' } });
    expect(given.headers.get('x-request-id')).toBe('order-42.retry:1');
    for (const headers of [{}, { 'x-request-id': 'has spaces and "quotes"' }, { 'x-request-id': 'x'.repeat(200) }] as Record<string, string>[]) {
      const made = await http(server.base, 'GET', '/v1/nope', { headers });
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('request ids on log lines', () => {
  it('puts the request id on every log line of the request', async () => {
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(c.toString())), cb()) }));
    const app = uws.App();
    app.get('/boom', handler({}, () => { throw new Error('boom'); }, { inFlight: { count: 0 }, conventions: { corsOrigins: [], publicUrl: 'https://fx.example', logger } }));
    const port = await new Promise<number>((r) => app.listen('127.0.0.1', 0, (s) => r(uws.us_socket_local_port(s))));
    try {
      const res = await fetch(`http://127.0.0.1:${port}/boom`, { headers: { 'x-request-id': 'req-7' } });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { type: string }).type).toBe('https://fx.example/docs/errors#internal_error');
      await eventually(() => (lines.length ? true : undefined));
      expect(lines.map((l) => [l.requestId, l.msg])).toEqual([['req-7', 'request failed']]);
    } finally {
      (app as any).close();
    }
  });
});

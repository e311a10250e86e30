// The edge (deploy/haproxy/haproxy.cfg, run by a real HAProxy) in front of a real gateway: the requests uWS
// 20.30 holds without a status line, or closes on, each get one through the edge, and pipelined locks are
// each answered in order. Raw sockets, as an odd client or a smuggling attempt would write them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEdge, type Edge } from '../helpers/haproxy.js';
import { raw, rawGet, rawPost } from '../helpers/raw-http.js';
import { CLIENT, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';

const lockBody = (amount = '100.00') => JSON.stringify({ corridor: 'USD-INR', sendAmount: amount });
const post = (path: string, body: string, headers: Record<string, string> = {}) => rawPost(CLIENT, path, body, headers);
const get = (path: string, extra = '') => rawGet(CLIENT, path, extra);

describe('the edge proxy (HAProxy, deploy/haproxy/haproxy.cfg)', () => {
  let server: TestServer;
  let edge: Edge;
  beforeAll(async () => {
    server = await startServer({ store: 'redis' });
    await eventually(async () => ((await http(server.base, 'GET', '/readyz')).status === 200 ? true : undefined), 10_000);
    edge = await startEdge(server.port);
  }, 30_000);
  afterAll(async () => {
    await edge?.close();
    await server?.close();
  });

  it('refuses HTTP/1.0, with or without a Host, with 505 and a coded body', async () => {
    for (const request of ['GET /healthz HTTP/1.0\r\nHost: t\r\n\r\n', 'GET /healthz HTTP/1.0\r\n\r\n']) {
      const r = await raw(edge.port, [request], { waitMs: 600 });
      expect(r.responses.map((x) => [x.status, JSON.parse(x.body).code])).toEqual([[505, 'invalid_request']]);
    }
  });

  it('answers HTTP/1.1 without a Host, or with two, with 400', async () => {
    for (const request of ['GET /healthz HTTP/1.1\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n']) {
      const r = await raw(edge.port, [request], { waitMs: 600 });
      expect(r.responses.map((x) => x.status)).toEqual([400]);
    }
  });

  it('reads bare-LF framing and answers it', async () => {
    const r = await raw(edge.port, ['GET /healthz HTTP/1.1\nHost: t\n\n'], { waitMs: 600 });
    expect(r.responses.map((x) => x.status)).toEqual([200]);
  });

  it('answers too many header fields with 431, and still forwards a request with 40', async () => {
    const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
    const many = await raw(edge.port, [`GET /healthz HTTP/1.1\r\nHost: t\r\n${headers(60)}\r\n`], { waitMs: 600 });
    expect(many.responses.map((x) => [x.status, JSON.parse(x.body).code])).toEqual([[431, 'invalid_request']]);
    const fine = await raw(edge.port, [`GET /healthz HTTP/1.1\r\nHost: t\r\n${headers(38)}\r\n`], { waitMs: 600 });
    expect(fine.responses.map((x) => x.status)).toEqual([200]);
  });

  it('refuses Content-Length with Transfer-Encoding with 400, closes, and never runs what follows', async () => {
    const r = await raw(edge.port, [`POST /v1/quotes HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${get('/v1/corridors')}`], { waitMs: 600 });
    expect(r.responses.map((x) => x.status)).toEqual([400]);
    expect(r.text).not.toContain('"corridors"');
    expect(r.closed).toBe(true);
  });

  it('refuses two Content-Length headers with 400 and never runs the bytes behind them', async () => {
    const smuggled = get('/v1/corridors');
    const r = await raw(edge.port, [`POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`], { waitMs: 600 });
    expect(r.responses.map((x) => x.status)).toEqual([400]);
    expect(r.text).not.toContain('"corridors"');
  });

  it('answers three locks pipelined in one write, each in order, and each is stored once', async () => {
    const keys = ['edge-a', 'edge-b', 'edge-c'];
    const r = await raw(edge.port, [keys.map((k, i) => post('/v1/quotes', lockBody(`${i + 1}00.00`), { 'Idempotency-Key': k })).join('')], { waitMs: 1_000 });
    expect(r.responses.map((x) => [x.status, JSON.parse(x.body).sendAmount])).toEqual([[201, '100.00'], [201, '200.00'], [201, '300.00']]);
    for (const [i, x] of r.responses.entries()) {
      const read = await http(server.base, 'GET', `/v1/quotes/${JSON.parse(x.body).id}`, { key: TRANSFER });
      expect(read.json).toMatchObject({ status: 'locked', sendAmount: `${i + 1}00.00` });
    }
  });

  it('carries the stream through as a WebSocket, and never logs the key its URL carries', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${edge.port}/v1/stream?apiKey=${CLIENT}`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', corridors: ['USD-INR'] })));
      ws.on('message', (m) => resolve(String(m)));
      ws.on('error', () => reject(new Error('the stream did not open through the edge')));
    });
    ws.close();
    expect(JSON.parse(first).type).toMatch(/quote|heartbeat/);
    // HAProxy logs the tunnel once it closes: the path, not the query string with ?apiKey=.
    await eventually(() => (edge.log().includes('GET /v1/stream HTTP/1.1') ? true : undefined), 5_000);
    expect(edge.log()).not.toContain(CLIENT);
  });
});

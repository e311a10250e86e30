// The SDK in a real browser (headless Chromium): the compiled sdk/ loaded as plain ES modules, the browser's
// own fetch, crypto and WebSocket (which cannot send headers: the key goes as ?apiKey=), against the real
// server. The page's origin is a small loopback server that serves the modules and passes /v1 (HTTP and the
// WebSocket upgrade) through to the engine, so no CORS is involved there; a second page calls the engine on its
// own origin directly, as a browser app on another origin would (server.corsOrigins, preflight included).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title><script type="module">
import { FxClient, FxApiError } from '/sdk/index.js';
try {
  const client = new FxClient({ baseUrl: location.origin, apiKey: 'demo-client-key' });
  const corridor = await client.corridor('USD-INR');
  const quote = await client.lock({ corridor: 'USD-INR', sendAmount: '100' });
  let refused;
  try { await client.corridor('XXX-YYY'); } catch (e) { refused = { isFxApiError: e instanceof FxApiError, code: e.code, status: e.status }; }
  const states = [];
  const stream = client.stream({ corridors: ['USD-INR'], sendAmount: '5000' });
  stream.on('state', (s) => states.push(s));
  const streamed = await new Promise((resolve) => stream.on('quote', (q) => q.tradeable && resolve(q)));
  const locked = await stream.lock({ corridor: 'USD-INR', sendAmount: '5000' });
  stream.close();
  window.done = { corridor, quote, refused, streamed, locked, states };
} catch (e) {
  window.done = { failed: String(e && e.stack || e) };
}
</script>`;

/** A page on another origin than the engine's: the SDK and plain fetch straight to the engine (CORS). */
const corsPage = (engine: string) => `<!doctype html><meta charset="utf-8"><title>cors</title><script type="module">
import { FxClient } from '/sdk/index.js';
try {
  const client = new FxClient({ baseUrl: ${JSON.stringify(engine)}, apiKey: 'demo-client-key' });
  const quote = await client.lock({ corridor: 'USD-INR', sendAmount: '100' }, { idempotencyKey: 'cors-' + crypto.randomUUID() });
  const res = await fetch(${JSON.stringify(engine)} + '/v1/quotes', {
    method: 'POST', body: JSON.stringify({ corridor: 'USD-INR', sendAmount: '100' }),
    headers: { authorization: 'Bearer demo-client-key', 'content-type': 'application/json', 'x-request-id': 'cors-req-1' },
  });
  window.done = { quote, status: res.status, requestId: res.headers.get('x-request-id'), rateLimit: res.headers.get('ratelimit') };
} catch (e) {
  window.done = { failed: String(e && e.message || e) };
}
</script>`;

describe('the SDK in a browser', () => {
  let server: TestServer;
  let origin: Server;
  let browser: Browser;
  let build: string;

  let originUrl: string;
  beforeAll(async () => {
    // Compiled with the SDK's own tsconfig (DOM types, no Node): what a bundler or a <script type=module> gets.
    build = mkdtempSync(join(ROOT, 'node_modules', '.fx-sdk-browser-'));
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'sdk/tsconfig.json'), '--noEmit', 'false', '--outDir', build]);
    origin = createServer(async (req, res) => {
      if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      if (req.url === '/cors') return res.writeHead(200, { 'content-type': 'text/html' }).end(corsPage(server.base));
      if (req.url!.startsWith('/sdk/')) {
        const file = normalize(join(build, req.url!));
        if (!file.startsWith(build)) return res.writeHead(404).end();
        try {
          return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
        } catch {
          return res.writeHead(404).end();
        }
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection') as [string, string][]);
      const upstream = await fetch(server.base + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
    });
    // The stream's upgrade: the raw bytes both ways.
    origin.on('upgrade', (req, socket, head) => {
      const up = connect(server.port, '127.0.0.1', () => {
        up.write(`${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
        up.write(head);
        socket.pipe(up).pipe(socket);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    // The page's origin is allowed; the same page served as http://localhost:<port> is another origin, not allowed.
    server = await startServer({ store: 'memory', edit: (c) => ((c.synthetic.ticksPerSecond = 20), (c.server.corsOrigins = [originUrl])) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (origin ? origin.close(r) : r(undefined)));
    await server?.close();
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('reads corridors, locks, refuses with FxApiError, and streams and locks over the browser WebSocket', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${(origin.address() as { port: number }).port}/`);
    await page.waitForFunction(() => (globalThis as any).done, undefined, { timeout: 15_000 });
    const done = await page.evaluate(() => (globalThis as any).done);
    expect(errors).toEqual([]);
    expect(done.failed).toBeUndefined();
    expect(done.corridor).toMatchObject({ id: 'USD-INR', minAmount: '10.00', quoteTtlMs: 30000 });
    expect(done.quote).toMatchObject({ corridor: 'USD-INR', sendAmount: '100.00', status: 'locked' });
    expect(done.refused).toEqual({ isFxApiError: true, code: 'corridor_not_found', status: 404 });
    expect(done.streamed).toMatchObject({ type: 'quote', corridor: 'USD-INR', tier: 1, stale: false });
    expect(done.locked).toMatchObject({ sendAmount: '5000.00', status: 'locked' });
    expect(done.states).toEqual(['connecting', 'open', 'closed']);
    await page.close();
  });

  it('calls the engine from a page on an allowed origin (preflight, exposed headers), and a page on another origin cannot', async () => {
    const page = await browser.newPage();
    await page.goto(`${originUrl}/cors`);
    await page.waitForFunction(() => (globalThis as any).done, undefined, { timeout: 15_000 });
    const allowed = await page.evaluate(() => (globalThis as any).done);
    expect(allowed.failed).toBeUndefined();
    expect(allowed.quote).toMatchObject({ corridor: 'USD-INR', sendAmount: '100.00', status: 'locked' });
    expect(allowed).toMatchObject({ status: 201, requestId: 'cors-req-1' });
    expect(allowed.rateLimit).toMatch(/^"lock";r=\d+;t=\d+$/);

    const other = await browser.newPage();
    const blocked: string[] = [];
    other.on('console', (m) => m.type() === 'error' && blocked.push(m.text()));
    await other.goto(originUrl.replace('127.0.0.1', 'localhost') + '/cors');
    await other.waitForFunction(() => (globalThis as any).done, undefined, { timeout: 15_000 });
    const refused = await other.evaluate(() => (globalThis as any).done);
    expect(refused.failed).toBeDefined(); // the browser keeps the answer from a page the engine did not allow
    expect(blocked.join('\n')).toMatch(/CORS/);
    await page.close();
    await other.close();
  });
});

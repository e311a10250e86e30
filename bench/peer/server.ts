// The peer: the v1 contract as a competent team writes it first, with the usual stack. node:http for REST, ws
// for the stream, ioredis for the quote store, decimal.js on the main thread for pricing, the same synthetic
// partners and the same config file as the engine. Plain on purpose, not slow on purpose.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import { defaultFeedTimings } from '../../config/index.js';
import { SyntheticFeed, systemFeedClock } from '../../feeds/index.js';
import { readPeerConfig, type PeerLimits } from './config.js';
import { PeerError, problemBody } from './errors.js';
import { canonical, isAmount, minorUnits, Pricer, type CorridorPrice } from './pricing.js';
import { RateLimiter } from './rate-limit.js';
import { PeerStore } from './store.js';

export interface PeerOptions {
  configPath: string;
  port: number;
  host?: string;
  redisUrl: string;
  keyPrefix?: string;
  /** Start the config's synthetic partners (default true). */
  feeds?: boolean;
}

export interface RunningPeer {
  port: number;
  configVersion: string;
  close(): Promise<void>;
}

type Principal = { name: string; scopes: string[]; limits: PeerLimits };
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const sendJson = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

function readBody(req: IncomingMessage, maxBytes: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return reject(new PeerError('payload_too_large', `the body must be at most ${maxBytes} bytes`));
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new PeerError('invalid_json', 'the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function objectWith(body: unknown, allowed: string[]): Record<string, any> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PeerError('invalid_request', 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new PeerError('invalid_request', `unknown fields: ${unknown.join(', ')}`);
  return body as Record<string, any>;
}

function sideOf(fields: Record<string, any>): { side: 'send' | 'receive'; amount: unknown } {
  if ((fields.sendAmount === undefined) === (fields.receiveAmount === undefined))
    throw new PeerError('invalid_amount', 'give exactly one of sendAmount or receiveAmount');
  return fields.sendAmount !== undefined ? { side: 'send', amount: fields.sendAmount } : { side: 'receive', amount: fields.receiveAmount };
}

export async function startPeer(opts: PeerOptions): Promise<RunningPeer> {
  const config = readPeerConfig(opts.configPath);
  const store = new PeerStore(opts.redisUrl, { retentionMs: config.retentionMs, eventsMaxLen: config.eventsMaxLen, keyPrefix: opts.keyPrefix });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const ops = new Counter({ name: 'fx_quote_ops_total', help: 'Locks and redeems by outcome', labelNames: ['op', 'outcome'], registers: [registry] });
  const published = new Counter({ name: 'fx_ws_frames_published_total', help: 'Quote frames published to a topic (one per topic, not per client)', registers: [registry] });

  // topic "<corridor>/<tier>" -> sockets
  const topics = new Map<string, Set<WebSocket>>();
  const frame = (p: CorridorPrice, tier: number) => {
    const t = p.tradeable ? p.tiers[tier] : undefined;
    return JSON.stringify({
      type: 'quote', corridor: p.corridor, rate: t?.rate ?? null, mid: t ? p.mid : null, spreadBps: t?.spreadBps ?? null, tier,
      tradeable: t !== undefined, seq: p.seq, ts: p.ts, tickTs: p.tickTs, configVersion: config.version,
    });
  };
  const publish = (p: CorridorPrice) => {
    const tiers = config.corridors.get(p.corridor)!.tiers.length;
    for (let tier = 0; tier < tiers; tier++) {
      const sockets = topics.get(`${p.corridor}/${tier}`);
      if (!sockets?.size) continue;
      const text = frame(p, tier);
      published.inc();
      for (const ws of sockets) {
        if (ws.bufferedAmount > config.wsMaxBackpressureBytes) ws.terminate(); // a client that does not read is cut off
        else ws.send(text);
      }
    }
  };
  const pricer = new Pricer(config, publish);
  const limiter = new RateLimiter();

  const authorize = (key: string, ...scopes: string[]): Principal => {
    const p = key ? config.apiKeys.get(createHash('sha256').update(key).digest('hex')) : undefined;
    if (!p) throw new PeerError('unauthorized', key ? 'the API key is not recognised' : 'send Authorization: Bearer <api key>');
    if (!scopes.some((s) => p.scopes.includes(s))) throw new PeerError('forbidden', `this API key needs the ${scopes.join(' or ')} scope`);
    return p;
  };
  const bearer = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';

  async function lock(principal: Principal, fields: Record<string, any>, idempotencyKey?: string): Promise<{ body: string; replayed: boolean }> {
    limiter.take(principal.name, 'lock', principal.limits);
    const { side, amount } = sideOf(fields);
    const t = pricer.terms(fields.corridor, side, amount);
    const c = config.corridors.get(t.corridor)!;
    const now = Date.now();
    const quote = {
      id: PeerStore.newId(), corridor: t.corridor, sendCurrency: t.send, receiveCurrency: t.receive, sendAmount: t.sendAmount, receiveAmount: t.receiveAmount,
      rate: t.rate, fee: (0).toFixed(minorUnits(t.send)), createdAt: new Date(now).toISOString(), expiresAt: new Date(now + c.quoteTtlMs).toISOString(),
      configVersion: config.version, route: t.price.route,
    };
    const fingerprint = `${t.corridor}|${side}|${canonical(side === 'send' ? t.sendAmount : t.receiveAmount)}`;
    const result = await store.lock(
      { quote, expiresAtMs: now + c.quoteTtlMs, sendAmount: canonical(t.sendAmount), receiveAmount: canonical(t.receiveAmount) },
      idempotencyKey === undefined ? undefined : { key: `${principal.name}:${idempotencyKey}`, fingerprint },
    );
    ops.inc({ op: 'lock', outcome: 'ok' });
    return result;
  }

  function idempotencyKey(req: IncomingMessage, required: boolean): string | undefined {
    const key = req.headers['idempotency-key'] as string | undefined;
    if (key === undefined) {
      if (required) throw new PeerError('idempotency_key_required', 'send an Idempotency-Key header (1-255 printable characters)');
      return undefined;
    }
    if (!IDEMPOTENCY_KEY.test(key)) throw new PeerError('invalid_request', 'Idempotency-Key must be 1-255 printable ASCII characters');
    return key;
  }

  async function jsonBody(req: IncomingMessage): Promise<unknown> {
    const type = req.headers['content-type'];
    if (type && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new PeerError('unsupported_media_type', `content-type must be application/json, not ${type}`);
    return readBody(req, config.maxPayloadBytes);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const key = bearer(req.headers.authorization);
    const only = (allowed: string) => {
      if (method !== allowed) throw new PeerError('method_not_allowed', `${method} is not allowed here`);
    };
    let m: RegExpExecArray | null;

    if (path === '/v1/corridors') {
      only('GET');
      authorize(key, 'stream');
      const corridors = [...config.corridors.values()].map((c) => {
        const p = pricer.fresh(c.id);
        return { id: c.id, send: c.send, receive: c.receive, tradeable: !!p, rate: p?.tiers[0]?.rate ?? null, mid: p?.mid ?? null, updatedAt: p ? new Date(p.ts / 1000).toISOString() : null };
      });
      return sendJson(res, 200, JSON.stringify({ corridors }));
    }
    if ((m = /^\/v1\/corridors\/([^/]+)\/quote$/.exec(path))) {
      only('GET');
      authorize(key, 'stream');
      const { side, amount } = sideOf(objectWith(Object.fromEntries(url.searchParams), ['sendAmount', 'receiveAmount']));
      const t = pricer.terms(decodeURIComponent(m[1]!), side, amount);
      return sendJson(res, 200, JSON.stringify({
        corridor: t.corridor, sendCurrency: t.send, receiveCurrency: t.receive, sendAmount: t.sendAmount, receiveAmount: t.receiveAmount,
        rate: t.rate, mid: t.mid, spreadBps: t.spreadBps, tier: t.tier, fee: (0).toFixed(minorUnits(t.send)), configVersion: config.version, tickTs: t.price.tickTs,
      }));
    }
    if (path === '/v1/quotes') {
      only('POST');
      const body = await jsonBody(req);
      const principal = authorize(key, 'lock');
      const { body: quote, replayed } = await lock(principal, objectWith(body, ['corridor', 'sendAmount', 'receiveAmount']), idempotencyKey(req, false));
      return sendJson(res, 201, quote, replayed ? { 'idempotent-replayed': 'true' } : {});
    }
    if ((m = /^\/v1\/quotes\/([^/]+)$/.exec(path))) {
      only('GET');
      authorize(key, 'lock', 'redeem');
      return sendJson(res, 200, await store.get(decodeURIComponent(m[1]!)));
    }
    if ((m = /^\/v1\/quotes\/([^/]+)\/redeem$/.exec(path))) {
      only('POST');
      const raw = await jsonBody(req);
      const principal = authorize(key, 'redeem');
      limiter.take(principal.name, 'redeem', principal.limits);
      const idem = idempotencyKey(req, true)!;
      const body = objectWith(raw, ['sendAmount', 'receiveAmount', 'corridor']);
      for (const name of ['sendAmount', 'receiveAmount'])
        if (body[name] !== undefined && !isAmount(body[name])) throw new PeerError('invalid_amount', `${name} must be a positive decimal string such as "1000.00"`);
      if (body.sendAmount === undefined && body.receiveAmount === undefined) throw new PeerError('invalid_amount', 'sendAmount or receiveAmount is required');
      if (body.corridor !== undefined && typeof body.corridor !== 'string') throw new PeerError('invalid_request', 'corridor must be a string');
      const result = await store.redeem(decodeURIComponent(m[1]!), idem, {
        corridor: body.corridor, sendAmount: body.sendAmount && canonical(body.sendAmount), receiveAmount: body.receiveAmount && canonical(body.receiveAmount),
      });
      ops.inc({ op: 'redeem', outcome: 'ok' });
      return sendJson(res, 200, result.body, result.replayed ? { 'idempotent-replayed': 'true' } : {});
    }
    if (path === '/healthz') return sendJson(res, 200, '{"status":"ok"}');
    if (path === '/readyz') {
      const tradeable = [...config.corridors.keys()].filter((id) => pricer.fresh(id)).length;
      const ready = store.redis.status === 'ready' && tradeable > 0;
      return sendJson(res, ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready', store: store.redis.status, tradeableCorridors: tradeable }));
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      return void res.end(await registry.metrics());
    }
    throw new PeerError('not_found', `no route ${path}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      const e = err instanceof PeerError ? err : new PeerError('internal_error', 'an unexpected error occurred');
      if (!(err instanceof PeerError)) console.error(err);
      if (/\/redeem$|^\/v1\/quotes$/.test(req.url ?? '')) ops.inc({ op: req.url === '/v1/quotes' ? 'lock' : 'redeem', outcome: e.code });
      if (!res.headersSent) {
        res.writeHead(e.status, { 'content-type': 'application/problem+json', ...(e.retryAfterSec ? { 'retry-after': String(e.retryAfterSec) } : {}) });
        res.end(problemBody(e));
      }
    });
  });

  // WS /v1/stream
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes });
  const clients = new Map<WebSocket, { principal: Principal; topics: Map<string, string> }>();
  const errorFrame = (e: PeerError, reqId?: unknown) =>
    JSON.stringify({ type: 'error', code: e.code, detail: e.detail, ...(typeof reqId === 'string' ? { reqId } : {}) });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let principal: Principal;
    try {
      if (url.pathname !== '/v1/stream') throw new PeerError('not_found', `no route ${url.pathname}`);
      principal = authorize(bearer(req.headers.authorization) || url.searchParams.get('apiKey') || '', 'stream');
    } catch (err) {
      const e = err as PeerError;
      const body = problemBody(e);
      socket.end(`HTTP/1.1 ${e.status} ${e.code}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client = { principal, topics: new Map<string, string>() };
      clients.set(ws, client);
      ws.on('close', () => {
        for (const topic of client.topics.values()) topics.get(topic)?.delete(ws);
        clients.delete(ws);
      });
      ws.on('message', (data, isBinary) => {
        let msg: any;
        try {
          msg = JSON.parse(data.toString());
          if (isBinary || !msg || typeof msg !== 'object' || Array.isArray(msg)) throw new Error();
        } catch {
          return ws.send(errorFrame(new PeerError('invalid_request', 'a frame must be a JSON object in a text frame')));
        }
        try {
          onMessage(ws, client, msg);
        } catch (err) {
          ws.send(errorFrame(err instanceof PeerError ? err : new PeerError('invalid_request', String(err)), msg.reqId));
        }
      });
    });
  });

  function corridorsOf(msg: any): string[] {
    const list = msg.corridors;
    if (!Array.isArray(list) || list.length === 0 || list.length > 64 || !list.every((c) => typeof c === 'string'))
      throw new PeerError('invalid_request', 'corridors must be a list of 1 to 64 corridor ids');
    const unknown = list.filter((c) => !config.corridors.has(c));
    if (unknown.length) throw new PeerError('corridor_not_found', `no corridor ${unknown.join(', ')}`);
    return list;
  }

  function onMessage(ws: WebSocket, client: { principal: Principal; topics: Map<string, string> }, msg: any): void {
    if (msg.op === 'subscribe') {
      const list = corridorsOf(msg);
      if (msg.sendAmount !== undefined && !isAmount(msg.sendAmount)) throw new PeerError('invalid_amount', 'sendAmount must be a positive decimal string');
      for (const id of list) {
        const tier = msg.sendAmount === undefined ? 0 : Pricer.tierIndex(config.corridors.get(id)!, msg.sendAmount);
        const topic = `${id}/${tier}`;
        const prev = client.topics.get(id);
        if (prev) topics.get(prev)?.delete(ws);
        if (!topics.has(topic)) topics.set(topic, new Set());
        topics.get(topic)!.add(ws);
        client.topics.set(id, topic);
        const p = pricer.latest(id);
        if (p) ws.send(frame(p, tier));
      }
    } else if (msg.op === 'unsubscribe') {
      for (const id of corridorsOf(msg)) {
        const topic = client.topics.get(id);
        if (topic) topics.get(topic)?.delete(ws);
        client.topics.delete(id);
      }
    } else if (msg.op === 'lock') {
      if (typeof msg.reqId !== 'string' || msg.reqId.length === 0 || msg.reqId.length > 128) throw new PeerError('invalid_request', 'lock needs a reqId string of 1-128 characters');
      if (!client.principal.scopes.includes('lock')) throw new PeerError('forbidden', 'this API key needs the lock scope');
      const fields = objectWith(msg, ['op', 'reqId', 'corridor', 'sendAmount', 'receiveAmount']);
      lock(client.principal, fields).then(
        ({ body }) => ws.send(`{"type":"locked","reqId":${JSON.stringify(msg.reqId)},"quote":${body}}`),
        (err) => ws.send(errorFrame(err instanceof PeerError ? err : new PeerError('internal_error', 'an unexpected error occurred'), msg.reqId)),
      );
    } else throw new PeerError('unknown_op', `unknown op ${JSON.stringify(msg.op)}; use subscribe, unsubscribe or lock`);
  }

  const heartbeat = setInterval(() => {
    const text = `{"type":"heartbeat","ts":${Date.now() * 1000}}`;
    for (const ws of clients.keys()) ws.send(text);
  }, config.heartbeatMs);
  // Legs go stale while no ticks arrive: re-price everything now and then so the stream says so.
  const sweep = setInterval(() => pricer.repriceAll(), 1_000);

  const s = config.synthetic;
  const feeds = opts.feeds === false || !s ? [] : Object.entries<any>(s.partners).map(([partner, p]) =>
    new SyntheticFeed(partner, { seed: s.seed ?? 42, ticksPerSecond: s.ticksPerSecond ?? 4, mids: s.mids }, p, (t) => pricer.onTick(t), systemFeedClock, defaultFeedTimings()));
  for (const f of feeds) f.start();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    configVersion: config.version,
    async close() {
      for (const f of feeds) f.stop();
      clearInterval(heartbeat);
      clearInterval(sweep);
      for (const ws of clients.keys()) ws.close(1001, 'server shutting down');
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

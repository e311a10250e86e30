// WS /v1/stream: one uWS topic per corridor and tier, so a snapshot fans out as one publish per topic,
// serialised once. A client gets the latest frame, never a backlog; one that stops reading is cut off.
import type { Config } from '../config/index.js';
import { fxError, isFxError, type CorridorSnapshot, type Engine, type FxError } from '../engine/index.js';
import type { ApiKeys, Principal } from './auth.js';
import { bearer } from './auth.js';
import { problem, queryParam, send } from './http.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { amountOf } from './requests.js';
import type { TemplatedApp, WebSocket } from './uws.js';

interface Client {
  principal: Principal;
  /** corridor -> subscribed topic */
  topics: Map<string, string>;
}

const HEARTBEAT_TOPIC = 'hb';
const MAX_CORRIDORS_PER_OP = 64;
const topicOf = (corridor: string, tier: number) => `q/${corridor}/${tier}`;

export function quoteFrame(s: CorridorSnapshot, tier: number): string {
  // A tier no eligible route takes (partner limits) is not tradeable even when the corridor is.
  const t = s.tradeable && s.tiers[tier]?.rate ? s.tiers[tier] : undefined;
  return JSON.stringify({
    type: 'quote', corridor: s.corridor, rate: t?.rate ?? null, mid: t ? s.mid : null, spreadBps: t?.spreadBps ?? null,
    spread: t?.spread ?? null, tier, tradeable: t !== undefined, seq: s.seq, ts: s.ts, tickTs: s.tickTs, configVersion: s.configVersion,
  });
}

const errorFrame = (err: FxError, reqId?: unknown) =>
  JSON.stringify({ type: 'error', code: err.code, detail: err.detail, ...(typeof reqId === 'string' ? { reqId } : {}) });

export class Stream {
  readonly #sockets = new Set<WebSocket<Client>>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly app: TemplatedApp,
    private readonly deps: { engine: Engine; keys: () => ApiKeys; config: () => Config; metrics: Metrics; logger: Logger; inFlight: { count: number } },
  ) {
    const { server } = deps.config();
    app.ws<Client>('/v1/stream', {
      maxPayloadLength: server.maxPayloadBytes,
      idleTimeout: server.wsIdleTimeoutSec,
      maxBackpressure: server.wsMaxBackpressureBytes,
      closeOnBackpressureLimit: 1,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const key = bearer(req.getHeader('authorization')) || queryParam(req.getQuery() ?? '', 'apiKey') || '';
        const secKey = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        let principal: Principal;
        try {
          principal = deps.keys().authorize(key, 'stream');
        } catch (err) {
          send(res, problem(err as FxError));
          return;
        }
        res.upgrade<Client>({ principal, topics: new Map() }, secKey, protocol, extensions, context);
      },
      open: (ws) => {
        this.#sockets.add(ws);
        deps.metrics.wsClients.inc();
        ws.subscribe(HEARTBEAT_TOPIC);
      },
      message: (ws, message, isBinary) => this.#onMessage(ws, message, isBinary),
      close: (ws) => {
        this.#sockets.delete(ws);
        deps.metrics.wsClients.dec();
      },
    });
    this.#unsubscribe = deps.engine.hub.subscribe((s) => this.#publish(s));
    this.#heartbeat = setInterval(() => app.publish(HEARTBEAT_TOPIC, `{"type":"heartbeat","ts":${Date.now() * 1000}}`), server.heartbeatMs);
  }

  #publish(s: CorridorSnapshot): void {
    const tiers = this.deps.engine.tierCount(s.corridor);
    for (let tier = 0; tier < tiers; tier++) {
      const topic = topicOf(s.corridor, tier);
      if (this.app.numSubscribers(topic) === 0) continue;
      this.app.publish(topic, quoteFrame(s, tier));
      this.deps.metrics.framesPublished.inc();
    }
  }

  #onMessage(ws: WebSocket<Client>, message: ArrayBuffer, isBinary: boolean): void {
    let msg: Record<string, unknown>;
    try {
      if (isBinary) throw fxError('invalid_request', 'frames must be JSON text');
      const parsed: unknown = JSON.parse(Buffer.from(message).toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fxError('invalid_request', 'a frame must be a JSON object');
      msg = parsed as Record<string, unknown>;
    } catch (err) {
      ws.send(errorFrame(isFxError(err) ? err : fxError('invalid_request', 'the frame is not valid JSON')));
      return;
    }
    try {
      switch (msg.op) {
        case 'subscribe': return this.#subscribe(ws, msg);
        case 'unsubscribe': return this.#unsubscribeOp(ws, msg);
        case 'lock': return this.#lock(ws, msg);
        default: throw fxError('unknown_op', `unknown op ${JSON.stringify(msg.op)}; use subscribe, unsubscribe or lock`);
      }
    } catch (err) {
      ws.send(errorFrame(isFxError(err) ? err : fxError('invalid_request', String(err)), msg.reqId));
    }
  }

  #corridors(msg: Record<string, unknown>): string[] {
    const list = msg.corridors;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CORRIDORS_PER_OP || !list.every((c) => typeof c === 'string'))
      throw fxError('invalid_request', `corridors must be a list of 1 to ${MAX_CORRIDORS_PER_OP} corridor ids`);
    const unknown = list.filter((c) => this.deps.engine.tierCount(c) === 0);
    if (unknown.length) throw fxError('corridor_not_found', `no corridor ${unknown.join(', ')}`);
    return list as string[];
  }

  #subscribe(ws: WebSocket<Client>, msg: Record<string, unknown>): void {
    const corridors = this.#corridors(msg);
    const tiers = corridors.map((c) => this.deps.engine.tierOf(c, msg.sendAmount)); // validates all before changing any
    const client = ws.getUserData();
    corridors.forEach((corridor, i) => {
      const topic = topicOf(corridor, tiers[i]!);
      const prev = client.topics.get(corridor);
      if (prev === topic) return;
      if (prev) ws.unsubscribe(prev);
      ws.subscribe(topic);
      client.topics.set(corridor, topic);
      // The latest price now, so a client never waits for the next tick to show something.
      const s = this.deps.engine.hub.get(corridor);
      if (s) ws.send(quoteFrame(s, tiers[i]!));
    });
  }

  #unsubscribeOp(ws: WebSocket<Client>, msg: Record<string, unknown>): void {
    const client = ws.getUserData();
    for (const corridor of this.#corridors(msg)) {
      const topic = client.topics.get(corridor);
      if (topic) ws.unsubscribe(topic);
      client.topics.delete(corridor);
    }
  }

  #lock(ws: WebSocket<Client>, msg: Record<string, unknown>): void {
    const reqId = msg.reqId;
    if (typeof reqId !== 'string' || reqId.length === 0 || reqId.length > 128) throw fxError('invalid_request', 'lock needs a reqId string of 1-128 characters');
    const unknown = Object.keys(msg).filter((k) => !['op', 'reqId', 'corridor', 'sendAmount', 'receiveAmount'].includes(k));
    if (unknown.length) throw fxError('invalid_request', `unknown fields: ${unknown.join(', ')}`);
    const client = ws.getUserData();
    if (!client.principal.scopes.has('lock')) throw fxError('forbidden', 'this API key needs the lock scope');
    const { side, amount } = amountOf(msg);
    const inFlight = this.deps.inFlight;
    inFlight.count++;
    this.deps.engine
      .lock({ corridor: msg.corridor, side, amount }, { principal: client.principal.name })
      .then(
        ({ body }) => `{"type":"locked","reqId":${JSON.stringify(reqId)},"quote":${body}}`,
        (err) => errorFrame(isFxError(err) ? err : fxError('internal_error', 'an unexpected error occurred; it was logged'), reqId),
      )
      .then((frame) => {
        inFlight.count--;
        if (this.#sockets.has(ws)) ws.send(frame);
      });
  }

  get clients(): number {
    return this.#sockets.size;
  }

  /** Closes every socket with 1001 (going away). */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const ws of [...this.#sockets]) ws.end(1001, 'server shutting down');
  }
}

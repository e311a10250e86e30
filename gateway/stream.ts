// WS /v1/stream. One uWS topic per corridor and tier, so a snapshot fans out as one native publish per topic,
// serialised once. Conflation is at the source: the hub holds only the latest snapshot per corridor, and
// with streamMinIntervalMs a corridor publishes at most once per interval (the latest wins). Each socket's
// queue is bounded: past wsMaxBackpressureBytes it is closed with 4008, so it never slows anyone else.
import { fxError, isFxError, systemClock, type CorridorSnapshot, type FxError } from '../engine/index.js';
import type { Principal } from './auth.js';
import { bearer } from './auth.js';
import type { ClientDeps } from './deps.js';
import { excerpt } from './excerpt.js';
import { conventionsOf, problem, queryParam, send, type Conventions } from './http.js';
import { lockFor, type LockPath } from './lock.js';
import { amountOf, parseWith } from './requests.js';
import { strictJsonText } from './strict-json.js';
import { Deadlines } from './deadlines.js';
import type { TemplatedApp, WebSocket } from './uws.js';
import { CLIENT_FRAMES } from './wire/index.js';

// What a socket holds is what 10k idle subscribers cost, so it is kept small: uWS copies these fields onto its
// WebSocket object, the topic strings are shared by every socket (Stream.#topicsOf), and the subscribed topics
// are an exact-size array (most sockets hold one; a Map would cost ~250 bytes a socket for that one entry).
interface Client {
  principal: Principal;
  /** the subscribed topics, at most one per corridor (replaced, never mutated: it may be the shared NO_TOPICS) */
  topics: readonly string[];
  /** quotes this socket locked and still waits to hear about: id -> reqId (made on first lock: most sockets never lock) */
  locks?: Map<string, string>;
  closing?: boolean;
}

export const CLOSE_SLOW_CONSUMER = 4008;
const HEARTBEAT_TOPIC = 'hb';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const NO_TOPICS: readonly string[] = Object.freeze([]);

export function quoteFrame(s: CorridorSnapshot, tier: number): string {
  // A tier no eligible route takes (partner limits) is not tradeable even when the corridor is.
  const t = s.tradeable && s.tiers[tier]?.rate ? s.tiers[tier] : undefined;
  return JSON.stringify({
    type: 'quote', corridor: s.corridor, rate: t?.rate ?? null, mid: t ? s.mid : null, spreadBps: t?.spreadBps ?? null,
    spread: t?.spread ?? null, tier, tradeable: t !== undefined, reason: t ? undefined : (s.reason ?? 'no_route'), seq: s.seq, ts: s.ts, tickTs: s.tickTs, configVersion: s.configVersion,
  });
}

const errorFrame = (err: FxError, reqId?: unknown) =>
  JSON.stringify({ type: 'error', code: err.code, detail: err.detail, ...err.extra, ...(typeof reqId === 'string' ? { reqId } : {}) });

export class Stream {
  readonly #sockets = new Set<WebSocket<Client>>();
  readonly #connections = new Map<string, number>();
  readonly #subscriptions = new Map<string, number>();
  /** corridor -> its topic per tier, made once: every socket on a topic holds this one string */
  readonly #topics = new Map<string, string[]>();
  /** topic -> the frame of the last snapshot serialised for it: sockets that subscribe in a burst share one text */
  readonly #frames = new Map<string, { s: CorridorSnapshot; frame: string }>();
  /** corridor -> when it last published, and the snapshot held back by the minimum interval */
  readonly #paced = new Map<string, { at: number; pending?: CorridorSnapshot; timer?: NodeJS.Timeout }>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  /** quote id -> the socket that locked it and waits to hear of it (so a redeem finds it without a scan) */
  readonly #lockedBy = new Map<string, WebSocket<Client>>();
  /** When each watched quote expires (one timer for all of them): then the store says whether it did. */
  readonly #expiries = new Deadlines<{ ws: WebSocket<Client>; id: string; expiresAtMs: number }>((w) => this.#expired(w.ws, w.id, w.expiresAtMs));

  constructor(
    private readonly app: TemplatedApp,
    private readonly deps: ClientDeps,
    private readonly locks: LockPath,
    /** Requests and stream locks being answered now; shutdown waits for them. */
    private readonly inFlight: { count: number },
    conventions: Conventions,
  ) {
    const { server } = deps.config().config;
    app.ws<Client>('/v1/stream', {
      // Frames up to the bound are read; up to 4x it they are answered payload_too_large; past that uWS drops the socket.
      maxPayloadLength: server.maxPayloadBytes * 4,
      idleTimeout: server.wsIdleTimeoutSec,
      // We close a socket at the bound; uWS's own limit (where it silently skips frames) sits at twice that,
      // so there is always room for our close frame and the client learns why.
      maxBackpressure: server.wsMaxBackpressureBytes * 2,
      closeOnBackpressureLimit: 0,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const key = bearer(req.getHeader('authorization')) || queryParam(req.getQuery() ?? '', 'apiKey') || '';
        const secKey = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        let principal: Principal;
        try {
          if (!locks.accepting()) throw fxError('shutting_down', 'the server is shutting down; connect to another instance');
          principal = deps.keys().authorize(key, 'stream');
          if ((this.#connections.get(principal.name) ?? 0) >= principal.limits.connections) {
            deps.metrics.rateLimited.inc({ limit: 'connections' });
            throw fxError('rate_limited', `this API key already holds ${principal.limits.connections} connections`, { retryAfterSec: 1 });
          }
        } catch (err) {
          const to = { ...conventionsOf(req, conventions), authorization: req.getHeader('authorization'), head: false };
          send(res, problem(err as FxError, to), to);
          return;
        }
        res.upgrade<Client>({ principal, topics: NO_TOPICS }, secKey, protocol, extensions, context);
      },
      open: (ws) => {
        const { principal } = ws.getUserData();
        this.#sockets.add(ws);
        this.#connections.set(principal.name, (this.#connections.get(principal.name) ?? 0) + 1);
        deps.metrics.wsClients.inc();
        ws.subscribe(HEARTBEAT_TOPIC);
      },
      message: (ws, message, isBinary) => this.#onMessage(ws, message, isBinary),
      close: (ws) => {
        const client = ws.getUserData();
        this.#sockets.delete(ws);
        this.#connections.set(client.principal.name, (this.#connections.get(client.principal.name) ?? 1) - 1);
        this.#countSubscriptions(client.principal, -client.topics.length);
        for (const id of client.locks?.keys() ?? []) this.#lockedBy.delete(id);
        deps.metrics.wsClients.dec();
      },
    });
    this.#unsubscribe.push(deps.hub.subscribe((s) => this.#pace(s)));
    this.#unsubscribe.push(deps.store.onRedeemed((id, body, owner) => this.#redeemed(id, body, owner)));
    this.#timers.push(setInterval(() => app.publish(HEARTBEAT_TOPIC, `{"type":"heartbeat","ts":${systemClock.nowUs()}}`), server.heartbeatMs));
    this.#timers.push(setInterval(() => this.#cutSlowConsumers(), server.wsSlowConsumerCheckMs));
  }

  /** Holds a snapshot back if its corridor published less than streamMinIntervalMs ago; the latest wins. */
  #pace(s: CorridorSnapshot): void {
    const interval = this.deps.config().config.server.streamMinIntervalMs;
    if (interval === 0) return this.#publish(s);
    const now = Date.now();
    const p = this.#paced.get(s.corridor) ?? { at: 0 };
    this.#paced.set(s.corridor, p);
    if (now - p.at >= interval && !p.timer) {
      p.at = now;
      return this.#publish(s);
    }
    if (p.pending) this.deps.metrics.framesConflated.inc();
    p.pending = s;
    p.timer ??= setTimeout(() => {
      p.timer = undefined;
      p.at = Date.now();
      if (p.pending) this.#publish(p.pending);
      p.pending = undefined;
    }, Math.max(0, p.at + interval - now));
  }

  /** The corridor's topic for each tier (`q/<corridor>/<tier>`), one string each for every socket and publish. */
  #topicsOf(corridor: string, tiers: number): readonly string[] {
    let topics = this.#topics.get(corridor);
    if (!topics) this.#topics.set(corridor, (topics = []));
    for (let tier = topics.length; tier < tiers; tier++) topics.push(`q/${corridor}/${tier}`);
    return topics;
  }

  /** The snapshot's frame for a topic, serialised once however many sockets it goes to. */
  #frameOf(s: CorridorSnapshot, topic: string, tier: number): string {
    const last = this.#frames.get(topic);
    if (last?.s === s) return last.frame;
    const frame = quoteFrame(s, tier);
    if (last) (last.s = s), (last.frame = frame);
    else this.#frames.set(topic, { s, frame });
    return frame;
  }

  /** Where the socket's topic for this corridor is in its list, or -1. */
  #indexOf(client: Client, corridor: string): number {
    const topics = this.#topics.get(corridor);
    return topics ? client.topics.findIndex((t) => topics.includes(t)) : -1;
  }

  #publish(s: CorridorSnapshot): void {
    const start = performance.now();
    const tiers = this.deps.desk.tierCount(s.corridor);
    const topics = this.#topicsOf(s.corridor, tiers);
    for (let tier = 0; tier < tiers; tier++) {
      const topic = topics[tier]!;
      if (this.app.numSubscribers(topic) === 0) continue;
      this.app.publish(topic, this.#frameOf(s, topic, tier));
      this.deps.metrics.framesPublished.inc();
    }
    this.deps.metrics.wsPublish.observe((performance.now() - start) / 1000);
  }

  /** A socket whose queue passed the bound is not reading fast enough: close it with a clear code. */
  #cutSlowConsumers(): void {
    const limit = this.deps.config().config.server.wsMaxBackpressureBytes;
    for (const ws of this.#sockets) {
      const client = ws.getUserData();
      if (client.closing || ws.getBufferedAmount() < limit) continue;
      client.closing = true;
      this.deps.metrics.wsSlowCloses.inc();
      ws.end(CLOSE_SLOW_CONSUMER, 'slow consumer: frames queued past the bound');
      // The close frame waits behind the queue; a socket that never drains is dropped outright.
      setTimeout(() => this.#sockets.has(ws) && ws.close(), 2_000).unref();
    }
  }

  #onMessage(ws: WebSocket<Client>, message: ArrayBuffer, isBinary: boolean): void {
    let msg: Record<string, unknown>;
    try {
      const max = this.deps.config().config.server.maxPayloadBytes;
      if (message.byteLength > max) throw fxError('payload_too_large', `frames must be at most ${max} bytes`);
      if (isBinary) throw fxError('invalid_request', 'frames must be JSON text');
      let text: string;
      try {
        text = utf8.decode(message);
      } catch {
        throw fxError('invalid_json', 'the frame is not valid UTF-8');
      }
      const parsed = strictJsonText(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fxError('invalid_request', 'a frame must be a JSON object');
      msg = parsed as Record<string, unknown>;
    } catch (err) {
      ws.send(errorFrame(isFxError(err) ? err : fxError('invalid_json', 'the frame is not valid JSON')));
      return;
    }
    try {
      switch (msg.op) {
        case 'subscribe': return this.#subscribe(ws, msg);
        case 'unsubscribe': return this.#unsubscribeOp(ws, msg);
        case 'lock': return this.#lock(ws, msg);
        default: throw fxError('unknown_op', `unknown op ${excerpt(msg.op)}; use subscribe, unsubscribe or lock`);
      }
    } catch (err) {
      if (!isFxError(err)) this.deps.logger.error({ err, op: msg.op }, 'stream frame failed');
      ws.send(errorFrame(isFxError(err) ? err : fxError('internal_error', 'an unexpected error occurred; it was logged'), msg.reqId));
    }
  }

  /** The corridors of a parsed subscribe or unsubscribe, every one configured. */
  #corridors(list: string[]): string[] {
    const unknown = list.filter((c) => this.deps.desk.tierCount(c) === 0);
    if (unknown.length) throw fxError('corridor_not_found', `no corridor ${unknown.slice(0, 3).map(excerpt).join(', ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}`);
    return list;
  }

  #countSubscriptions(principal: Principal, delta: number): void {
    if (delta === 0) return;
    this.#subscriptions.set(principal.name, (this.#subscriptions.get(principal.name) ?? 0) + delta);
    this.deps.metrics.wsSubscriptions.inc(delta);
  }

  #subscribe(ws: WebSocket<Client>, raw: Record<string, unknown>): void {
    const msg = parseWith(CLIENT_FRAMES.subscribe, raw, 'frame');
    const corridors = this.#corridors(msg.corridors);
    const tiers = corridors.map((c) => this.deps.desk.tierOf(c, msg.sendAmount)); // validates all before changing any
    const client = ws.getUserData();
    const added = new Set(corridors.filter((c) => this.#indexOf(client, c) < 0)).size;
    const held = this.#subscriptions.get(client.principal.name) ?? 0;
    if (held + added > client.principal.limits.subscriptions) {
      this.deps.metrics.rateLimited.inc({ limit: 'subscriptions' });
      throw fxError('rate_limited', `this API key may hold ${client.principal.limits.subscriptions} subscriptions`, { retryAfterSec: 1 });
    }
    corridors.forEach((corridor, i) => {
      const topic = this.#topicsOf(corridor, this.deps.desk.tierCount(corridor))[tiers[i]!]!;
      const at = this.#indexOf(client, corridor);
      const prev = at < 0 ? undefined : client.topics[at];
      if (prev === topic) return;
      if (prev) ws.unsubscribe(prev);
      else this.#countSubscriptions(client.principal, 1);
      ws.subscribe(topic);
      client.topics = at < 0 ? client.topics.concat(topic) : client.topics.with(at, topic);
      // The latest price now, so a client never waits for the next tick to show something.
      const s = this.deps.hub.get(corridor);
      if (s) ws.send(this.#frameOf(s, topic, tiers[i]!));
    });
  }

  #unsubscribeOp(ws: WebSocket<Client>, raw: Record<string, unknown>): void {
    const msg = parseWith(CLIENT_FRAMES.unsubscribe, raw, 'frame');
    const client = ws.getUserData();
    for (const corridor of this.#corridors(msg.corridors)) {
      const at = this.#indexOf(client, corridor);
      if (at < 0) continue;
      ws.unsubscribe(client.topics[at]!);
      client.topics = client.topics.toSpliced(at, 1);
      this.#countSubscriptions(client.principal, -1);
    }
  }

  /** The same lock path as REST (scope, shutdown, rate limit, then the desk), answered with a locked or an error frame. */
  #lock(ws: WebSocket<Client>, msg: Record<string, unknown>): void {
    const reqId = msg.reqId;
    if (typeof reqId !== 'string' || reqId.length === 0 || reqId.length > 128) throw fxError('invalid_request', 'lock needs a reqId string of 1-128 characters');
    const inFlight = this.inFlight;
    lockFor(this.locks, ws.getUserData().principal, () => {
      const frame = parseWith(CLIENT_FRAMES.lock, msg, 'frame');
      return { request: { corridor: frame.corridor, ...amountOf(frame) } };
    }, (err, outcome) => {
      inFlight.count--;
      if (!this.#sockets.has(ws)) return;
      if (err === undefined) {
        if (outcome!.id !== undefined) this.#watch(ws, reqId, outcome!.id, outcome!.expiresAtMs!);
        return void ws.send(`{"type":"locked","reqId":${JSON.stringify(reqId)},"quote":${outcome!.body}}`);
      }
      if (!isFxError(err)) this.deps.logger.error({ err, reqId }, 'stream lock failed');
      ws.send(errorFrame(isFxError(err) ? err : fxError('internal_error', 'an unexpected error occurred; it was logged'), reqId));
    });
    inFlight.count++; // after lockFor: a refusal it throws never counted (its frame is sent by #onMessage)
  }

  /** Tells the locking socket (its owner's) when its quote is redeemed (any process) or expires (by the store's word). */
  #watch(ws: WebSocket<Client>, reqId: string, id: string, expiresAtMs: number): void {
    (ws.getUserData().locks ??= new Map()).set(id, reqId);
    this.#lockedBy.set(id, ws);
    this.#expiries.add(expiresAtMs + 50, { ws, id, expiresAtMs });
  }

  #expired(ws: WebSocket<Client>, id: string, expiresAtMs: number): void {
    const client = ws.getUserData();
    if (!this.#sockets.has(ws) || !client.locks?.has(id)) return; // closed, or told of its redeem already
    void this.deps.desk.getQuote(id, { owner: client.principal.name }).then(
      (current) => {
        this.#lockedBy.delete(id);
        const reqId = client.locks?.get(id);
        if (!this.#sockets.has(ws) || reqId === undefined || !client.locks!.delete(id)) return;
        const q = JSON.parse(current) as { status: string; redeemedAt?: string };
        if (q.status === 'expired') ws.send(JSON.stringify({ type: 'quote_expired', reqId, id, expiresAt: new Date(expiresAtMs).toISOString() }));
        else if (q.status === 'redeemed') ws.send(JSON.stringify({ type: 'quote_redeemed', reqId, id, redeemedAt: q.redeemedAt }));
      },
      () => {
        this.#lockedBy.delete(id);
        client.locks?.delete(id); // store unreachable: nothing sure to say
      },
    );
  }

  /** Every gateway hears every redeem: most are for quotes no socket here locked. Only the owner's socket is told. */
  #redeemed(id: string, body: string, owner: string): void {
    const ws = this.#lockedBy.get(id);
    if (!ws) return;
    const client = ws.getUserData();
    if (owner !== '' && client.principal.name !== owner) return;
    this.#lockedBy.delete(id);
    const reqId = client.locks?.get(id);
    if (reqId === undefined) return;
    client.locks!.delete(id);
    const { redeemedAt } = JSON.parse(body) as { redeemedAt: string };
    ws.send(JSON.stringify({ type: 'quote_redeemed', reqId, id, redeemedAt }));
  }

  get clients(): number {
    return this.#sockets.size;
  }

  /** Closes every socket with 1001 (going away). */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#expiries.close();
    for (const p of this.#paced.values()) clearTimeout(p.timer);
    for (const u of this.#unsubscribe) u();
    for (const ws of [...this.#sockets]) ws.end(1001, 'server shutting down');
  }
}

// The uWS app: REST /v1, the stream, health and metrics. The wire contract is DESIGN.md's (shared/), with the
// error codes in docs/errors.md.
import { fxError } from '../engine/index.js';
import { bearer } from './auth.js';
import type { ClientDeps, GatewayDeps } from './deps.js';
import { handler, json, objectBody, problem, send, type Incoming, type Reply, type RouteOptions } from './http.js';
import { lockFor, type LockPath } from './lock.js';
import { amountOf, idempotencyKey } from './requests.js';
import { Stream } from './stream.js';
import { uws, type TemplatedApp, type us_listen_socket } from './uws.js';

const bodyReply = (status: number, body: string, headers?: Record<string, string>): Reply => ({ status, body, headers });

export class Gateway {
  readonly app: TemplatedApp;
  /** The WS stream (absent without a quote desk, on a pricer). */
  readonly stream: Stream | undefined;
  /** Requests and stream locks being answered now; shutdown waits for them. */
  readonly inFlight = { count: 0 };
  #listenSocket: us_listen_socket | undefined;
  #accepting = true;

  constructor(private readonly deps: GatewayDeps) {
    this.app = uws.App();
    const { desk } = deps;
    if (desk) {
      const client: ClientDeps = { ...deps, desk };
      const locks: LockPath = { desk, limits: deps.limits, accepting: () => this.#accepting };
      this.stream = new Stream(this.app, client, locks, this.inFlight);
      this.#clientRoutes(client, locks);
    }
    this.#opsRoutes();
  }

  #route(method: 'get' | 'post', pattern: string, opts: RouteOptions, fn: (req: Incoming) => Promise<Reply> | Reply): void {
    // Metrics by the route's pattern, not the raw URL: bounded labels whatever clients send.
    const observe = this.deps.metrics.httpObserver(pattern, method.toUpperCase());
    const h = handler(opts, fn, {
      inFlight: this.inFlight,
      onInternalError: (err, url) => this.deps.logger.error({ err, url: url }, 'request failed'),
      observe,
    });
    this.app[method](pattern, (res, req) => {
      if (!this.#accepting) return (send(res, problem(fxError('shutting_down', 'the server is shutting down; retry on another instance'))), observe(503, 0));
      h(res, req);
    });
  }

  #clientRoutes({ desk, keys, limits }: ClientDeps, locks: LockPath): void {
    const maxBodyBytes = this.deps.config().config.server.maxPayloadBytes;
    const principal = (req: Incoming) => keys().authenticate(bearer(req.authorization));
    const auth = (req: Incoming, ...scopes: Parameters<ReturnType<typeof keys>['authorize']>[1][]) => keys().authorize(bearer(req.authorization), ...scopes);

    this.#route('get', '/v1/corridors', {}, (req) => {
      auth(req, 'stream');
      return json(200, { corridors: desk.corridors() });
    });

    this.#route('get', '/v1/corridors/:id', { params: 1 }, (req) => {
      auth(req, 'stream');
      return json(200, desk.corridor(req.params[0]!));
    });

    this.#route('get', '/v1/corridors/:id/quote', { params: 1 }, (req) => {
      auth(req, 'stream');
      const query = Object.fromEntries(new URLSearchParams(req.query));
      const { side, amount } = amountOf(objectBody(query, ['sendAmount', 'receiveAmount']));
      return json(200, desk.indicative(req.params[0], side, amount));
    });

    this.#route('post', '/v1/quotes', { maxBodyBytes }, async (req) => {
      const { body: quote, replayed } = await lockFor(locks, principal(req), () => {
        const key = idempotencyKey(req.idempotencyKey, false);
        const body = objectBody(req.body, ['corridor', 'sendAmount', 'receiveAmount']);
        return { request: { corridor: body.corridor, ...amountOf(body) }, idempotencyKey: key };
      });
      return bodyReply(201, quote, replayed ? { 'idempotent-replayed': 'true' } : undefined);
    });

    this.#route('get', '/v1/quotes/:id', { params: 1 }, async (req) => {
      auth(req, 'lock', 'redeem');
      return bodyReply(200, await desk.getQuote(req.params[0]!));
    });

    this.#route('post', '/v1/quotes/:id/redeem', { params: 1, maxBodyBytes }, async (req) => {
      limits.take(auth(req, 'redeem'), 'redeem');
      const key = idempotencyKey(req.idempotencyKey, true)!;
      const body = objectBody(req.body, ['sendAmount', 'receiveAmount', 'corridor']);
      const { body: quote, replayed } = await desk.redeem({ id: req.params[0]!, idempotencyKey: key, ...body });
      return bodyReply(200, quote, replayed ? { 'idempotent-replayed': 'true' } : undefined);
    });
  }

  #opsRoutes(): void {
    const { hub, store, config, metrics } = this.deps;
    const clientApi = this.stream !== undefined;
    this.#route('get', '/healthz', {}, () => json(200, { status: 'ok' }));

    this.#route('get', '/readyz', {}, () => {
      const loaded = config();
      const checks = {
        config: loaded.version,
        store: store.up ? 'up' : 'down',
        tradeableCorridors: hub.tradeable(loaded.config.corridors).filter((c) => c.tradeable).length,
      };
      const ready = this.#accepting && store.up && checks.tradeableCorridors > 0;
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...checks });
    });

    this.#route('get', '/metrics', {}, async () => ({
      status: 200, body: await metrics.registry.metrics(), headers: { 'content-type': metrics.registry.contentType },
    }));

    const unmatched = new Map<string, (status: number, seconds: number) => void>();
    this.app.any('/*', (res, req) => {
      const method = req.getMethod();
      const url = req.getUrl();
      const known = /^\/(healthz|readyz|metrics)$/.test(url) ||
        (clientApi && /^\/v1\/(corridors(\/[^/]+(\/quote)?)?|quotes(\/[^/]+(\/redeem)?)?|stream)$/.test(url));
      const reply = problem(known ? fxError('method_not_allowed', `${method.toUpperCase()} is not allowed here`) : fxError('not_found', `no route ${url}`));
      send(res, reply);
      // One label for every unmatched URL; methods beyond the usual ones fold into OTHER.
      const m = /^(get|post|put|patch|delete|head|options)$/.test(method) ? method.toUpperCase() : 'OTHER';
      let observe = unmatched.get(m);
      if (!observe) unmatched.set(m, (observe = metrics.httpObserver('unmatched', m)));
      observe(reply.status, 0);
    });
  }

  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
        this.#listenSocket = socket;
        resolve(uws.us_socket_local_port(socket as never));
      });
    });
  }

  /** Stops accepting, lets in-flight locks and redeems finish (bounded), then closes every socket. */
  async close(graceMs = 5_000): Promise<void> {
    this.#accepting = false;
    if (this.#listenSocket) uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
    const deadline = Date.now() + graceMs;
    while (this.inFlight.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.stream?.close();
    // Let the 1001 close frames flush before the app tears the sockets down.
    await new Promise((r) => setTimeout(r, 20));
    // close() exists on the native app but is missing from the package's typings.
    (this.app as TemplatedApp & { close(): void }).close();
  }
}

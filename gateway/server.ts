// The uWS app: REST /v1, the stream, health, metrics, the contract and the error docs. Every route comes from
// the route table (gateway/wire/routes.ts), which the OpenAPI document is generated from; the stream's
// messages are in docs/asyncapi.yaml, the error codes in docs/errors.md (served at /docs/errors).
import { fxError, isFxError, type FxError } from '../engine/index.js';
import { bearer } from './auth.js';
import type { ClientDeps, GatewayDeps } from './deps.js';
import { deskRoutes } from './desk-routes.js';
import { errorDocsPage } from './error-docs.js';
import { conflictingLength, conventionsOf, CORS_ALLOWED_HEADERS, handler, refuseFraming, json, problem, send, type Conventions, type Incoming, type Reply, type RouteFn } from './http.js';
import { lockFor, type LockPath } from './lock.js';
import { amountOf, idempotencyKey, parseWith } from './requests.js';
import { Stream } from './stream.js';
import { uws, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from './uws.js';
import { methodsAt, renderOpenApi, ROUTES, uwsPattern, type RouteSpec, type Wire } from './wire/index.js';

const bodyReply = (status: number, body: string, headers?: Record<string, string>): Reply => ({ status, body, headers });
const REPLAYED = Object.freeze({ 'idempotent-replayed': 'true' });

/** Allow header value for a URL's methods: a GET route answers HEAD too; OPTIONS everywhere. */
const allowOf = (methods: string[]) => [...methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])), 'OPTIONS'].join(', ');

export class Gateway {
  readonly app: TemplatedApp;
  /** The WS stream (absent without a quote desk, on a pricer). */
  readonly stream: Stream | undefined;
  /** Requests and stream locks being answered now; shutdown waits for them. */
  readonly inFlight = { count: 0 };
  #listenSocket: us_listen_socket | undefined;
  #accepting = true;
  /** The routes this gateway serves (a pricer serves only the operations ones). */
  readonly #served: RouteSpec[] = [];
  readonly #conventions: Conventions;
  readonly #unmatched = new Map<string, (status: number, seconds: number) => void>();

  constructor(private readonly deps: GatewayDeps) {
    this.app = uws.App();
    const { server } = deps.config().config;
    this.#conventions = { corsOrigins: server.corsOrigins, publicUrl: server.publicUrl, logger: deps.logger };
    const { desk } = deps;
    if (desk) {
      const client: ClientDeps = { ...deps, desk };
      const locks: LockPath = { desk, limits: deps.limits, accepting: () => this.#accepting };
      this.stream = new Stream(this.app, client, locks, this.inFlight, this.#conventions);
      this.#served.push(ROUTES.stream);
      this.#clientRoutes(client, locks);
      if (deps.admin) deskRoutes((spec, fn) => this.#route(spec, fn), { ...client, admin: deps.admin });
    }
    this.#opsRoutes();
    this.app.any('/*', (res, req) => this.#fallback(res, req));
  }

  #route(spec: RouteSpec, fn: RouteFn): void {
    const maxBodyBytes = spec.body ? this.deps.config().config.server.maxPayloadBytes : undefined;
    const params = (spec.path.match(/\{\w+\}/g) ?? []).length;
    const pattern = uwsPattern(spec.path);
    // Metrics by the route's pattern, not the raw URL: bounded labels whatever clients send.
    const observe = this.deps.metrics.httpObserver(pattern, spec.method.toUpperCase());
    const h = handler({ params, maxBodyBytes }, fn, { inFlight: this.inFlight, conventions: this.#conventions, observe });
    const serve = (res: HttpResponse, req: HttpRequest) => {
      if (!this.#accepting) return (this.#refuse(res, req, fxError('shutting_down', 'the server is shutting down; retry on another instance')), observe(503, 0));
      h(res, req);
    };
    this.app[spec.method](pattern, serve);
    if (spec.method === 'get') this.app.head(pattern, serve);
    this.#served.push(spec);
  }

  /** A refusal outside a route's handler (shutdown, no route, wrong method), with the same conventions. */
  #refuse(res: HttpResponse, req: HttpRequest, err: FxError, headers?: Record<string, string>): void {
    const to = { ...conventionsOf(req, this.#conventions), authorization: '', head: req.getMethod() === 'head', headers };
    send(res, problem(err, to), to);
  }

  #clientRoutes({ desk, keys, limits }: ClientDeps, locks: LockPath): void {
    const principal = (req: Incoming) => keys().fromHeader(req.authorization);
    const auth = (req: Incoming, spec: RouteSpec) => keys().authorize(bearer(req.authorization), ...spec.scopes!);

    this.#route(ROUTES.listCorridors, (req) => {
      auth(req, ROUTES.listCorridors);
      return json(200, { corridors: desk.corridors() } satisfies Wire.CorridorList);
    });

    this.#route(ROUTES.getCorridor, (req) => {
      auth(req, ROUTES.getCorridor);
      return json(200, desk.corridor(req.params[0]!) satisfies Wire.Corridor);
    });

    this.#route(ROUTES.indicativeQuote, (req) => {
      auth(req, ROUTES.indicativeQuote);
      const query = parseWith(ROUTES.indicativeQuote.query, Object.fromEntries(new URLSearchParams(req.query)), 'query');
      const { side, amount } = amountOf(query);
      return json(200, desk.indicative(req.params[0], side, amount) satisfies Wire.IndicativeQuote);
    });

    // Answered from the store's callback: no promise between the request and its 201.
    this.#route(ROUTES.lockQuote, (req, respond) => {
      const p = principal(req);
      const withLimits = () => (req.headers = limits.headers(p, 'lock'));
      const answer = (reply: Reply) => (withLimits(), respond(reply));
      try {
        lockFor(locks, p, () => {
          const key = idempotencyKey(req.idempotencyKey, false);
          const body = parseWith(ROUTES.lockQuote.body, req.body, 'body');
          return { request: { corridor: body.corridor, ...amountOf(body) }, idempotencyKey: key };
        }, (err, outcome) => {
          if (err === undefined) return answer(bodyReply(201, outcome!.body, outcome!.replayed ? REPLAYED : undefined));
          if (!isFxError(err)) this.deps.logger.child({ requestId: req.requestId }).error({ err, url: req.url }, 'request failed');
          answer(problem(isFxError(err) ? err : fxError('internal_error', 'an unexpected error occurred; it was logged'), req));
        });
      } catch (err) {
        withLimits(); // a refusal before the desk (scope, shutdown, rate limit, a bad body) carries them too
        throw err;
      }
      return undefined;
    });

    // A quote belongs to the key that locked it: a lock-scope key sees only its own (any other is 404, as if
    // it did not exist); a redeem-scope key (the transfer service) sees every quote.
    this.#route(ROUTES.getQuote, async (req) => {
      const p = auth(req, ROUTES.getQuote);
      return bodyReply(200, await desk.getQuote(req.params[0]!, p.scopes.has('redeem') ? {} : { owner: p.name }));
    });

    this.#route(ROUTES.redeemQuote, async (req) => {
      const p = auth(req, ROUTES.redeemQuote);
      try {
        limits.take(p, 'redeem');
        const key = idempotencyKey(req.idempotencyKey, true)!;
        const body = parseWith(ROUTES.redeemQuote.body, req.body, 'body');
        const { body: quote, replayed: again } = await desk.redeem({ id: req.params[0]!, caller: p.name, idempotencyKey: key, ...body });
        return bodyReply(200, quote, again ? REPLAYED : undefined);
      } finally {
        req.headers = limits.headers(p, 'redeem');
      }
    });
  }

  #opsRoutes(): void {
    const { hub, store, config, metrics } = this.deps;
    this.#route(ROUTES.health, () => json(200, { status: 'ok' } satisfies Wire.Health));

    this.#route(ROUTES.readiness, () => {
      const loaded = config();
      const checks = {
        config: loaded.version,
        store: store.up ? 'up' : 'down',
        tradeableCorridors: hub.tradeable(loaded.config.corridors).filter((c) => c.tradeable).length,
      } as const;
      const ready = this.#accepting && store.up && checks.tradeableCorridors > 0;
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...checks } satisfies Wire.Readiness);
    });

    this.#route(ROUTES.metrics, async () => ({
      status: 200, body: await metrics.registry.metrics(), headers: { 'content-type': metrics.registry.contentType },
    }));

    const openapi = renderOpenApi();
    this.#route(ROUTES.openapi, () => ({ status: 200, body: openapi, headers: { 'content-type': 'application/json' } }));

    const errorDocs = errorDocsPage();
    this.#route(ROUTES.errorDocs, () => ({ status: 200, body: errorDocs, headers: { 'content-type': 'text/html; charset=utf-8' } }));
  }

  /** No route for this method: a CORS preflight or OPTIONS (204 with Allow), 405 with Allow, or 404. */
  #fallback(res: HttpResponse, req: HttpRequest): void {
    if (conflictingLength(req)) return refuseFraming(res, { ...conventionsOf(req, this.#conventions), authorization: '', head: false });
    const method = req.getMethod();
    const url = req.getUrl();
    // One label for every unmatched URL; methods beyond the usual ones fold into OTHER.
    const m = /^(get|post|put|patch|delete|head|options)$/.test(method) ? method.toUpperCase() : 'OTHER';
    let observe = this.#unmatched.get(m);
    if (!observe) this.#unmatched.set(m, (observe = this.deps.metrics.httpObserver('unmatched', m)));
    const methods = methodsAt(this.#served, url);
    if (methods.length === 0) return (this.#refuse(res, req, fxError('not_found', `no route ${url.length > 64 ? `${url.slice(0, 64)}…` : url}`)), observe(404, 0));
    const allow = allowOf(methods);
    if (method !== 'options') return (this.#refuse(res, req, fxError('method_not_allowed', `${method.toUpperCase()} is not allowed here; use ${allow}`), { allow }), observe(405, 0));
    observe(204, 0);
    const to = { ...conventionsOf(req, this.#conventions), head: true, headers: { allow } as Record<string, string> };
    if (to.origin !== '' && req.getHeader('access-control-request-method') !== '')
      Object.assign(to.headers, { 'access-control-allow-methods': allow, 'access-control-allow-headers': CORS_ALLOWED_HEADERS, 'access-control-max-age': '600' });
    send(res, { status: 204, body: '' }, to);
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

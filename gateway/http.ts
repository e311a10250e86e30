// Small HTTP helpers over uWS: coded problem+json errors, strict bounded JSON bodies, the conventions every
// answer carries (X-Request-Id, CORS for configured origins, HEAD without a body), corked replies from callbacks.
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { ERRORS, fxError, isFxError, type FxError } from '../engine/index.js';
import { excerpt } from './excerpt.js';
import { strictJson } from './strict-json.js';
import type { HttpRequest, HttpResponse } from './uws.js';

export interface Reply {
  status: number;
  /** A JSON body, already serialised (store bodies are sent byte for byte). */
  body: string;
  headers?: Record<string, string>;
}

export interface Incoming {
  method: string;
  url: string;
  query: string;
  params: string[];
  authorization: string;
  idempotencyKey: string | undefined;
  body: unknown;
  /** The client's X-Request-Id when sane, else a generated one; echoed on the answer and on its log lines. */
  requestId: string;
  /** The Origin header when it is one CORS allows (else ''). */
  origin: string;
  /** Where the problem type URIs point (`<base>/docs/errors#<code>`). */
  docsBase: string;
  /** HEAD: the answer is sent without its body. */
  head: boolean;
  /** Headers a route adds to whatever it answers, refusals included (RateLimit). */
  headers?: Record<string, string>;
}

/** What every request of one gateway shares, built once. */
export interface Conventions {
  /** Allowed CORS origins ("*" for any); empty: no CORS headers at all. */
  corsOrigins: readonly string[];
  /** Base of the problem type URIs; without it, http://<Host>. */
  publicUrl: string | undefined;
  logger: Logger;
}

/** Headers a browser app on another origin may read. */
const EXPOSED = 'X-Request-Id, Idempotent-Replayed, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate, Allow';
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Request-Id';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

const statusLines = new Map<number, string>();
const statusLine = (status: number) => {
  let line = statusLines.get(status);
  if (line === undefined) statusLines.set(status, (line = `${status} ${STATUS_CODES[status] ?? ''}`));
  return line;
};

export const json = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({ status, body: JSON.stringify(value), headers });

/**
 * A request id for a request that brought none: UUID-shaped (8-4-4-4-12 hex), a random per-process prefix and
 * a counter, so ids are unique across the fleet without a CSPRNG draw and a 36-character build per request
 * (randomUUID's serialisation allocates ~0.6 KB). Not a secret: it only ties log lines to an answer.
 */
const requestIds = { prefix: '', next: 0 };
function newRequestId(): string {
  if (requestIds.next % 0x1000000 === 0) {
    const hex = randomBytes(13).toString('hex');
    requestIds.prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 26)}`;
    requestIds.next = 0;
  }
  return requestIds.prefix + (0x1000000 + requestIds.next++).toString(16).slice(1);
}

/** The problem type base for a Host header: clients send the same few, so the last one's is kept. */
const docsBases = { host: '', base: 'http://localhost' };
function docsBaseOf(host: string): string {
  if (host !== docsBases.host) {
    docsBases.base = `http://${HOST.test(host) ? host : 'localhost'}`;
    docsBases.host = host;
  }
  return docsBases.base;
}

/** The conventions of one request, read from the (stack-allocated) uWS request while it is valid. */
export function conventionsOf(req: HttpRequest, c: Conventions): Pick<Incoming, 'requestId' | 'origin' | 'docsBase'> {
  return { requestId: requestIdOf(req), origin: originOf(req, c), docsBase: docsBaseFor(req, c) };
}

/** The problem type base: the configured public URL, else this request's Host. */
function docsBaseFor(req: HttpRequest, c: Conventions): string {
  return c.publicUrl ?? docsBaseOf(req.getHeader('host'));
}

function requestIdOf(req: HttpRequest): string {
  const given = req.getHeader('x-request-id');
  return given !== '' && REQUEST_ID.test(given) ? given : newRequestId();
}

function originOf(req: HttpRequest, c: Conventions): string {
  if (c.corsOrigins.length === 0) return '';
  const o = req.getHeader('origin');
  return o !== '' && (c.corsOrigins.includes(o) || c.corsOrigins.includes('*')) ? o : '';
}

export function problem(err: FxError, to?: Pick<Incoming, 'docsBase' | 'authorization'>): Reply {
  const body = {
    type: `${to?.docsBase ?? 'http://localhost'}/docs/errors#${err.code}`, title: ERRORS[err.code].title, status: err.status,
    detail: err.detail, code: err.code, ...err.extra,
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (err.code === 'rate_limited' && err.extra?.retryAfterSec !== undefined) headers['retry-after'] = String(err.extra.retryAfterSec);
  // RFC 6750: a key that was sent and is not recognised is an invalid token; no key at all is just a challenge.
  if (err.code === 'unauthorized') headers['www-authenticate'] = to?.authorization ? 'Bearer realm="fx", error="invalid_token"' : 'Bearer realm="fx"';
  return { status: err.status, body: JSON.stringify(body), headers };
}

/** What the corked write below sends: set just before res.cork, which runs it at once (no closure per answer). */
const corked: { res: HttpResponse | undefined; reply: Reply; to: Pick<Incoming, 'requestId' | 'origin' | 'head' | 'headers'> | undefined; close: boolean; resume: boolean } = {
  res: undefined, reply: { status: 0, body: '' }, to: undefined, close: false, resume: false,
};

function writeCorked(): void {
  const { res, reply, to, close, resume } = corked;
  corked.res = corked.to = undefined;
  if (resume) res!.resume(); // a socket paused while its answer was pending reads again, in the same cork
  res!.writeStatus(statusLine(reply.status));
  if (!reply.headers?.['content-type'] && reply.status !== 204) res!.writeHeader('content-type', 'application/json');
  if (reply.headers) for (const k in reply.headers) res!.writeHeader(k, reply.headers[k]!);
  if (to) {
    if (to.headers) for (const k in to.headers) res!.writeHeader(k, to.headers[k]!);
    res!.writeHeader('x-request-id', to.requestId);
    if (to.origin !== '') {
      res!.writeHeader('access-control-allow-origin', to.origin);
      res!.writeHeader('access-control-expose-headers', EXPOSED);
      res!.writeHeader('vary', 'Origin');
    }
    // uWS 20.30 aborts the process on endWithoutBody with any argument: a HEAD answer goes without
    // Content-Length, and is never one that closes (refuseFraming sends its 400 with a body).
    if (to.head) return void res!.endWithoutBody();
  }
  res!.end(reply.body, close);
}

/** Writes a reply; HEAD gets the status and headers only. Closes the connection after it with `close`; resumes a paused socket with `resume`. */
export function send(res: HttpResponse, reply: Reply, to?: Pick<Incoming, 'requestId' | 'origin' | 'head' | 'headers'>, close = false, resume = false): void {
  corked.res = res;
  corked.reply = reply;
  corked.to = to;
  corked.close = close;
  corked.resume = resume;
  res.cork(writeCorked);
}

/**
 * uWS takes the first of two Content-Length headers and parses the bytes past it as the next request
 * (request smuggling, behind a proxy that honours the other one). A request with more than one is refused
 * with 400 and the connection closed; only a request that has a Content-Length at all pays for the scan.
 */
export function conflictingLength(req: HttpRequest): boolean {
  if (req.getHeader('content-length') === '') return false;
  framingHeaders = 0;
  req.forEach(countFraming);
  return framingHeaders > 1;
}

/** conflictingLength's count, kept outside it so the scan needs no closure per request (forEach calls back at once). */
let framingHeaders = 0;
const countFraming = (k: string): void => {
  if (k === 'content-length' || k === 'transfer-encoding') framingHeaders++;
};

/**
 * Refuses a request with conflicting framing: 400, then close. The answer waits for the next turn so that
 * uWS, which is still parsing this read, meets any smuggled bytes behind it while this response is pending:
 * it then drops the connection itself (its rule for a request that arrives before the previous is answered)
 * and nothing behind it runs. Without such bytes the client gets the 400.
 */
export function refuseFraming(res: HttpResponse, to: Pick<Incoming, 'requestId' | 'origin' | 'head' | 'docsBase' | 'authorization'>): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  setImmediate(() => {
    if (!aborted) send(res, problem(fxError('invalid_request', 'conflicting Content-Length / Transfer-Encoding headers'), to), { ...to, head: false }, true);
  });
}

const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json$/i;

/** The last few content types seen and their verdicts: clients send the same one or two. */
const mediaTypes = new Map<string, string | null>();

/** null when the content type is JSON in UTF-8; else why not (415). */
export function mediaTypeProblem(contentType: string): string | null {
  let verdict = mediaTypes.get(contentType);
  if (verdict === undefined) {
    if (mediaTypes.size >= 16) mediaTypes.clear(); // any client may send any header: a bound, not a policy
    mediaTypes.set(contentType, (verdict = mediaTypeVerdict(contentType)));
  }
  return verdict;
}

function mediaTypeVerdict(contentType: string): string | null {
  const [type, ...params] = contentType.split(';');
  if (!JSON_MEDIA.test(type!.trim())) return `content-type must be application/json, not ${excerpt(contentType)}`;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return `the body must be UTF-8, not charset ${excerpt(charset)}`;
  }
  return null;
}

export interface RouteOptions {
  /** How many route parameters to read. */
  params?: number;
  /** Read a JSON body of at most this many bytes. */
  maxBodyBytes?: number;
}

/** Answers a request once; later calls are ignored. */
export type Respond = (reply: Reply) => void;

/**
 * A route: returns its reply (or a promise of it), or undefined when it answers through `respond` itself
 * (the lock route, answered from the store's callback). A thrown coded error is its problem+json.
 */
export type RouteFn = (req: Incoming, respond: Respond) => Promise<Reply> | Reply | undefined;

/**
 * Adapts a route to uWS: reads what it needs from the stack-allocated request synchronously, reads a bounded
 * body chunk by chunk and parses it strictly, tracks aborts, maps thrown coded errors to problem+json, and
 * never lets an error escape as a 5xx unless it really is internal. No promise of its own: a synchronous
 * route (and a lock, whose store answers by callback) is answered from the uWS callbacks.
 */
export function handler(
  opts: RouteOptions,
  fn: RouteFn,
  hooks: {
    conventions: Conventions;
    inFlight: { count: number };
    /** Told of every answer sent: its status and the seconds since the request arrived. */
    observe?: (status: number, seconds: number) => void;
  },
): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const arrived = performance.now();
    const method = req.getMethod();
    const incoming: Incoming = {
      method,
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      // Decoded later, inside the try: a malformed escape must be a coded 400, never an uncaught URIError.
      params: opts.params ? Array.from({ length: opts.params }, (_, i) => req.getParameter(i) ?? '') : [],
      authorization: req.getHeader('authorization'),
      idempotencyKey: req.getHeader('idempotency-key') || undefined,
      body: undefined,
      requestId: requestIdOf(req),
      origin: originOf(req, hooks.conventions),
      docsBase: docsBaseFor(req, hooks.conventions),
      head: method === 'head',
    };
    if (conflictingLength(req)) return refuseFraming(res, incoming);
    const contentType = opts.maxBodyBytes === undefined ? '' : req.getHeader('content-type');
    let aborted = false;
    let settled = false;
    /** The body is read (or refused): from here the route, not the abort, settles the request. */
    let started = false;
    /** The socket stopped reading once the body was in (see below): resumed with the answer. */
    let paused = false;
    hooks.inFlight.count++;
    const respond: Respond = (reply) => {
      if (settled) return;
      settled = true;
      hooks.inFlight.count--;
      if (aborted) return;
      send(res, reply, incoming, false, paused);
      hooks.observe?.(reply.status, (performance.now() - arrived) / 1000);
    };
    // A client gone before its body was read: nothing runs, and the request stops counting as in flight.
    res.onAborted(() => {
      aborted = true;
      if (!started) respond(problem(fxError('invalid_request', 'the client went away mid-body')));
    });
    const run = (bytes?: Uint8Array) => {
      started = true;
      let out: Promise<Reply> | Reply | undefined;
      try {
        for (let i = 0; i < incoming.params.length; i++) {
          try {
            incoming.params[i] = decodeURIComponent(incoming.params[i]!);
          } catch {
            throw fxError('invalid_request', 'a path segment has a malformed percent-escape');
          }
        }
        if (bytes !== undefined) {
          // A body without a content type is not read as JSON (415); no body at all is for the route to refuse.
          if (contentType === '' && bytes.byteLength > 0) throw fxError('unsupported_media_type', 'send the body with content-type: application/json');
          incoming.body = strictJson(bytes);
        }
        out = fn(incoming, respond);
      } catch (err) {
        return respond(failure(err, incoming, hooks.conventions.logger));
      }
      if (out === undefined) return;
      if (out instanceof Promise) out.then(respond, (err: unknown) => respond(failure(err, incoming, hooks.conventions.logger)));
      else respond(out);
    };
    const max = opts.maxBodyBytes;
    if (max === undefined) return run();
    const wrongType = contentType === '' ? null : mediaTypeProblem(contentType);
    if (wrongType) {
      started = true;
      return respond(problem(fxError('unsupported_media_type', wrongType), incoming));
    }
    // uWS drops the connection when a request arrives before the previous one is answered (it does not
    // pipeline async answers). Once the body is in, the socket stops reading (res.pause) until this answer is written,
    // so a request the client pipelined in a later read waits in the kernel instead of costing this answer.
    let chunks: Buffer[] | undefined;
    let size = 0;
    res.onData((chunk, isLast) => {
      if (started) return;
      size += chunk.byteLength;
      if (size > max) {
        started = true;
        return respond(problem(fxError('payload_too_large', `the body must be at most ${max} bytes`), incoming));
      }
      // The usual case, a body in one chunk: parse it in place (uWS neuters the chunk after this callback).
      if (isLast && !chunks) return (res.pause(), (paused = true), run(new Uint8Array(chunk)));
      (chunks ??= []).push(Buffer.from(chunk.slice(0))); // uWS neuters the chunk after this callback: copy it
      if (isLast) (res.pause(), (paused = true), run(Buffer.concat(chunks)));
    });
  };
}

/** A thrown error as its answer: a coded one as problem+json, anything else logged and answered 500. */
function failure(err: unknown, incoming: Incoming, logger: Logger): Reply {
  if (isFxError(err)) return problem(err, incoming);
  logger.child({ requestId: incoming.requestId }).error({ err, method: incoming.method, url: incoming.url }, 'request failed');
  return problem(fxError('internal_error', 'an unexpected error occurred; it was logged'), incoming);
}

/** A query parameter from a raw query string. */
export function queryParam(query: string, name: string): string | undefined {
  const v = new URLSearchParams(query).get(name);
  return v === null ? undefined : v;
}

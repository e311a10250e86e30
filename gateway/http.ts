// Small HTTP helpers over uWS: coded problem+json errors, bounded JSON bodies, corked async replies.
import { STATUS_CODES } from 'node:http';
import { ERRORS, fxError, isFxError, type FxError } from '../engine/index.js';
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
}

const statusLine = (status: number) => `${status} ${STATUS_CODES[status] ?? ''}`;

export const json = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({ status, body: JSON.stringify(value), headers });

export function problem(err: FxError): Reply {
  const body = { type: `/docs/errors.md#${err.code}`, title: ERRORS[err.code].title, status: err.status, detail: err.detail, code: err.code, ...err.extra };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (err.code === 'rate_limited' && err.extra?.retryAfterSec !== undefined) headers['retry-after'] = String(err.extra.retryAfterSec);
  return { status: err.status, body: JSON.stringify(body), headers };
}

export function send(res: HttpResponse, reply: Reply): void {
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    if (!reply.headers?.['content-type']) res.writeHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
    res.end(reply.body);
  });
}

/** Reads a bounded body; resolves with the parsed JSON object (undefined when empty). */
function readBody(res: HttpResponse, maxBytes: number, state: { abortBody?: () => void }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    state.abortBody = () => reject(fxError('invalid_request', 'the client went away mid-body'));
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const parse = (text: string) => {
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(fxError('invalid_request', 'the body is not valid JSON'));
      }
    };
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      // The usual case, a body in one chunk: decode it in place (uWS neuters the chunk after this callback).
      if (isLast && chunks.length === 0 && size <= maxBytes) return parse(Buffer.from(chunk).toString('utf8'));
      if (size > maxBytes) {
        failed = true;
        reject(fxError('payload_too_large', `the body must be at most ${maxBytes} bytes`));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0))); // uWS neuters the chunk after this callback: copy it
      if (isLast) parse(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export interface RouteOptions {
  /** How many route parameters to read. */
  params?: number;
  /** Read a JSON body of at most this many bytes. */
  maxBodyBytes?: number;
}

/**
 * Adapts an async handler to uWS: reads what it needs from the stack-allocated request synchronously,
 * tracks aborts, maps thrown coded errors to problem+json, and never lets an error escape as a 5xx
 * unless it really is internal.
 */
export function handler(
  opts: RouteOptions,
  fn: (req: Incoming) => Promise<Reply> | Reply,
  hooks: {
    onInternalError: (err: unknown, url: string) => void;
    inFlight: { count: number };
    /** Told of every answer sent: its status and the seconds since the request arrived. */
    observe?: (status: number, seconds: number) => void;
  },
): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const arrived = performance.now();
    const state: { aborted: boolean; abortBody?: () => void } = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
      state.abortBody?.(); // a body cut off mid-way: settle the read so the request stops counting as in flight
    });
    const incoming: Incoming = {
      method: req.getMethod(),
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      // Decoded later, inside the try: a malformed escape must be a coded 400, never an uncaught URIError.
      params: Array.from({ length: opts.params ?? 0 }, (_, i) => req.getParameter(i) ?? ''),
      authorization: req.getHeader('authorization'),
      idempotencyKey: req.getHeader('idempotency-key') || undefined,
      body: undefined,
    };
    const contentType = req.getHeader('content-type');
    hooks.inFlight.count++;
    void (async () => {
      let reply: Reply;
      try {
        incoming.params = incoming.params.map((p) => {
          try {
            return decodeURIComponent(p);
          } catch {
            throw fxError('invalid_request', 'a path segment has a malformed percent-escape');
          }
        });
        if (opts.maxBodyBytes !== undefined) {
          if (contentType && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType))
            throw fxError('unsupported_media_type', `content-type must be application/json, not ${contentType}`);
          incoming.body = await readBody(res, opts.maxBodyBytes, state);
        }
        reply = await fn(incoming);
      } catch (err) {
        if (isFxError(err)) reply = problem(err);
        else {
          hooks.onInternalError(err, incoming.url);
          reply = problem(fxError('internal_error', 'an unexpected error occurred; it was logged'));
        }
      } finally {
        hooks.inFlight.count--;
      }
      if (state.aborted) return;
      send(res, reply);
      hooks.observe?.(reply.status, (performance.now() - arrived) / 1000);
    })();
  };
}

/** A query parameter from a raw query string. */
export function queryParam(query: string, name: string): string | undefined {
  const v = new URLSearchParams(query).get(name);
  return v === null ? undefined : v;
}

/** Refuses a body that is not an object or carries fields other than those allowed. */
export function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw fxError('invalid_request', 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw fxError('invalid_request', `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  return body as Record<string, unknown>;
}

// The REST client. Every call retries on what a retry can fix (502/503/504, 429 after its Retry-After, a
// timeout, a dropped connection) with exponential backoff and full jitter; never on another 4xx. Lock and
// redeem always carry an Idempotency-Key (made here when the caller gives none), the same on every attempt,
// so a retry can never lock twice or redeem twice: the server answers a repeat with the first answer.
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { CLIENT_CODES, FxApiError, snippet } from './errors.js';
import { FxStream, type StreamOptions, type WebSocketConstructor } from './stream.js';
import type { Amount, Corridor, IndicativeQuote, LockRequest, Quote } from './wire.js';

export interface FxClientOptions {
  /** The engine's base URL, e.g. "http://localhost:8080" (a path prefix behind a proxy is kept). */
  baseUrl: string;
  apiKey: string;
  /** Defaults to the global fetch (Node 20, browsers). */
  fetch?: typeof fetch;
  /** For stream(): defaults to globalThis.WebSocket (browsers); on Node 20 pass the ws package's. */
  WebSocket?: WebSocketConstructor;
  /** Retries after the first attempt. @default 2 */
  retries?: number;
  /** Per attempt, ms; also the stream's connect and stream-lock timeout. @default 10000 */
  timeoutMs?: number;
  /** Backoff between retries. @default { baseMs: 250, maxMs: 4000 } */
  retryBackoff?: BackoffOptions;
  /** A Retry-After longer than this is not waited for: the 429 is thrown. @default 30000 */
  maxRetryAfterMs?: number;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  idempotencyKey?: string;
}

const RETRY_STATUSES = new Set([502, 503, 504]);

/** A fresh Idempotency-Key: crypto.randomUUID where it exists (Node, secure browser contexts), else 122 random bits. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const segment = (s: string) => encodeURIComponent(s);

export class FxClient {
  readonly #base: URL;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #retries: number;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffOptions;
  readonly #maxRetryAfterMs: number;

  constructor(opts: FxClientOptions) {
    if (!opts.baseUrl) throw new TypeError('baseUrl is required, e.g. "http://localhost:8080"');
    if (!opts.apiKey) throw new TypeError('apiKey is required');
    this.#base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') throw new TypeError(`baseUrl must be http(s), not ${opts.baseUrl}`);
    this.#apiKey = opts.apiKey;
    const f = opts.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch: pass { fetch }');
    this.#fetch = (input, init) => f(input, init); // called unbound: a browser's fetch refuses another `this`
    this.#WebSocket = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.#retries = opts.retries ?? 2;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#backoff = opts.retryBackoff ?? { baseMs: 250, maxMs: 4_000 };
    this.#maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  /** Every corridor with its rules and, when it is not tradeable, why. */
  async corridors(): Promise<Corridor[]> {
    return (await this.#call<{ corridors: Corridor[] }>({ method: 'GET', path: 'v1/corridors' })).corridors;
  }

  /** One corridor; FxApiError corridor_not_found (404) for an unknown id. */
  corridor(id: string): Promise<Corridor> {
    return this.#call({ method: 'GET', path: `v1/corridors/${segment(id)}` });
  }

  /** An indicative (not binding) quote for an amount. */
  indicative(corridor: string, amount: Amount): Promise<IndicativeQuote> {
    const query = new URLSearchParams(amountFields(amount)).toString();
    return this.#call({ method: 'GET', path: `v1/corridors/${segment(corridor)}/quote?${query}` });
  }

  /**
   * Locks firm terms (scope lock). Retried safely: every attempt carries the same Idempotency-Key, so the
   * server answers a retry with the quote the first attempt locked. Pass your own key (an order id) to make
   * a lock retryable across restarts of your process too.
   */
  lock(request: LockRequest, opts: { idempotencyKey?: string } = {}): Promise<Quote> {
    const body = { corridor: request.corridor, ...amountFields(request) };
    return this.#call({ method: 'POST', path: 'v1/quotes', body, idempotencyKey: opts.idempotencyKey ?? newIdempotencyKey() });
  }

  /** A quote with its status now: locked, redeemed or expired. */
  getQuote(id: string): Promise<Quote> {
    return this.#call({ method: 'GET', path: `v1/quotes/${segment(id)}` });
  }

  /**
   * Redeems a locked quote once (scope redeem); the amount must equal the locked one. Keep the
   * Idempotency-Key with your transfer: the same key replays the first answer, another key gets 409
   * quote_already_redeemed. Without one, a key is made for this call's retries only.
   */
  redeem(id: string, amount: Amount, opts: { idempotencyKey?: string } = {}): Promise<Quote> {
    return this.#call({ method: 'POST', path: `v1/quotes/${segment(id)}/redeem`, body: amountFields(amount), idempotencyKey: opts.idempotencyKey ?? newIdempotencyKey() });
  }

  /** A live, self-reconnecting stream of indicative quotes (see FxStream). */
  stream(opts: StreamOptions): FxStream {
    if (!this.#WebSocket) throw new TypeError('no WebSocket: pass { WebSocket } to FxClient (on Node 20: import WebSocket from "ws")');
    const url = new URL('v1/stream', this.#base);
    url.protocol = this.#base.protocol === 'https:' ? 'wss:' : 'ws:';
    // Browsers cannot set headers on a WebSocket: the key goes in the query (the server redacts it in logs).
    url.searchParams.set('apiKey', this.#apiKey);
    return new FxStream(opts, {
      WebSocket: this.#WebSocket,
      url: url.href,
      timeoutMs: this.#timeoutMs,
      // A socket that never opens could be a bad key or corridor: HTTP says which, with a code.
      probe: () => this.corridor(opts.corridors[0] ?? '').then(() => undefined),
    });
  }

  async #call<T>(call: Call): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    const url = new URL(call.path, this.#base).href;
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const key = call.idempotencyKey;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#retries;
      let status: number;
      let text: string;
      let retryAfter: string | null = null;
      try {
        const res = await this.#fetch(url, { method: call.method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text(); // under the same timeout: a connection cut mid-body is retried too
      } catch (err) {
        const timedOut = (err as { name?: string })?.name === 'TimeoutError';
        if (!timedOut && !(err instanceof TypeError)) throw err;
        if (last) {
          const code = timedOut ? CLIENT_CODES.timeout : CLIENT_CODES.network_error;
          const what = timedOut ? `no answer within ${this.#timeoutMs} ms` : `no answer: ${describe(err)}`;
          throw new FxApiError({ code, detail: `${call.method} ${url}: ${what} (${attempt + 1} attempt${attempt ? 's' : ''})`, idempotencyKey: key, cause: err });
        }
        await sleep(backoffDelay(attempt, this.#backoff));
        continue;
      }
      if (status >= 200 && status < 300) return parseBody<T>(status, text, key);
      const error = FxApiError.fromResponse(status, text, key);
      if (last) throw error;
      if (status === 429) {
        const waitMs = 1000 * (Number(retryAfter ?? error.retryAfterSec) || 1);
        if (waitMs > this.#maxRetryAfterMs) throw error;
        await sleep(waitMs);
      } else if (RETRY_STATUSES.has(status)) await sleep(backoffDelay(attempt, this.#backoff));
      else throw error;
    }
  }
}

/** The amount fields as given: both or neither (from untyped callers) reach the server, which refuses them with a code. */
function amountFields(amount: Amount): Record<string, string> {
  const fields: Record<string, string> = {};
  if (amount.sendAmount !== undefined) fields.sendAmount = amount.sendAmount;
  if (amount.receiveAmount !== undefined) fields.receiveAmount = amount.receiveAmount;
  return fields;
}

function parseBody<T>(status: number, text: string, key: string | undefined): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new FxApiError({ status, code: CLIENT_CODES.unexpected_response, detail: `HTTP ${status} with a body that is not JSON: ${snippet(text)}`, idempotencyKey: key });
  }
}

/** undici says "fetch failed" and puts the reason (ECONNREFUSED, "other side closed") in cause. */
function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : String(e.message ?? err);
}

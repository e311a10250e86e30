// A live stream of indicative quotes over GET /v1/stream that looks after itself: it reconnects with
// exponential backoff and full jitter when the socket drops or the server's heartbeats stop, resubscribes,
// and marks the prices it holds stale while it cannot see fresh ones.
//
//   connecting ──open──► open ──drop / heartbeats stop──► reconnecting ──open──► open ...
//        └──────never opened──────────────────────────────────┘        close() (or a bad key) ──► closed
//
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { CLIENT_CODES, FxApiError } from './errors.js';
import type { ClientFrame, LockedFrame, LockRequest, Quote, QuoteExpiredFrame, QuoteFrame, QuoteRedeemedFrame, ServerFrame } from './wire.js';

/** The part of the WebSocket interface the stream uses: browsers' WebSocket and the ws package both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  // Loosely typed on purpose: ws and the DOM type their event objects differently; the stream reads only .data.
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * A quote frame as the stream delivers it, plus `stale`: true when the stream lost sight of the server (the
 * socket dropped or heartbeats stopped) and this is the last price it saw, re-sent so a UI can grey it out.
 * The next fresh frame for the corridor comes with stale false. Show a price as live only when
 * `tradeable && !stale`.
 */
export interface StreamQuote extends QuoteFrame {
  stale: boolean;
}

export interface StreamEvents {
  quote: [StreamQuote];
  state: [StreamState, { attempt: number; delayMs?: number; reason?: string }];
  locked: [LockedFrame];
  quote_redeemed: [QuoteRedeemedFrame];
  quote_expired: [QuoteExpiredFrame];
  error: [FxApiError];
}

export interface StreamOptions {
  corridors: string[];
  /** Picks the spread tier the stream carries (tier 0 without one). */
  sendAmount?: string;
  /** The server's heartbeat interval (server.heartbeatMs). @default 15000 */
  heartbeatMs?: number;
  /** How many heartbeat intervals may pass without any frame before the socket counts as dead. @default 2 */
  missedHeartbeats?: number;
  /** Reconnect delays. @default { baseMs: 250, maxMs: 8000 } */
  reconnect?: BackoffOptions;
}

/** What FxClient hands the stream. */
export interface StreamSettings {
  WebSocket: WebSocketConstructor;
  url: string;
  /** Connect timeout, and how long a stream lock waits for its answer. */
  timeoutMs: number;
  /** Asks over HTTP whether the key and corridor are good: rejects with a coded FxApiError if not. */
  probe: () => Promise<void>;
}

const OPEN = 1;
const MAX_CORRIDORS_PER_FRAME = 64;
/** Refusals that reconnecting cannot fix. */
const FATAL = new Set(['unauthorized', 'forbidden', 'corridor_not_found']);

type Timer = ReturnType<typeof setTimeout>;

interface PendingLock {
  resolve: (q: Quote) => void;
  reject: (e: FxApiError) => void;
  timer: Timer;
}

export class FxStream extends Emitter<StreamEvents> {
  readonly #settings: StreamSettings;
  readonly #silenceMs: number;
  readonly #backoff: BackoffOptions;
  /** corridor -> the send amount it is subscribed with */
  readonly #subs = new Map<string, string | undefined>();
  readonly #latest = new Map<string, StreamQuote>();
  readonly #pending = new Map<string, PendingLock>();
  #socket: WebSocketLike | undefined;
  #opened = false;
  #state: StreamState = 'connecting';
  #attempt = 0;
  #reqIds = 0;
  #watchdog: Timer | undefined;
  #retry: Timer | undefined;

  constructor(opts: StreamOptions, settings: StreamSettings) {
    super();
    if (!Array.isArray(opts.corridors) || opts.corridors.length === 0) throw new TypeError('corridors must list at least one corridor id');
    this.#settings = settings;
    this.#silenceMs = (opts.heartbeatMs ?? 15_000) * (opts.missedHeartbeats ?? 2);
    this.#backoff = opts.reconnect ?? { baseMs: 250, maxMs: 8_000 };
    for (const c of opts.corridors) this.#subs.set(c, opts.sendAmount);
    // Connect after the caller's synchronous on(...) calls, so it hears 'connecting' and every frame.
    queueMicrotask(() => this.#state === 'connecting' && this.#connect());
  }

  get state(): StreamState {
    return this.#state;
  }

  /** The last quote seen for a corridor (stale: true while the stream cannot see fresh ones). */
  latest(corridor: string): StreamQuote | undefined {
    return this.#latest.get(corridor);
  }

  /** Adds corridors, or moves them to another amount's tier; remembered across reconnects. */
  subscribe(corridors: string[], sendAmount?: string): void {
    for (const c of corridors) this.#subs.set(c, sendAmount);
    this.#send({ op: 'subscribe', corridors, ...(sendAmount === undefined ? {} : { sendAmount }) });
  }

  unsubscribe(corridors: string[]): void {
    for (const c of corridors) {
      this.#subs.delete(c);
      this.#latest.delete(c);
    }
    this.#send({ op: 'unsubscribe', corridors });
  }

  /**
   * Locks a quote over the socket (scope lock). Rejects with the server's coded FxApiError, or with
   * connection_lost when the socket drops before the answer: the lock may then have happened. Such a
   * quote is only ever redeemed by its id, which was never received, so it expires unredeemed after the
   * corridor's quoteTtlMs; lock again. When you must know for sure, lock with FxClient.lock and an
   * Idempotency-Key: its retry answers the quote the first attempt locked.
   */
  lock(request: LockRequest): Promise<Quote> {
    if (this.#state === 'closed') return Promise.reject(new FxApiError({ code: CLIENT_CODES.stream_closed, detail: 'the stream is closed' }));
    if (this.#state !== 'open') return Promise.reject(new FxApiError({ code: CLIENT_CODES.not_connected, detail: `the stream is ${this.#state}: lock when it is open` }));
    const reqId = `r${++this.#reqIds}`;
    return new Promise<Quote>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(reqId);
        reject(new FxApiError({ code: CLIENT_CODES.timeout, reqId, detail: `no answer to lock ${reqId} within ${this.#settings.timeoutMs} ms; the lock may have happened` }));
      }, this.#settings.timeoutMs);
      this.#pending.set(reqId, { resolve, reject, timer });
      this.#send({ op: 'lock', reqId, ...request });
    });
  }

  /** Closes the socket for good: no more reconnects; pending stream locks reject with stream_closed. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed', { attempt: this.#attempt });
    clearTimeout(this.#retry);
    clearTimeout(this.#watchdog);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      detach(socket);
      socket.close(1000, 'client closed');
    }
    this.#rejectPending(CLIENT_CODES.stream_closed, 'the stream was closed before the server answered; the lock may have happened');
  }

  #setState(state: StreamState, info: StreamEvents['state'][1]): void {
    this.#state = state;
    this.emit('state', state, info);
  }

  #connect(): void {
    this.#retry = undefined;
    let socket: WebSocketLike;
    try {
      socket = new this.#settings.WebSocket(this.#settings.url);
    } catch (err) {
      return this.#fail(new FxApiError({ code: CLIENT_CODES.network_error, detail: `cannot open ${redact(this.#settings.url)}: ${String(err)}`, cause: err }));
    }
    this.#socket = socket;
    this.#opened = false;
    if (this.#attempt === 0 && this.#state === 'connecting') this.emit('state', 'connecting', { attempt: 0 });
    this.#arm(this.#settings.timeoutMs, socket, 'connect timed out');
    socket.onopen = () => {
      this.#opened = true;
      this.#attempt = 0;
      this.#arm(this.#silenceMs, socket, 'no heartbeat');
      this.#setState('open', { attempt: 0 });
      this.#resubscribe();
    };
    socket.onmessage = (ev: { data: unknown }) => {
      this.#arm(this.#silenceMs, socket, 'no heartbeat');
      this.#onFrame(ev.data);
    };
    socket.onclose = (ev: { code?: number; reason?: string }) => this.#dropped(socket, `socket closed (${ev.code ?? '?'}${ev.reason ? ` ${ev.reason}` : ''})`);
    socket.onerror = () => {}; // a close event follows with what is known
  }

  /** (Re)starts the dead-socket timer: silence for `ms` means the link is gone, even if no close ever comes. */
  #arm(ms: number, socket: WebSocketLike, reason: string): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      // close() would wait for a close handshake a dead peer never sends: let go of the socket at once.
      const { terminate } = socket as WebSocketLike & { terminate?: () => void }; // ws has it; browsers do not
      if (typeof terminate === 'function') terminate.call(socket);
      else socket.close(4000, reason);
      this.#dropped(socket, `${reason} for ${ms} ms`);
    }, ms);
  }

  #dropped(socket: WebSocketLike, reason: string): void {
    if (socket !== this.#socket) return;
    detach(socket);
    this.#socket = undefined;
    clearTimeout(this.#watchdog);
    this.#rejectPending(CLIENT_CODES.connection_lost, 'the socket closed before the server answered: the lock may have happened (see FxStream.lock)');
    if (this.#state === 'closed') return;
    for (const q of this.#latest.values()) {
      if (q.stale) continue;
      const stale = { ...q, stale: true };
      this.#latest.set(q.corridor, stale);
      this.emit('quote', stale);
    }
    const delayMs = backoffDelay(this.#attempt, this.#backoff);
    this.#attempt++;
    this.#setState('reconnecting', { attempt: this.#attempt, delayMs, reason });
    this.#retry = setTimeout(() => this.#connect(), delayMs);
    // A socket that never opened may be refused for good (a bad key, an unknown corridor): ask over HTTP.
    if (!this.#opened) this.#settings.probe().catch((err: unknown) => err instanceof FxApiError && FATAL.has(err.code) && this.#fail(err));
  }

  #fail(err: FxApiError): void {
    if (this.#state === 'closed') return;
    this.emit('error', err);
    this.close();
  }

  #resubscribe(): void {
    const byAmount = new Map<string | undefined, string[]>();
    for (const [corridor, amount] of this.#subs) byAmount.set(amount, [...(byAmount.get(amount) ?? []), corridor]);
    for (const [sendAmount, corridors] of byAmount)
      for (let i = 0; i < corridors.length; i += MAX_CORRIDORS_PER_FRAME)
        this.#send({ op: 'subscribe', corridors: corridors.slice(i, i + MAX_CORRIDORS_PER_FRAME), ...(sendAmount === undefined ? {} : { sendAmount }) });
  }

  #send(frame: ClientFrame): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(JSON.stringify(frame));
  }

  #onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerFrame;
    } catch {
      this.emit('error', new FxApiError({ code: CLIENT_CODES.unexpected_response, detail: 'the server sent a frame that is not JSON' }));
      return;
    }
    switch (frame.type) {
      case 'quote': {
        if (!this.#subs.has(frame.corridor)) return; // in flight while we unsubscribed
        const q: StreamQuote = { ...frame, stale: false };
        this.#latest.set(q.corridor, q);
        return this.emit('quote', q);
      }
      case 'locked': {
        const p = this.#take(frame.reqId);
        p?.resolve(frame.quote);
        return this.emit('locked', frame);
      }
      case 'quote_redeemed':
        return this.emit('quote_redeemed', frame);
      case 'quote_expired':
        return this.emit('quote_expired', frame);
      case 'error': {
        const err = new FxApiError({ code: frame.code, detail: frame.detail, reqId: frame.reqId, retryAfterSec: frame.retryAfterSec });
        const p = frame.reqId === undefined ? undefined : this.#take(frame.reqId);
        if (p) return p.reject(err);
        return this.emit('error', err);
      }
      default:
        return; // heartbeat (it only shows life), or a frame type newer than this SDK
    }
  }

  #take(reqId: string): PendingLock | undefined {
    const p = this.#pending.get(reqId);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(reqId);
    return p;
  }

  #rejectPending(code: string, detail: string): void {
    for (const [reqId, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new FxApiError({ code, detail, reqId }));
    }
    this.#pending.clear();
  }
}

function detach(socket: WebSocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => {}; // ws emits 'error' on a socket terminated mid-handshake: keep it handled
}

const redact = (url: string) => url.replace(/([?&]apiKey=)[^&]*/, '$1***');

// The shared base of every feed adapter. It owns the session's life; an adapter supplies only connect (which
// subscribes), parse and its constants.
//
//   start ──► connecting ──link.up()──► connected ──link.down(err) / idle past idleTimeoutMs──┐
//                                          (the failure count resets on the partner's first message)
//                ▲   │ connectTimeoutMs                                                        │
//                │   └───────────────────────────────────────────────────────────────────────┤
//                │                                                                failures < circuitFailures
//                ├── backoff: full-jitter delay ◄─────────────────────────────────────────────┤
//                │                                                                            │ otherwise
//                └── half_open: one probe ◄── circuitOpenMs ── open ◄────────────────────────┘
//                         └── probe fails ──► open again
//
// Every callback of a connection carries its generation: once a connection is replaced, anything it still
// says is ignored, so a late close or message from an old socket never disturbs the new one.
import type { PartnerTick, TickOutcome } from '../engine/index.js';
import { backoffDelayMs } from './backoff.js';
import type { FeedClock } from './clock.js';
import { feedChannels, type FeedState } from './diagnostics.js';
import { asFeedError, feedError, type FeedError } from './errors.js';

/** Where ticks go (the engine's ingest); it answers the book's verdict, or nothing (then taken as accepted). */
export type TickSink = (tick: PartnerTick) => TickOutcome | void;

export interface FeedOptions {
  /** A connection attempt (including logon and subscribe) not up by then is a failure. */
  connectTimeoutMs: number;
  /** After this much silence the adapter probes the partner (WS ping, FIX TestRequest). */
  heartbeatMs: number;
  /** After this much silence the connection is declared hung and replaced. */
  idleTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Consecutive failures that open the circuit. */
  circuitFailures: number;
  /** How long an open circuit waits before one half-open probe. */
  circuitOpenMs: number;
  /** A pair with no accepted tick for this long is marked stale (metrics and logs; the engine has its own bound). */
  staleAfterMs: number;
}

/** A tick as an adapter parsed it: the base adds the partner and turns the partner's sequence into the book's. */
export interface RawTick {
  pair: string;
  bid: string;
  ask: string;
  /** The partner's timestamp, epoch ms. */
  ts: number;
  /** The partner's sequence for this pair, when it sends one: gaps in it trigger a resync. */
  seq?: number;
}

/** What an adapter's connect() hands back: how to close that one connection. */
export interface Connection {
  close(): void;
}

/** How a connection reports back to the base. Calls from a replaced connection are ignored. */
export interface Link {
  readonly current: boolean;
  /** Connected, logged on and subscribed. */
  up(): void;
  /** One message from the partner: the base calls parse() on it and forwards the ticks. */
  message(msg: unknown): void;
  /** A sign of life that carries no ticks (a pong, a heartbeat, an HTTP 304). */
  alive(): void;
  /** Bad data that is not a message (a broken frame): counted, and the connection stays. */
  reject(err: FeedError): void;
  /** The connection failed or closed: reconnect with backoff. */
  down(err: FeedError): void;
}

export interface FeedStatus {
  partner: string;
  state: FeedState;
  failures: number;
  /** Sessions that came up since start. */
  sessions: number;
  pairs: { pair: string; lastTickMs: number; stale: boolean }[];
}

interface PairTrack {
  /** The partner's last sequence in this session (undefined until the session's first tick). */
  lastRaw: number | undefined;
  /** The sequence last handed to the book. */
  lastForwarded: number;
  lastTickMs: number;
  stale: boolean;
}

export abstract class FeedAdapter<M = unknown> {
  #state: FeedState = 'idle';
  #generation = 0;
  #conn: Connection | undefined;
  #failures = 0;
  #sessions = 0;
  #halfOpen = false;
  #retryTimer: unknown;
  #connectTimer: unknown;
  #watchdog: unknown;
  #lastMessageMs = 0;
  #pinged = false;
  readonly #pairs = new Map<string, PairTrack>();
  readonly #random: () => number;

  constructor(
    readonly partner: string,
    protected readonly sink: TickSink,
    protected readonly clock: FeedClock,
    protected readonly options: FeedOptions,
    random: () => number = Math.random,
  ) {
    this.#random = random;
  }

  /** Opens one connection; subscribes once connected and calls link.up(). May throw: that is a failed attempt. */
  protected abstract connect(link: Link): Connection;
  /**
   * Turns one partner message into ticks (none for a heartbeat). Throwing rejects the whole message; a FeedError
   * in the list rejects one item of it. Both are counted; neither ends the connection.
   */
  protected abstract parse(msg: M): (RawTick | FeedError)[];
  /** Probes a silent partner (WS ping, FIX TestRequest). Default: nothing; silence past idleTimeoutMs still ends the session. */
  protected ping(): void {}
  /** A gap in the partner's sequence for a pair. Default: reconnect, which resubscribes and gets a fresh snapshot. */
  protected resync(pair: string, link: Link): void {
    link.down(feedError('feed_session_ended', `sequence gap on ${pair}: reconnecting to resync`));
  }

  get state(): FeedState {
    return this.#state;
  }

  get running(): boolean {
    return this.#state !== 'idle' && this.#state !== 'stopped';
  }

  status(): FeedStatus {
    return {
      partner: this.partner, state: this.#state, failures: this.#failures, sessions: this.#sessions,
      pairs: [...this.#pairs].map(([pair, p]) => ({ pair, lastTickMs: p.lastTickMs, stale: p.stale })),
    };
  }

  start(): void {
    if (this.running) return;
    this.#failures = 0;
    this.#halfOpen = false;
    this.#armWatchdog();
    this.#connect();
  }

  stop(): void {
    if (!this.running) return;
    this.#generation++;
    this.clock.clearTimeout(this.#retryTimer);
    this.clock.clearTimeout(this.#connectTimer);
    this.clock.clearTimeout(this.#watchdog);
    this.#closeConnection();
    this.#setState('stopped');
  }

  #setState(state: FeedState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    if (feedChannels.state.hasSubscribers) feedChannels.state.publish({ partner: this.partner, state, previous });
  }

  #closeConnection(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    try {
      conn?.close();
    } catch {
      // closing a broken connection may throw; it is being dropped either way
    }
  }

  #connect(): void {
    const generation = ++this.#generation;
    this.#setState(this.#halfOpen ? 'half_open' : 'connecting');
    const link = this.#link(generation);
    this.#connectTimer = this.clock.setTimeout(
      () => link.down(feedError('feed_timeout', `not connected within ${this.options.connectTimeoutMs} ms`)),
      this.options.connectTimeoutMs,
    );
    try {
      const conn = this.connect(link);
      if (link.current) this.#conn = conn;
      else conn.close(); // it failed synchronously while connecting
    } catch (err) {
      link.down(asFeedError(err, 'feed_connect_failed'));
    }
  }

  #link(generation: number): Link {
    const current = () => generation === this.#generation;
    const link: Link = {
      get current() {
        return current();
      },
      up: () => {
        if (!current() || this.#state === 'connected') return;
        this.clock.clearTimeout(this.#connectTimer);
        this.#sessions++;
        this.#lastMessageMs = this.clock.nowMs();
        this.#pinged = false;
        // A new session starts its own sequence: the first tick per pair is the new baseline.
        for (const p of this.#pairs.values()) p.lastRaw = undefined;
        this.#setState('connected');
      },
      message: (msg) => {
        if (!current()) return;
        this.#alive();
        let ticks: (RawTick | FeedError)[];
        try {
          ticks = this.parse(msg as M);
        } catch (err) {
          this.#publishError(asFeedError(err, 'feed_unparseable'));
          return;
        }
        for (const t of ticks) {
          if ('code' in t) {
            this.#publishError(t);
            continue;
          }
          this.#forward(t, link);
          if (!current()) return; // a resync replaced the connection: the rest belongs to the old session
        }
      },
      alive: () => {
        if (current()) this.#alive();
      },
      reject: (err) => {
        if (current()) this.#publishError(err);
      },
      down: (err) => {
        if (!current()) return;
        this.#generation++;
        this.clock.clearTimeout(this.#connectTimer);
        this.#closeConnection();
        this.#publishError(err);
        this.#failed();
      },
    };
    return link;
  }

  #alive(): void {
    this.#lastMessageMs = this.clock.nowMs();
    this.#pinged = false;
    // A session counts as a success once the partner has said something: one that accepts and drops at once
    // keeps backing off and ends up behind an open circuit instead of being redialled in a tight loop.
    if (this.#failures > 0 || this.#halfOpen) {
      this.#failures = 0;
      this.#halfOpen = false;
    }
  }

  #publishError(err: FeedError): void {
    if (feedChannels.error.hasSubscribers)
      feedChannels.error.publish({ partner: this.partner, code: err.code, root: err.root, detail: err.detail });
  }

  /** A failed attempt or a dropped session: back off, or open the circuit after too many in a row. */
  #failed(): void {
    this.#failures++;
    if (this.#halfOpen || this.#failures >= this.options.circuitFailures) {
      this.#halfOpen = true; // the next attempt, after the open period, is a single probe
      this.#setState('open');
      this.#retryTimer = this.clock.setTimeout(() => this.#connect(), this.options.circuitOpenMs);
      return;
    }
    this.#setState('backoff');
    this.#retryTimer = this.clock.setTimeout(() => this.#connect(), backoffDelayMs(this.#failures, this.options, this.#random));
  }

  /**
   * The partner's sequence is checked here, per session: a repeat or a step back is rejected, a skip is a gap
   * (resync). The book gets this adapter's own sequence, increasing across sessions, so a partner that restarts
   * at 1 after a reconnect is not refused as out of sequence.
   */
  #forward(t: RawTick, link: Link): void {
    let p = this.#pairs.get(t.pair);
    if (!p) this.#pairs.set(t.pair, (p = { lastRaw: undefined, lastForwarded: 0, lastTickMs: 0, stale: false }));
    if (t.seq !== undefined) {
      const last = p.lastRaw;
      if (last !== undefined && t.seq <= last) return this.#publishError(feedError('feed_out_of_sequence', `${t.pair} seq ${t.seq} after ${last}`));
      p.lastRaw = t.seq;
      if (last !== undefined && t.seq > last + 1) {
        if (feedChannels.gap.hasSubscribers) feedChannels.gap.publish({ partner: this.partner, pair: t.pair, expected: last + 1, got: t.seq });
        this.resync(t.pair, link);
        if (!link.current) return;
      }
    }
    const outcome = this.sink({ partner: this.partner, pair: t.pair, bid: t.bid, ask: t.ask, ts: t.ts, seq: ++p.lastForwarded });
    if (outcome === undefined || outcome === 'accepted') {
      p.lastTickMs = this.clock.nowMs();
      if (p.stale) this.#markStale(t.pair, p, false);
    }
  }

  #markStale(pair: string, p: PairTrack, stale: boolean): void {
    p.stale = stale;
    if (feedChannels.stale.hasSubscribers)
      feedChannels.stale.publish({ partner: this.partner, pair, stale, ageMs: this.clock.nowMs() - p.lastTickMs });
  }

  /** One timer for heartbeats, hung connections and staleness marks, instead of a timer reset per message. */
  #armWatchdog(): void {
    const every = Math.max(1, Math.floor(Math.min(this.options.heartbeatMs, this.options.staleAfterMs) / 2));
    const tick = () => {
      if (!this.running) return;
      this.#checkLiveness();
      const now = this.clock.nowMs();
      for (const [pair, p] of this.#pairs)
        if (!p.stale && p.lastTickMs > 0 && now - p.lastTickMs > this.options.staleAfterMs) this.#markStale(pair, p, true);
      this.#watchdog = this.clock.setTimeout(tick, every);
    };
    this.#watchdog = this.clock.setTimeout(tick, every);
  }

  #checkLiveness(): void {
    if (this.#state !== 'connected') return;
    const silentMs = this.clock.nowMs() - this.#lastMessageMs;
    if (silentMs >= this.options.idleTimeoutMs) {
      this.#link(this.#generation).down(feedError('feed_timeout', `no message for ${silentMs} ms: connection hung`));
      return;
    }
    if (silentMs >= this.options.heartbeatMs && !this.#pinged) {
      this.#pinged = true;
      try {
        this.ping();
      } catch (err) {
        this.#link(this.#generation).down(asFeedError(err, 'feed_disconnected'));
      }
    }
  }
}

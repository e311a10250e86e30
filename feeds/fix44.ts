// A FIX 4.4 market-data initiator: Logon, MarketDataRequest (35=V) for top of book, then snapshots (35=W) and
// incremental refreshes (35=X) composed into bid/ask ticks. The session layer (fix-session.ts) owns logon,
// heartbeats and session sequence numbers; the base owns reconnects, probing (TestRequest) and resync.
import { PARTNER_NUMBER } from '../config/index.js';
import { connect as tcpConnect } from 'node:net';
import { FeedAdapter, type Connection, type FeedOptions, type Link, type RawTick, type TickSink } from './adapter.js';
import type { FeedClock } from './clock.js';
import { feedError, type FeedError } from './errors.js';
import { parseFixTime, type FixMessage } from './fix-codec.js';
import { FixSession } from './fix-session.js';
import { fill, symbolsFor } from './template.js';

export interface Fix44Options {
  host: string;
  port: number;
  senderCompId: string;
  targetCompId: string;
  heartBtIntSec: number;
  pairs: string[];
  /** Partner symbol -> our pair; without it the symbol is the pair ("USD/INR"). */
  symbols?: Record<string, string> | undefined;
  username?: string | undefined;
  /** May be "${secret}": the partner's secret from the environment. */
  password?: string | undefined;
  /** A message whose SendingTime is further than this from our clock is rejected (373=10) and the session ends. */
  maxSendingTimeSkewMs: number;
}

/** A MarketDataRequest the acceptor has not answered yet (no W, X or Y with its MDReqID). */
interface Pending {
  reqId: string;
  seq: number;
  symbols: string[];
  subscribe: boolean;
}

interface Side {
  bid?: string | undefined;
  ask?: string | undefined;
}

export class Fix44Feed extends FeedAdapter<FixMessage> {
  readonly #symbolToPair: Map<string, string>;
  readonly #pairToSymbol: Map<string, string>;
  /** Top of book per pair in this session, built from snapshots and increments. */
  #book = new Map<string, Side>();
  #session: FixSession | undefined;
  #reqId = 0;
  /** Unanswered requests, the latest per kind and symbols (so at most pairs + 1 of them). */
  #pending = new Map<string, Pending>();

  constructor(partner: string, readonly opts: Fix44Options, sink: TickSink, clock: FeedClock, options: FeedOptions, private readonly secret?: string) {
    super(partner, sink, clock, options);
    const syms = symbolsFor(opts.pairs, opts.symbols);
    this.#symbolToPair = new Map(syms.map((s, i) => [s, opts.pairs[i]!]));
    this.#pairToSymbol = new Map(syms.map((s, i) => [opts.pairs[i]!, s]));
  }

  protected connect(link: Link): Connection {
    const vars = { secret: this.secret, symbols: [] };
    const socket = tcpConnect({ host: this.opts.host, port: this.opts.port });
    this.#book = new Map();
    this.#pending = new Map();
    const session = new FixSession(socket, {
      senderCompId: this.opts.senderCompId, targetCompId: this.opts.targetCompId, heartBtIntSec: this.opts.heartBtIntSec,
      username: this.opts.username, password: fill(this.opts.password, vars) as string | undefined,
      maxSendingTimeSkewMs: this.opts.maxSendingTimeSkewMs,
    }, this.clock, {
      loggedOn: () => {
        this.#request([...this.#pairToSymbol.values()], true);
        link.up();
      },
      app: (m) => link.message(m),
      alive: () => link.alive(),
      reject: (e) => link.reject(e),
      down: (e) => link.down(e),
      // The acceptor will never see what we sent under those numbers: ask again for what it has not answered.
      gapFilled: (from, to) => {
        for (const p of [...this.#pending.values()]) if (p.seq >= from && p.seq <= to) this.#request(p.symbols, p.subscribe);
      },
    });
    this.#session = session;
    socket.once('connect', () => session.logon());
    socket.on('error', (err) => link.down(feedError(socket.readyState === 'open' ? 'feed_disconnected' : 'feed_connect_failed', err.message)));
    socket.on('close', () => link.down(feedError('feed_disconnected', 'FIX socket closed')));
    return { close: () => session.close() };
  }

  /** MarketDataRequest: top of book, bid and offer, as snapshot plus updates (or one snapshot to resync). */
  #request(symbols: string[], subscribe: boolean): void {
    const reqId = `${this.partner}-${++this.#reqId}`;
    const seq = this.#session?.send('V', [
      [262, reqId], [263, subscribe ? 1 : 0], [264, 1], ...(subscribe ? [[265, 1] as [number, number]] : []),
      [267, 2], [269, 0], [269, 1], [146, symbols.length], ...symbols.map((s) => [55, s] as [number, string]),
    ]);
    if (seq) this.#pending.set(`${subscribe ? 1 : 0}:${symbols.join()}`, { reqId, seq, symbols, subscribe });
  }

  #answered(reqId: string | undefined): void {
    if (reqId === undefined) return;
    for (const [key, p] of this.#pending) if (p.reqId === reqId) this.#pending.delete(key);
  }

  protected override ping(): void {
    this.#session?.testRequest();
  }

  /** A gap in a pair's RptSeq: forget its book side and ask for a fresh snapshot of it alone. */
  protected override resync(pair: string): void {
    this.#book.delete(pair);
    const symbol = this.#pairToSymbol.get(pair);
    if (symbol) this.#request([symbol], false);
  }

  protected parse(m: FixMessage): (RawTick | FeedError)[] {
    if (m.type !== 'W' && m.type !== 'X' && m.type !== 'Y') return [];
    this.#answered(m.get(262));
    if (m.type === 'Y') return [feedError('feed_unknown_pair', `MarketDataRequestReject: ${m.get(58) ?? m.get(281) ?? 'no reason'}`)];
    // A resend (PossDupFlag=Y) at the expected number is taken, but its prices are as old as its first sending.
    const ts = parseFixTime(m.get(43) === 'Y' ? m.get(122) : m.get(52));
    if (ts === undefined) throw feedError('feed_unmapped', `FIX ${m.type} without a valid ${m.get(43) === 'Y' ? 'OrigSendingTime' : 'SendingTime'}`);
    // Entries are flat in the field list: W's start at MDEntryType (269), X's at MDUpdateAction (279).
    const start = m.type === 'W' ? 269 : 279;
    const entries: Map<number, string>[] = [];
    const top = m.type === 'W' ? m.get(55) : undefined;
    for (const [tag, value] of m.fields) {
      if (tag === start) entries.push(new Map());
      const e = entries.at(-1);
      if (e) e.set(tag, value);
    }
    const touched = new Map<string, number | undefined>(); // pair -> highest RptSeq seen in this message
    const out: (RawTick | FeedError)[] = [];
    for (const e of entries) {
      const symbol = e.get(55) ?? top;
      const pair = symbol === undefined ? undefined : this.#symbolToPair.get(symbol);
      if (!pair) {
        out.push(feedError('feed_unknown_pair', `FIX entry for symbol ${symbol ?? '(none)'}`));
        continue;
      }
      const type = e.get(269);
      const px = e.get(270);
      const action = e.get(279) ?? '0';
      if ((type !== '0' && type !== '1') || (action !== '2' && (px === undefined || !PARTNER_NUMBER.test(px)))) {
        out.push(feedError('feed_unmapped', `FIX entry for ${pair}: MDEntryType ${type}, MDEntryPx ${px}`));
        continue;
      }
      if (m.type === 'W' && !touched.has(pair)) this.#book.set(pair, {}); // a snapshot replaces the pair's book
      const side = this.#book.get(pair) ?? {};
      this.#book.set(pair, side);
      const value = action === '2' ? undefined : px;
      if (type === '0') side.bid = value;
      else side.ask = value;
      const rpt = e.has(83) ? Number(e.get(83)) : undefined;
      const prev = touched.get(pair);
      touched.set(pair, rpt === undefined ? prev : Math.max(prev ?? 0, rpt));
    }
    for (const [pair, seq] of touched) {
      const side = this.#book.get(pair);
      if (!side?.bid || !side.ask) continue; // one side missing: nothing to price until it is back
      out.push(seq === undefined ? { pair, bid: side.bid, ask: side.ask, ts } : { pair, bid: side.bid, ask: side.ask, ts, seq });
    }
    return out;
  }
}

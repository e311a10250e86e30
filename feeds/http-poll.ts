// A partner with a rates endpoint to poll. Each poll is a full snapshot, with a timeout and ETag /
// If-None-Match; a failed poll goes to the base, which backs off and retries. Two response shapes:
//   base-rates: { "base": "USD", "timestamp": 1700000000, "rates": { "INR": "84.1", "PHP": { "bid": .., "ask": .. } } }
//   pair-list:  { "data": [ { "pair": "USD/INR", "bid": "84.1", "ask": "84.2", "ts": 1700000000123 }, ... ] }
import { PARTNER_NUMBER } from '../config/index.js';
import { FeedAdapter, type Connection, type FeedOptions, type Link, type RawTick, type TickSink } from './adapter.js';
import type { FeedClock } from './clock.js';
import { feedError, type FeedError } from './errors.js';
import { parseJsonLossless } from './json-lossless.js';
import { at, ticksOf, tsOf, type FieldMapping, type TsUnit } from './mapping.js';
import { fill, symbolsFor } from './template.js';

export type HttpPollMapping =
  | {
      shape: 'base-rates';
      /** Path of the base currency. */
      base: string;
      /** Path of the map of quote currency -> rate (one decimal: bid = ask) or -> { bid, ask }. */
      rates: string;
      ts: string;
      tsUnit: TsUnit;
    }
  | (FieldMapping & { shape: 'pair-list'; /** Path of the array of ticks. */ items: string });

export interface HttpPollOptions {
  url: string;
  pairs: string[];
  intervalMs: number;
  requestTimeoutMs: number;
  headers?: Record<string, string> | undefined;
  mapping: HttpPollMapping;
}

export class HttpPollFeed extends FeedAdapter<string> {
  readonly #pairs: ReadonlySet<string>;
  /** pair -> the sequence (or, without one, the timestamp) last forwarded: the same snapshot polled again is not news. */
  readonly #last = new Map<string, number>();

  constructor(partner: string, readonly opts: HttpPollOptions, sink: TickSink, clock: FeedClock, options: FeedOptions, private readonly secret?: string) {
    super(partner, sink, clock, options);
    this.#pairs = new Set(opts.pairs);
  }

  protected connect(link: Link): Connection {
    const symbols = this.opts.mapping.shape === 'pair-list' ? this.opts.mapping.symbols : undefined;
    const headers = fill(this.opts.headers ?? {}, { secret: this.secret, symbols: symbolsFor(this.opts.pairs, symbols) }) as Record<string, string>;
    // The ETag and what was seen belong to this connection: after a reconnect everything counts as new.
    let etag: string | null = null;
    this.#last.clear();
    let timer: unknown;
    let inFlight: AbortController | undefined;
    const poll = async () => {
      const controller = (inFlight = new AbortController());
      const timeout = this.clock.setTimeout(() => controller.abort(), this.opts.requestTimeoutMs);
      try {
        const res = await fetch(this.opts.url, { headers: etag ? { ...headers, 'if-none-match': etag } : headers, signal: controller.signal });
        const body = res.status === 304 ? '' : await res.text();
        if (!link.current) return;
        if (res.status !== 304 && !res.ok) return link.down(feedError('feed_http_status', `HTTP ${res.status} from ${this.opts.url}`));
        link.up();
        if (res.status === 304) link.alive();
        else {
          etag = res.headers.get('etag');
          link.message(body);
        }
      } catch (err) {
        if (controller.signal.aborted) link.down(feedError('feed_timeout', `no answer within ${this.opts.requestTimeoutMs} ms`));
        else link.down(feedError('feed_connect_failed', (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message));
      } finally {
        this.clock.clearTimeout(timeout);
      }
      if (link.current) timer = this.clock.setTimeout(() => void poll(), this.opts.intervalMs);
    };
    void poll();
    return {
      close: () => {
        this.clock.clearTimeout(timer);
        inFlight?.abort();
      },
    };
  }

  /** Every poll is a full snapshot: the next one resyncs by itself. */
  protected override resync(): void {}

  protected parse(text: string): (RawTick | FeedError)[] {
    const doc = parseJsonLossless(text);
    const m = this.opts.mapping;
    const ticks = m.shape === 'pair-list' ? this.#pairList(doc, m) : this.#baseRates(doc, m);
    return ticks.filter((t) => {
      if ('code' in t) return true;
      const key = t.seq ?? t.ts;
      if (this.#last.get(t.pair) === key) return false;
      this.#last.set(t.pair, key);
      return true;
    });
  }

  #pairList(doc: unknown, m: Extract<HttpPollMapping, { shape: 'pair-list' }>): (RawTick | FeedError)[] {
    const list = at(doc, m.items);
    if (!Array.isArray(list)) throw feedError('feed_unmapped', `no array at "${m.items}"`);
    return ticksOf(list, m, this.#pairs);
  }

  #baseRates(doc: unknown, m: Extract<HttpPollMapping, { shape: 'base-rates' }>): (RawTick | FeedError)[] {
    const base = at(doc, m.base);
    const rates = at(doc, m.rates);
    const ts = tsOf(at(doc, m.ts), m.tsUnit);
    if (typeof base !== 'string' || !/^[A-Z]{3}$/.test(base)) throw feedError('feed_unmapped', `no base currency at "${m.base}"`);
    if (!rates || typeof rates !== 'object') throw feedError('feed_unmapped', `no rates map at "${m.rates}"`);
    if (ts === undefined) throw feedError('feed_unmapped', `no ${m.tsUnit} timestamp at "${m.ts}"`);
    const out: (RawTick | FeedError)[] = [];
    for (const [quote, v] of Object.entries(rates)) {
      const pair = `${base}/${quote}`;
      if (!this.#pairs.has(pair)) continue; // a rates map lists every currency it has; we take only ours
      const bid = typeof v === 'object' && v ? at(v, 'bid') : v;
      const ask = typeof v === 'object' && v ? at(v, 'ask') : v;
      if (typeof bid !== 'string' || typeof ask !== 'string' || !PARTNER_NUMBER.test(bid) || !PARTNER_NUMBER.test(ask))
        out.push(feedError('feed_unmapped', `rate for ${pair} is not a decimal or a { bid, ask } of decimals`));
      else out.push({ pair, bid, ask, ts });
    }
    return out;
  }
}

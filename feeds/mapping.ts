// Where a partner puts pair, bid, ask, timestamp and sequence in its messages, as configured per partner,
// and the turning of one mapped object into a RawTick. Shared by ws-json and http-poll.
import { PARTNER_NUMBER } from '../config/index.js';
import type { RawTick } from './adapter.js';
import { asFeedError, feedError, type FeedError } from './errors.js';

export type TsUnit = 'ms' | 's' | 'us' | 'iso';

export interface FieldMapping {
  /** Dot paths into one tick object ("data.b", "px.0"). */
  pair: string;
  bid: string;
  ask: string;
  ts: string;
  seq?: string | undefined;
  tsUnit: TsUnit;
  /** Partner symbol -> our pair ("USDINR": "USD/INR"); without an entry, "USDINR", "usd_inr", "USD-INR" are read as USD/INR. */
  symbols?: Record<string, string> | undefined;
}

/** The value at a dot path, or undefined. */
export function at(obj: unknown, path: string): unknown {
  let v = obj;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Our "BASE/QUOTE" for a partner symbol, or undefined. */
export function pairOf(symbol: unknown, symbols?: Record<string, string>): string | undefined {
  if (typeof symbol !== 'string') return undefined;
  const mapped = symbols?.[symbol];
  if (mapped) return mapped;
  const m = /^([A-Za-z]{3})[/_\-.]?([A-Za-z]{3})$/.exec(symbol);
  return m ? `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}` : undefined;
}

/** Epoch ms from a partner timestamp (a number kept as text by the lossless parser, or an ISO string). */
export function tsOf(v: unknown, unit: TsUnit): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (unit === 'iso') {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!PARTNER_NUMBER.test(v)) return undefined;
  const n = Number(v); // a time, not a rate: a double is exact enough
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n / 1000;
}

/**
 * One mapped object to a RawTick. A rate must be a decimal string (or a number literal, kept as text by the
 * lossless parser); anything else is refused, so a JS number never carries a rate. Sign, crossing and age are
 * left to the book, which counts them by reason.
 */
export function tickOf(obj: unknown, m: FieldMapping, pairs: ReadonlySet<string>): RawTick {
  const pair = pairOf(at(obj, m.pair), m.symbols);
  if (!pair) throw feedError('feed_unmapped', `no pair at "${m.pair}"`);
  if (!pairs.has(pair)) throw feedError('feed_unknown_pair', `${pair} is not among this feed's pairs`);
  const bid = at(obj, m.bid);
  const ask = at(obj, m.ask);
  if (typeof bid !== 'string' || !PARTNER_NUMBER.test(bid)) throw feedError('feed_unmapped', `bid at "${m.bid}" is not a decimal`);
  if (typeof ask !== 'string' || !PARTNER_NUMBER.test(ask)) throw feedError('feed_unmapped', `ask at "${m.ask}" is not a decimal`);
  const ts = tsOf(at(obj, m.ts), m.tsUnit);
  if (ts === undefined) throw feedError('feed_unmapped', `no ${m.tsUnit} timestamp at "${m.ts}"`);
  if (m.seq === undefined) return { pair, bid, ask, ts };
  const raw = at(obj, m.seq);
  const seq = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(seq)) throw feedError('feed_unmapped', `no integer sequence at "${m.seq}"`);
  return { pair, bid, ask, ts, seq };
}

/** tickOf over a list, where one bad item is rejected alone and the rest still count. */
export function ticksOf(list: unknown[], m: FieldMapping, pairs: ReadonlySet<string>): (RawTick | FeedError)[] {
  return list.map((o) => {
    try {
      return tickOf(o, m, pairs);
    } catch (err) {
      return asFeedError(err, 'feed_unmapped');
    }
  });
}

// The recorded tick format, shared by the recorder (writes) and the replay adapter (reads): one tick per line,
// NDJSON or CSV with a header. Rates stay strings; ts is epoch ms, seq the partner's sequence.
//   {"partner":"lp-a","pair":"USD/INR","bid":"84.462","ask":"84.5298","ts":1795239508475,"seq":17}
//   partner,pair,bid,ask,ts,seq
//   lp-a,USD/INR,84.462,84.5298,1795239508475,17
import type { PartnerTick } from '../engine/index.js';
import { feedError } from './errors.js';
import { parseJsonLossless } from './json-lossless.js';

export type TickFormat = 'ndjson' | 'csv';

export const CSV_HEADER = 'partner,pair,bid,ask,ts,seq';

export const formatOf = (path: string): TickFormat => (path.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');

export function encodeTick(t: PartnerTick, format: TickFormat): string {
  if (format === 'csv') return `${t.partner},${t.pair},${t.bid},${t.ask},${t.ts},${t.seq}`;
  return JSON.stringify({ partner: t.partner, pair: t.pair, bid: t.bid, ask: t.ask, ts: t.ts, seq: t.seq });
}

const int = (v: unknown): number | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** One line back to a tick; undefined for a blank line or the CSV header; throws feed_unparseable otherwise. */
export function decodeTick(line: string, format: TickFormat): PartnerTick | undefined {
  const text = line.trim();
  if (text === '' || text === CSV_HEADER) return undefined;
  let r: Record<string, unknown>;
  if (format === 'csv') {
    const [partner, pair, bid, ask, ts, seq, ...rest] = text.split(',');
    if (rest.length) throw feedError('feed_unparseable', `CSV line with more than 6 columns: ${text.slice(0, 80)}`);
    r = { partner, pair, bid, ask, ts, seq };
  } else {
    try {
      r = parseJsonLossless(text) as Record<string, unknown>;
    } catch {
      throw feedError('feed_unparseable', `not JSON: ${text.slice(0, 80)}`);
    }
  }
  const ts = int(r?.ts);
  const seq = int(r?.seq);
  if (typeof r?.partner !== 'string' || typeof r.pair !== 'string' || typeof r.bid !== 'string' || typeof r.ask !== 'string' || ts === undefined || seq === undefined)
    throw feedError('feed_unparseable', `not a recorded tick: ${text.slice(0, 80)}`);
  return { partner: r.partner, pair: r.pair, bid: r.bid, ask: r.ask, ts, seq };
}

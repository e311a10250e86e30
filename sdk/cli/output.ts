// What the CLI prints: aligned tables for people at a terminal, JSON for programs.
import type { Corridor, IndicativeQuote, Quote } from '../index.js';
import type { StreamQuote, StreamState } from '../index.js';

export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** key: value lines, keys aligned. */
export function fields(pairs: [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`).join('\n') + '\n';
}

const dash = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '-' : v);

export function corridorsTable(list: Corridor[]): string {
  return table(
    ['CORRIDOR', 'TRADEABLE', 'RATE', 'MID', 'MIN', 'MAX', 'FEE', 'TTL', 'TIERS (send up to: rate)', 'WHY NOT'],
    list.map((c) => [
      c.id, c.tradeable ? 'yes' : 'no', dash(c.rate), dash(c.mid), c.minAmount, c.maxAmount, c.fee, `${c.quoteTtlMs / 1000}s`,
      c.tiers.map((t) => `${t.upTo ?? 'above'}: ${dash(t.rate)}`).join(', '), c.reason ?? '',
    ]),
  );
}

export function indicativeFields(q: IndicativeQuote): string {
  return fields([
    ['corridor', q.corridor],
    ['send', `${q.sendAmount} ${q.sendCurrency}`],
    ['receive', `${q.receiveAmount} ${q.receiveCurrency}`],
    ['rate', q.rate],
    ['mid', q.mid],
    ['spread', `${q.spreadBps} bps (tier ${q.tier})`],
    ['fee', `${q.fee} ${q.sendCurrency}`],
    ['route', route(q.route)],
    ['note', 'indicative: lock it to get firm terms'],
  ]);
}

export function quoteFields(q: Quote, now = Date.now()): string {
  const left = Math.round((Date.parse(q.expiresAt) - now) / 1000);
  return fields([
    ['id', q.id],
    ['status', q.status],
    ['corridor', q.corridor],
    ['send', `${q.sendAmount} ${q.sendCurrency}`],
    ['receive', `${q.receiveAmount} ${q.receiveCurrency}`],
    ['rate', q.rate],
    ['fee', `${q.fee} ${q.sendCurrency}`],
    ['created', q.createdAt],
    ['expires', `${q.expiresAt}${q.status === 'locked' ? (left > 0 ? ` (in ${left} s)` : ' (now)') : ''}`],
    ['redeemed', q.redeemedAt],
    ['route', route(q.route)],
  ]);
}

const route = (legs: { partner: string; pair: string; rate: string }[]) => legs.map((l) => `${l.partner} ${l.pair} ${l.rate}`).join(' -> ');

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** The live board `fx subscribe` redraws in place: one row per corridor, a status line under it. */
export function board(corridors: string[], latest: (c: string) => StreamQuote | undefined, state: StreamState, note: string, now = Date.now()): string {
  const rows = corridors.map((c) => {
    const q = latest(c);
    if (!q) return [c, '-', '-', '-', '-', 'waiting for a price'];
    const live = q.tradeable && !q.stale;
    const age = `${Math.max(0, Math.round((now * 1000 - q.tickTs) / 1000))} ms`;
    return [c, dash(q.rate), dash(q.mid), q.spreadBps === null ? '-' : `${q.spreadBps} bps`, String(q.tier), q.stale ? 'STALE (no fresh price)' : q.tradeable ? `live, tick ${age} old` : 'not tradeable', live ? '' : DIM];
  });
  const text = table(['CORRIDOR', 'RATE', 'MID', 'SPREAD', 'TIER', 'STATUS'], rows.map((r) => r.slice(0, 6)));
  const lines = text.trimEnd().split('\n');
  // Dim the rows a person should not read as a live price (set after padding, so alignment holds).
  const shown = lines.map((l, i) => (i > 0 && rows[i - 1]![6] ? `${DIM}${l}${RESET}` : l));
  return `${shown.join('\n')}\nstream: ${state}${note ? ` (${note})` : ''}\n`;
}

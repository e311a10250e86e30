import { describe, expect, it } from 'vitest';
import { RateBook, type PartnerTick } from '../../engine/index.js';

const NOW = Date.parse('2026-11-18T15:00:00Z');
/** A tick line (tick-wire.ts): its number, then the tick's fields as given. */
const lineOf = (fields: string) => new RegExp(`^\\d+ ${fields.replaceAll('.', '\\.')}$`);
const limits = { maxFutureSkewMs: 2_000, maxTickAgeMs: 60_000, maxTickWidthBps: '200' };

describe('the rate book', () => {
  const offer = (book: RateBook, over: Partial<PartnerTick>) =>
    book.offer({ partner: 'lp-a', pair: 'USD/INR', bid: '84.00', ask: '84.02', ts: NOW, seq: 1, ...over }, NOW, NOW * 1000);

  it('refuses every bad tick with its reason and keeps the last good one', () => {
    const book = new RateBook(limits);
    expect(offer(book, { seq: 5 })).toBe('accepted');
    const cases: [Partial<PartnerTick>, string][] = [
      [{ bid: 'NaN' }, 'malformed'],
      [{ bid: 'Infinity' }, 'malformed'],
      [{ ask: '-84.02' }, 'malformed'],
      [{ bid: '8.4e1' }, 'malformed'],
      [{ seq: 1.5 }, 'malformed'],
      [{ partner: 'lp a' }, 'malformed'],
      [{ pair: 'USD/INR\nx' }, 'malformed'],
      [{ bid: '0.000', seq: 6 }, 'non_positive'],
      [{ bid: '84.03', seq: 6 }, 'crossed'],
      // (86 - 84) / 85 = 235 bps > 200
      [{ bid: '84.00', ask: '86.00', seq: 6 }, 'too_wide'],
      [{ ts: NOW + 2_001, seq: 6 }, 'future'],
      [{ ts: NOW - 60_001, seq: 6 }, 'too_old'],
      [{ seq: 5 }, 'out_of_sequence'],
      [{ seq: 4 }, 'out_of_sequence'],
      // a later seq stamped before the tick it would replace
      [{ seq: 6, ts: NOW - 1 }, 'out_of_sequence'],
    ];
    for (const [over, outcome] of cases) expect([over, offer(book, over)]).toEqual([over, outcome]);
    expect(book.linesFor(['USD/INR'])).toMatch(lineOf(`lp-a USD/INR 84.00 84.02 ${NOW} 5 ${NOW * 1000} ${NOW * 1000}`));
  });

  it('dates a price by the older of the partner timestamp and the arrival', () => {
    const book = new RateBook(limits);
    expect(offer(book, { ts: NOW - 3_000 })).toBe('accepted');
    // ... ts, seq, receivedAtUs, asOfUs
    expect(book.linesFor(['USD/INR'])).toMatch(lineOf(`lp-a USD/INR 84.00 84.02 ${NOW - 3_000} 1 ${NOW * 1000} ${(NOW - 3_000) * 1000}`));
  });

  it('accepts a width exactly at the bound and keeps partners apart', () => {
    const book = new RateBook(limits);
    // (101 - 99) / 100 = 200 bps: at the bound, accepted
    expect(offer(book, { bid: '99', ask: '101' })).toBe('accepted');
    expect(offer(book, { partner: 'lp-b', seq: 1 })).toBe('accepted');
    expect(book.linesFor(['USD/INR']).split('\n').map((l) => l.split(' ')[1])).toEqual(['lp-a', 'lp-b']);
  });
});

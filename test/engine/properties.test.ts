// The invariants of DESIGN.md "Money and rate arithmetic", over generated ticks, desks and amounts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compare, customerRate, minorUnits, RateBook, receiveFor, sendFor, type BookTick, type PartnerTick } from '../../engine/index.js';
import { fromScaled, toScaled } from '../../feeds/index.js';
import { CLOSED, desk, OPEN, price } from '../helpers/pricing.js';

/** A decimal string from a scaled integer: decimalString(1, 10^6, 4) is 0.0001 .. 100.0000 */
const decimalString = (min: number, max: number, places: number) => fc.integer({ min, max }).map((n) => fromScaled(BigInt(n), places));
const bps = (max: number) => decimalString(0, max * 10, 1); // 0.0 .. max, in tenths of a bp

/** A USD/INR bid/ask around 84, at most 100 bps wide. */
const quote = fc.tuple(fc.integer({ min: 800_000, max: 880_000 }), fc.integer({ min: 0, max: 800 })).map(([bid, width]) => ({
  bid: fromScaled(BigInt(bid), 4),
  ask: fromScaled(BigInt(bid + width), 4),
}));

/** A tick stamped at `atMs` (the batch time by default: fresh). */
const tickAt = (partner: string, q: { bid: string; ask: string }, atMs = OPEN): BookTick =>
  ({ partner, pair: 'USD/INR', ...q, ts: atMs, seq: 1, receivedAtUs: atMs * 1000, asOfUs: atMs * 1000 });

const deskArb = fc.record({
  spreads: fc.tuple(bps(200), bps(200)),
  skewBps: fc.integer({ min: -300, max: 300 }).map((n) => fromScaled(BigInt(n), 1)),
  minSpreadBps: bps(20),
  maxSpreadBps: fc.constantFrom('100', '300', '9999'),
  marketClosedBps: bps(50),
  fees: fc.tuple(bps(30), bps(30), bps(30)),
  closed: fc.boolean(),
});

function deskOf(d: any) {
  return desk((doc) => {
    Object.assign(doc.corridors['USD-INR'], {
      tiers: [{ upTo: '1000', spreadBps: d.spreads[0] }, { spreadBps: d.spreads[1] }],
      skewBps: d.skewBps, minSpreadBps: d.minSpreadBps, maxSpreadBps: d.maxSpreadBps, marketClosedBps: d.marketClosedBps,
    });
    ['lp-a', 'lp-b', 'lp-c'].forEach((p, i) => (doc.partners[p].feeBps = d.fees[i]));
    doc.pricing.outlierBps = '10000'; // these properties are about arithmetic, not hold-outs
  });
}

describe('pricing invariants', () => {
  it('never gives a customer rate above the best route rate', () => {
    fc.assert(
      fc.property(deskArb, fc.array(quote, { minLength: 1, maxLength: 3 }), (d, quotes) => {
        const nowMs = d.closed ? CLOSED : OPEN;
        // Ticks stamped at the batch time are fresh, so both market states reach the invariants.
        const p = price(deskOf(d), quotes.map((q, i) => tickAt(['lp-a', 'lp-b', 'lp-c'][i]!, q, nowMs)), 'USD-INR', { nowMs });
        expect(p.tradeable).toBe(true);
        for (const t of p.tiers) {
          expect(t.spread.marketClosedBps).toBe(d.closed ? d.marketClosedBps : '0');
          expect(compare(t.rate!, p.routes[0]!.rate)).toBeLessThanOrEqual(0);
          expect(compare(t.rate!, p.routes[t.route!]!.rate)).toBeLessThanOrEqual(0);
          expect(compare(t.spreadBps, d.minSpreadBps)).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('never gives a better rate for a bigger spread', () => {
    fc.assert(
      fc.property(quote, bps(500), bps(500), (q, s1, s2) => {
        const [small, big] = compare(s1, s2) <= 0 ? [s1, s2] : [s2, s1];
        const rate = (s: string) => price(desk((doc) => (doc.corridors['USD-INR'].tiers = [{ spreadBps: s }])), [tickAt('lp-a', q)], 'USD-INR').tiers[0]!.rate!;
        expect(compare(rate(big), rate(small))).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('never pays out more than sendAmount * routeRate', () => {
    fc.assert(
      fc.property(
        decimalString(1, 10_000_000, 6), bps(500), decimalString(1, 10_000_000, 2), fc.constantFrom('INR', 'JPY', 'KWD'), decimalString(0, 500, 2),
        (routeRate, spread, send, receiveCurrency, fee) => {
          fc.pre(compare(fee, send) < 0);
          const payout = receiveFor(send, customerRate(routeRate, spread, 4), receiveCurrency, fee);
          // receiveFor(send, routeRate) is sendAmount * routeRate rounded down to whole minor units, and a payout is whole minor units
          expect(compare(payout, receiveFor(send, routeRate, receiveCurrency))).toBeLessThanOrEqual(0);
        },
      ),
    );
  });

  it('never favours the customer by more than one minor unit, send-fixed then receive-fixed', () => {
    const currencies = ['USD', 'GBP', 'EUR', 'AED', 'INR', 'JPY', 'KWD'];
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies), fc.constantFrom(...currencies), decimalString(1, 100_000_000, 6), fc.integer({ min: 1, max: 100_000_000 }),
        fc.integer({ min: 0, max: 500 }),
        (sendCcy, receiveCcy, rate, sendMinor, feeMinor) => {
          const ms = minorUnits(sendCcy)!;
          const mr = minorUnits(receiveCcy)!;
          // Only where a receive minor unit is worth at most a send minor unit (every shipped corridor):
          // rate >= 10^-mr / 10^-ms. Otherwise one receive unit spans several send units by nature.
          fc.pre(compare(rate, fromScaled(10n ** BigInt(Math.max(0, ms - mr)), Math.max(0, mr - ms))) >= 0);
          fc.pre(feeMinor < sendMinor);
          const send = fromScaled(BigInt(sendMinor), ms);
          const fee = fromScaled(BigInt(feeMinor), ms);
          const receive = receiveFor(send, rate, receiveCcy, fee);
          fc.pre(compare(receive, '0') > 0);
          const back = sendFor(receive, rate, sendCcy, fee);
          const saved = toScaled(send, ms) - toScaled(back, ms);
          expect(saved >= 0n && saved <= 1n).toBe(true);
          // and the customer still receives what was quoted for the lower send amount
          expect(compare(receiveFor(back, rate, receiveCcy, fee), receive)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('tick safety', () => {
  const limits = { maxFutureSkewMs: 2_000, maxTickAgeMs: 60_000, maxTickWidthBps: '200' };
  const bad = fc.oneof(
    fc.record({ kind: fc.constant('garbage'), bid: fc.string(), ask: fc.string() }),
    quote.map((q) => ({ kind: 'crossed', bid: q.ask, ask: fromScaled(toScaled(q.bid, 4) - 1n, 4) })),
    quote.map((q) => ({ kind: 'too wide', bid: q.bid, ask: fromScaled(toScaled(q.bid, 4) * 103n / 100n, 4) })),
    quote.map((q) => ({ kind: 'zero', bid: '0.0000', ask: q.ask })),
    fc.tuple(quote, fc.integer({ min: 2_001, max: 10_000_000 })).map(([q, ms]) => ({ kind: 'future', ...q, tsOffset: ms })),
    fc.tuple(quote, fc.integer({ min: 5_001, max: 10_000_000 })).map(([q, ms]) => ({ kind: 'stale', ...q, tsOffset: -ms })),
    quote.map((q) => ({ kind: 'replayed seq', ...q, seq: 2, partner: 'lp-a' })), // lp-a already sent seq 2
  );

  it('never lets a stale or invalid tick change a published rate', () => {
    fc.assert(
      fc.property(quote, quote, bad, fc.constantFrom('lp-a', 'lp-b'), (qa, qc, t, partner) => {
        const book = new RateBook(limits);
        const offer = (tick: Partial<PartnerTick> & { tsOffset?: number }) =>
          book.offer({ pair: 'USD/INR', ts: OPEN + (tick.tsOffset ?? 0), seq: 2, ...tick } as PartnerTick, OPEN, OPEN * 1000);
        expect(offer({ partner: 'lp-a', ...qa })).toBe('accepted');
        expect(offer({ partner: 'lp-c', ...qc })).toBe('accepted');
        const cfg = desk((d) => (d.pricing.outlierBps = '10000'));
        const before = price(cfg, book.linesFor(['USD/INR']), 'USD-INR');
        const { kind: _, ...fields } = t as { kind: string; bid: string; ask: string };
        const outcome = offer({ partner, ...fields });
        // A stale tick from a partner with no price yet is valid and stored, but never eligible; every other is refused.
        if (t.kind !== 'stale' || partner === 'lp-a') expect(outcome).not.toBe('accepted');
        const after = price(cfg, book.linesFor(['USD/INR']), 'USD-INR');
        expect(after.tiers.map((x) => x.rate)).toEqual(before.tiers.map((x) => x.rate));
        expect(after.routes).toEqual(before.routes);
      }),
    );
  });
});

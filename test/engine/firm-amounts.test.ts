// The lock's amounts on scaled integers, held to decimal.js (receiveFor / sendFor, the reference) over random
// amounts, rates, fees and minor units, and to the worked examples.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receiveFor, sendFor } from '../../engine/index.js';
import { formatUnits, receiveUnits, scaledOf, sendUnits, unitsOf } from '../../engine/firm-amounts.js';

const CURRENCY: Record<number, string> = { 0: 'JPY', 2: 'INR', 3: 'KWD' };
const decimalOf = (units: bigint, places: number) => formatUnits(units, places);
/** A positive amount in minor units, and a rate of up to 8 places (no trailing zeros needed). */
const amount = fc.bigInt({ min: 1n, max: 10n ** 11n });
const rate = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 })).map(([int, scale]) => formatUnits(int, scale));
const places = fc.constantFrom(0, 2, 3);

describe('firm amounts on scaled integers', () => {
  it('give the worked examples', () => {
    const r = scaledOf('83.5958');
    expect(formatUnits(receiveUnits(unitsOf('33.33', 2), 0n, 2, r, 2), 2)).toBe('2786.24');
    expect(formatUnits(receiveUnits(unitsOf('100.55', 2), 0n, 2, scaledOf('151.234'), 0), 0)).toBe('15206');
    expect(formatUnits(sendUnits(unitsOf('2786.24', 2), 0n, 2, r, 2), 2)).toBe(sendFor('2786.24', '83.5958', 'USD'));
    expect(formatUnits(receiveUnits(unitsOf('1.00', 2), unitsOf('1.50', 2), 2, r, 2), 2)).toBe('-41.79');
    expect(formatUnits(7n, 3)).toBe('0.007');
    expect(formatUnits(-7n, 2)).toBe('-0.07');
  });

  it('match receiveFor (send-fixed, rounded down) on random amounts, rates, fees and minor units', () => {
    fc.assert(fc.property(amount, fc.bigInt({ min: 0n, max: 10n ** 6n }), rate, places, places, (send, fee, rateText, sp, rp) => {
      const got = formatUnits(receiveUnits(send, fee, sp, scaledOf(rateText), rp), rp);
      const want = receiveFor(decimalOf(send, sp), rateText, CURRENCY[rp]!, decimalOf(fee, sp));
      expect(got.replace(/^-(0\.?0*)$/, '$1')).toBe(want.replace(/^-(0\.?0*)$/, '$1'));
    }), { numRuns: 3_000 });
  });

  it('match sendFor (receive-fixed, rounded up, plus the fee) on random amounts, rates, fees and minor units', () => {
    fc.assert(fc.property(amount, fc.bigInt({ min: 0n, max: 10n ** 6n }), rate, places, places, (receive, fee, rateText, sp, rp) => {
      const got = formatUnits(sendUnits(receive, fee, rp, scaledOf(rateText), sp), sp);
      expect(got).toBe(sendFor(decimalOf(receive, rp), rateText, CURRENCY[sp]!, decimalOf(fee, sp)));
    }), { numRuns: 3_000 });
  });
});

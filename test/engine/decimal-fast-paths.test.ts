// compare, canonical and parseAmount take string fast paths for plain decimals (the lock hot path); they
// must agree with decimal.js on every input.
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { canonical, compare, parseAmount } from '../../engine/decimal.js';

const plain = fc
  .tuple(fc.oneof(fc.constant('0'), fc.bigInt({ min: 1n, max: 10n ** 17n }).map(String)), fc.option(fc.stringMatching(/^\d{1,8}$/), { nil: undefined }))
  .map(([i, f]) => (f === undefined ? i : `${i}.${f}`));

describe('money fast paths', () => {
  it('compare agrees with decimal.js', () => {
    fc.assert(fc.property(plain, plain, (a, b) => {
      expect(compare(a, b)).toBe(new Decimal(a).cmp(b));
    }), { numRuns: 2_000 });
    expect(compare('1000', '1000.000')).toBe(0);
    expect(compare('-1', '0')).toBe(-1); // not plain: decimal.js decides
  });

  it('canonical agrees with decimal.js', () => {
    fc.assert(fc.property(plain, (a) => {
      expect(canonical(a)).toBe(new Decimal(a).toString());
    }), { numRuns: 2_000 });
  });

  it('parseAmount pads to the currency minor units exactly, and refuses zero and excess decimals', () => {
    fc.assert(
      fc.property(plain, fc.constantFrom('USD', 'JPY', 'KWD', 'INR'), (a, ccy) => {
        const minor = ({ USD: 2, JPY: 0, KWD: 3, INR: 2 } as Record<string, number>)[ccy]!;
        const dp = a.includes('.') ? a.length - a.indexOf('.') - 1 : 0;
        const r = parseAmount(a, ccy, 'sendAmount');
        if (dp > minor) expect(r).toEqual({ error: `sendAmount must have at most ${minor} decimals for ${ccy}` });
        else if (new Decimal(a).isZero()) expect(r).toEqual({ error: 'sendAmount must be greater than zero' });
        else expect(r).toEqual({ amount: new Decimal(a).toFixed(minor) });
      }),
      { numRuns: 2_000 },
    );
  });
});

// The exact rationals of the pricing workers (engine/exact.ts) against decimal.js, on the paths their texts
// take: rates rounded half-even with trailing zeros dropped, customer rates rounded down with them kept, values
// below one (leading zeros), whole numbers, zero; and decimals read in place or, when too long, from a substring.
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { bpsFactor, cmp, digitsIn, digitsRatio, fartherThan, fixedText, mul, placesRead, productFloor, ratio, roundedDigits, roundedText, scaled, toRounded, type Ratio } from '../../engine/exact.js';

/** A rate times a spread factor, rounded down to dp places, as text: what the pricer shows as a customer rate. */
const productDown = (a: Ratio, b: Ratio, dp: number) => fixedText(productFloor(a, b), dp);

const D = Decimal.clone({ precision: 200, toExpPos: 1_000, toExpNeg: -1_000 });
const exact = (n: bigint, d: bigint) => new D(n.toString()).div(d.toString());

/** A plain decimal of up to `int` integer and `frac` fraction digits ("0", "84.5", "0.000123"). */
const decimal = (int: number, frac: number) =>
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** BigInt(int) - 1n }), fc.option(fc.stringMatching(new RegExp(`^\\d{1,${frac}}$`)), { nil: undefined }))
    .map(([i, f]) => (f === undefined ? i.toString() : `${i}.${f}`));

describe('exact ratios', () => {
  it('read a decimal in place as a whole count of its places, or NaN where a double cannot hold it', () => {
    let read = 0;
    fc.assert(fc.property(decimal(18, 18), fc.string({ maxLength: 3 }), (s, pad) => {
      const line = `${pad} ${s} ${pad}`;
      const n = digitsIn(line, pad.length + 1, pad.length + 1 + s.length);
      const expected = ratio(s);
      if (Number.isNaN(n)) return void expect(s.length > 17 || expected.n > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      read++;
      const r = digitsRatio(n, placesRead);
      expect([r.n, r.d]).toEqual([expected.n, expected.d]);
      expect(exact(r.n, r.d).eq(s)).toBe(true);
    }), { numRuns: 2_000 });
    expect(read).toBeGreaterThan(200); // the property met both kinds
    // 2^53 + 1 does not fit a double; 2^53 - 1 does, at any places
    expect(digitsIn('9007199254740993', 0, 16)).toBeNaN();
    expect(digitsIn('90071992547.40991', 0, 17)).toBe(9007199254740991);
    expect(placesRead).toBe(5);
    expect(digitsIn('84.5x', 0, 5)).toBeNaN();
  });

  it('round half-even to at most dp places, dropping trailing zeros, as decimal.js does', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: 0, max: 12 }), (n, d, dp) => {
      expect(toRounded({ n, d, f: undefined }, dp)).toBe(exact(n, d).toDecimalPlaces(dp, Decimal.ROUND_HALF_EVEN).toString());
    }), { numRuns: 3_000 });
    // ties go to the even neighbour; zeros and whole numbers lose their fraction
    expect(['0.125', '0.375', '84.000', '0', '0.0001'].map((s) => toRounded(ratio(s), 2))).toEqual(['0.12', '0.38', '84', '0', '0']);
    expect(toRounded(ratio('0.000125'), 5)).toBe('0.00012');
  });

  it('order ratios as decimal.js does, far apart, a few units apart or equal', () => {
    const ref = (a: Ratio, b: Ratio) => exact(a.n, a.d).cmp(exact(b.n, b.d));
    const r = (n: bigint, d: bigint): Ratio => ({ n, d, f: undefined });
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }),
      fc.bigInt({ min: -3n, max: 3n }), fc.boolean(), (n, d, e, delta, near) => {
        // near: the same value over another denominator, nudged by a few units in the last place
        const a = r(n, d);
        const b = near ? r(n * e + delta, d * e) : r(e, d + 1n);
        expect([cmp(a, b), cmp(b, a), cmp(a, a)]).toEqual([ref(a, b), ref(b, a), 0]);
      }), { numRuns: 5_000 });
    // beyond a double's range, a ratio against itself, and 1/3 against its 18-digit truncation
    const huge = r(10n ** 400n + 1n, 10n ** 90n);
    expect([cmp(huge, r(10n ** 400n, 10n ** 90n)), cmp(huge, huge), cmp(r(1n, 3n), r(333_333_333_333_333_333n, 10n ** 18n))]).toEqual([1, 0, 1]);
  });

  it('round a rate times a spread factor down to dp places, keeping trailing zeros, as decimal.js does', () => {
    fc.assert(fc.property(decimal(6, 10), decimal(3, 1), fc.integer({ min: 0, max: 8 }), (rate, bps, dp) => {
      const expected = new D(rate).times(new D(1).minus(new D(bps).div(10_000))).toFixed(dp, Decimal.ROUND_DOWN);
      expect(productDown(ratio(rate), scaled(bpsFactor(bps), dp), dp)).toBe(expected);
    }), { numRuns: 3_000 });
    // 84 * 0.995 = 83.58 -> 83.5800; 0.0123 * 0.5 = 0.00615 -> 0.0061; 1 * 1 at no places -> 1
    expect(productDown(ratio('84'), scaled(bpsFactor('50'), 4), 4)).toBe('83.5800');
    expect(productDown(ratio('0.0123'), scaled(bpsFactor('5000'), 4), 4)).toBe('0.0061');
    expect(productDown(mul(ratio('1'), ratio('1')), scaled(bpsFactor('0'), 0), 0)).toBe('1');
  });

  it('write digits as text as decimal.js does, where a double holds them and past that', () => {
    const edges = [0, 1, 7, 10, 999_999, 999_999_999_999_999, 1e15, 1e15 + 1, 2 ** 52 - 1, 2 ** 52, Number.MAX_SAFE_INTEGER];
    const digits = fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10 ** 7 }));
    fc.assert(fc.property(digits, fc.integer({ min: 0, max: 24 }), (v, dp) => {
      const value = new D(v).div(new D(10).pow(dp));
      expect(fixedText(v, dp)).toBe(value.toFixed(dp));
      expect(roundedText(v, dp)).toBe(value.toString());
      expect(roundedText(BigInt(v) * 10n ** 20n, dp + 20)).toBe(value.toString());
    }), { numRuns: 3_000 });
  });

  // The double decides only when it is far from the boundary; these sit closer to it than a double can see
  // (1e-25 relative, against 1.1e-16 for a double's last place), on both sides of it and on it.
  const tiny = 10n ** 25n;
  const r = (n: bigint, d: bigint): Ratio => ({ n, d, f: undefined });

  it('round half-even exactly when the value is within a double of half a unit, or of a whole one', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 12 }), fc.constantFrom(-1n, 0n, 1n), fc.constantFrom(0n, 5n),
      (k, dp, nudge, half) => {
        // (k + half/10 + nudge/10^25) / 10^dp: on a half or a whole unit of the last place, or a hair either side
        const d = 10n * tiny * 10n ** BigInt(dp);
        const n = (k * 10n + half) * tiny + nudge;
        if (n < 0n) return;
        const expected = exact(n, d).toDecimalPlaces(dp, Decimal.ROUND_HALF_EVEN).toString();
        expect(toRounded(r(n, d), dp)).toBe(expected);
        expect(roundedDigits(r(n, d), dp)).toBe(Number(exact(n, d).times(new D(10).pow(dp)).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toString()));
      }), { numRuns: 3_000 });
  });

  it('round a product down exactly when it is within a double of a whole unit', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.constantFrom(-1n, 0n, 1n), fc.integer({ min: 0, max: 8 }), (k, nudge, dp) => {
      // a * b = k + nudge / 10^25 at dp places, split as (k * 10^25 + nudge) / 10^25 times 10^dp / 10^dp
      const a = r(k * tiny + nudge, tiny * 10n ** BigInt(dp));
      const b = r(10n ** BigInt(dp), 1n);
      expect(productDown(a, b, dp)).toBe(exact(a.n, a.d).toFixed(dp, Decimal.ROUND_DOWN));
    }), { numRuns: 3_000 });
  });

  it('tell whether a mid is further than bps from another as decimal.js does, on the bound and a hair either side', () => {
    const ref = (x: Ratio, m: Ratio, bps: Ratio) =>
      exact(x.n, x.d).minus(exact(m.n, m.d)).abs().times(10_000).gt(exact(bps.n, bps.d).times(exact(m.n, m.d)));
    fc.assert(fc.property(decimal(6, 6).filter((s) => !new D(s).isZero()), decimal(3, 2), fc.constantFrom(-1n, 0n, 1n), fc.boolean(), fc.boolean(),
      (mid, bps, nudge, above, far) => {
        const m = ratio(mid);
        const b = ratio(bps);
        // x = mid * (1 ± bps/10000) exactly, nudged by 1e-25 of a unit; or anywhere within twice the bound
        const sign = above ? 1n : -1n;
        const onBound = r(m.n * (b.d * 10_000n + sign * b.n) * tiny + nudge, m.d * b.d * 10_000n * tiny);
        const x = far ? r(m.n * (b.d * 10_000n + sign * 2n * b.n) + nudge, m.d * b.d * 10_000n) : onBound;
        if (x.n <= 0n) return;
        expect(fartherThan(x, m, b)).toBe(ref(x, m, b));
      }), { numRuns: 3_000 });
  });
});

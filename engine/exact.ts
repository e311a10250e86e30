// Exact rationals on BigInt for the pricing workers' hot path: a decimal string becomes n / 10^k once, legs,
// crosses and spreads multiply numerators and denominators, comparisons cross-multiply, and rounding to a
// decimal string happens once, at the end, on the exact value. decimal.js (decimal.ts) is the reference the
// property tests hold these results to; it rounds 1 / ask to 40 digits where this keeps it exact.

/**
 * n / d with d > 0; never reduced (the denominators stay products of small factors and powers of ten). `key`
 * (floor(n / d * 10^KEY_DP), made on first comparison) orders most pairs without a multiplication.
 */
export interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
  key: bigint | undefined;
}

const KEY_DP = 30;

const POW10: bigint[] = [1n];
export function pow10(k: number): bigint {
  for (let i = POW10.length; i <= k; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[k]!;
}

const of = (n: bigint, d: bigint): Ratio => ({ n, d, key: undefined });

/** A plain decimal string ("84.5", "-2", "0.0001") as an exact ratio n / 10^places. */
export function ratio(s: string): Ratio {
  const dot = s.indexOf('.');
  if (dot < 0) return of(BigInt(s), 1n);
  return of(BigInt(s.slice(0, dot) + s.slice(dot + 1)), pow10(s.length - dot - 1));
}

/**
 * The plain decimal s[from, to) as ratio() reads it. Digits that fit a double exactly (below 2^53) are read in
 * place, without the substrings ratio() makes.
 */
export function ratioIn(s: string, from: number, to: number): Ratio {
  if (to - from > 17) return ratio(s.slice(from, to));
  let n = 0;
  let places = -1;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      n = n * 10 + c;
      if (places >= 0) places++;
    } else if (c === -2 && places < 0) places = 0; // the dot
    else return ratio(s.slice(from, to));
  }
  if (n > Number.MAX_SAFE_INTEGER) return ratio(s.slice(from, to));
  return of(BigInt(n), places > 0 ? pow10(places) : 1n);
}

export const mul = (a: Ratio, b: Ratio): Ratio => of(a.n * b.n, a.d * b.d);
/** a / b, for b > 0. */
export const div = (a: Ratio, b: Ratio): Ratio => of(a.n * b.d, a.d * b.n);
export const add = (a: Ratio, b: Ratio): Ratio => (a.d === b.d ? of(a.n + b.n, a.d) : of(a.n * b.d + b.n * a.d, a.d * b.d));
/** 1 / a, for a > 0. */
export const inverse = (a: Ratio): Ratio => of(a.d, a.n);
export const half = (a: Ratio): Ratio => of(a.n, a.d * 2n);
/** 2 / a, for a > 0. */
export const twiceInverse = (a: Ratio): Ratio => of(a.d * 2n, a.n);

/** Sign of a - b: by the keys where they differ (floor is monotonic), exactly where they do not. */
export function cmp(a: Ratio, b: Ratio): number {
  if (a.d === b.d) return a.n > b.n ? 1 : a.n < b.n ? -1 : 0;
  const ka = (a.key ??= (a.n * pow10(KEY_DP)) / a.d);
  const kb = (b.key ??= (b.n * pow10(KEY_DP)) / b.d);
  if (ka !== kb) return ka > kb ? 1 : -1;
  const x = a.n * b.d;
  const y = b.n * a.d;
  return x > y ? 1 : x < y ? -1 : 0;
}

/** 1 - bps/10000: what a fee or a spread leaves of a rate. */
export function bpsFactor(bps: string): Ratio {
  const b = ratio(bps);
  return of(b.d * 10_000n - b.n, b.d * 10_000n);
}

/** true when x is further than bps from ref (both > 0): |x - ref| * 10000 > bps * ref. */
export function fartherThan(x: Ratio, ref: Ratio, bps: Ratio): boolean {
  const diff = x.n * ref.d - ref.n * x.d;
  return (diff < 0n ? -diff : diff) * 10_000n * bps.d > bps.n * ref.n * x.d;
}

const ZEROS: string[] = [''];
const zeros = (k: number): string => (ZEROS[k] ??= '0'.repeat(k));

/**
 * v / 10^dp (v >= 0) as a decimal string with dp places ("83.5800"), or with `trim` without the fraction's
 * trailing zeros ("84", "1.17"). Built from v's digits directly: two or three strings on the way, not six.
 */
function decimalText(v: bigint, dp: number, trim: boolean): string {
  const digits = v.toString();
  if (dp === 0) return digits;
  const intLen = digits.length - dp;
  let end = digits.length;
  if (trim) while (end > 0 && end > intLen && digits.charCodeAt(end - 1) === 48) end--; // '0'
  if (intLen <= 0) return end === 0 ? '0' : `0.${zeros(-intLen)}${digits.slice(0, end)}`;
  return end === intLen ? digits.slice(0, intLen) : `${digits.slice(0, intLen)}.${digits.slice(intLen, end)}`;
}

/**
 * floor(a * b), where b is already scaled by 10^dp: the digits of a rate times a spread factor rounded down to dp
 * places (decimal.js toFixed(dp, ROUND_DOWN)), without a ratio for the product; fixedText makes them text.
 */
export const productFloor = (a: Ratio, b: Ratio): bigint => (a.n * b.n) / (a.d * b.d);

/** v / 10^dp as text with dp places, trailing zeros kept ("83.5800"). */
export const fixedText = (v: bigint, dp: number): string => decimalText(v, dp, false);

/** a * 10^dp: a factor made ready for productFloor. */
export const scaled = (a: Ratio, dp: number): Ratio => of(a.n * pow10(dp), a.d);

/** a (>= 0) rounded half-even to at most dp places, trailing zeros dropped ("84", "1.1737089202"). */
export const toRounded = (a: Ratio, dp: number): string => decimalText(roundedDigits(a, dp), dp, true);

/** a (>= 0) * 10^dp rounded half-even to an integer: toRounded's digits, before they become text. */
export function roundedDigits(a: Ratio, dp: number): bigint {
  const scaledN = a.n * pow10(dp);
  const q = scaledN / a.d;
  const twice = (scaledN - q * a.d) * 2n;
  return twice > a.d || (twice === a.d && (q & 1n) === 1n) ? q + 1n : q;
}

/** roundedDigits' text: toRounded's, for digits already at hand. */
export const roundedText = (v: bigint, dp: number): string => decimalText(v, dp, true);

/** Sorts xs[0, n) in place, stably, without the temporary arrays Array.prototype.sort makes. */
export function sortSmall<T>(xs: T[], n: number, order: (a: T, b: T) => number): T[] {
  for (let i = 1; i < n; i++) {
    const x = xs[i]!;
    let j = i - 1;
    for (; j >= 0 && order(xs[j]!, x) > 0; j--) xs[j + 1] = xs[j]!;
    xs[j + 1] = x;
  }
  return xs;
}

// Exact rationals on BigInt for the pricing workers' hot path: a decimal string becomes n / 10^k once, legs,
// crosses and spreads multiply numerators and denominators, comparisons cross-multiply, and rounding to a
// decimal string happens once, at the end, on the exact value. decimal.js (decimal.ts) is the reference the
// property tests hold these results to; it rounds 1 / ask to 40 digits where this keeps it exact.
//
// Comparisons and roundings decide on a double first: n / d read as a double is within 3 units in the last
// place of the exact value (Number(bigint) and the division each round once, to nearest), so when the double
// is further than ERR (about 36 such units, relative) from the decision's boundary (the other value, an
// integer, half an integer) the exact answer is the same and no BigInt is made. Nearer than that (ties,
// exact integers, values a double cannot hold) the exact arithmetic decides.

/**
 * n / d with d > 0; never reduced (the denominators stay products of small factors and powers of ten). `f`: n / d
 * as a double (approx), made on first use.
 */
export interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
  f: number | undefined;
}

/** Relative error allowed for a double made of a few approx values (each within 3 units of 2^-53, relative). */
const ERR = 4e-15;
/** Below this the double path is not taken (subnormal doubles lose relative precision). */
const TINY = 1e-290;
/** Integers below this are exact in a double, with room for + 1. */
const EXACT = 2 ** 52;

const approx = (a: Ratio): number => (a.f ??= Number(a.n) / Number(a.d));

/** A whole number as digits are kept: a number when it is exact in one, else a BigInt (the same value, one way). */
export type Digits = number | bigint;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const digitsOf = (v: bigint): Digits => (v <= SAFE && v >= -SAFE ? Number(v) : v);

const POW10: bigint[] = [1n];
export function pow10(k: number): bigint {
  for (let i = POW10.length; i <= k; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[k]!;
}

const of = (n: bigint, d: bigint): Ratio => ({ n, d, f: undefined });

/** A plain decimal string ("84.5", "-2", "0.0001") as an exact ratio n / 10^places. */
export function ratio(s: string): Ratio {
  const dot = s.indexOf('.');
  if (dot < 0) return of(BigInt(s), 1n);
  return of(BigInt(s.slice(0, dot) + s.slice(dot + 1)), pow10(s.length - dot - 1));
}

/** The places of the decimal digitsIn read last: its second result, without an object a call. */
export let placesRead = 0;

/**
 * The plain decimal s[from, to) as a whole count of 10^-placesRead units, read in place, when a double holds that
 * count exactly (below 2^53); NaN when it does not (more digits, or not digits and one dot), for ratio() to read.
 */
export function digitsIn(s: string, from: number, to: number): number {
  placesRead = 0;
  if (to - from > 17) return NaN;
  let n = 0;
  let places = -1;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      n = n * 10 + c;
      if (places >= 0) places++;
    } else if (c === -2 && places < 0) places = 0; // the dot
    else return NaN;
  }
  if (n > Number.MAX_SAFE_INTEGER) return NaN;
  placesRead = places > 0 ? places : 0;
  return n;
}

/** n / 10^places, for a whole n below 2^53 (digitsIn's). */
export const digitsRatio = (n: number, places: number): Ratio => of(BigInt(n), places > 0 ? pow10(places) : 1n);

export const mul = (a: Ratio, b: Ratio): Ratio => of(a.n * b.n, a.d * b.d);
/** a / b, for b > 0. */
export const div = (a: Ratio, b: Ratio): Ratio => of(a.n * b.d, a.d * b.n);
export const add = (a: Ratio, b: Ratio): Ratio => (a.d === b.d ? of(a.n + b.n, a.d) : of(a.n * b.d + b.n * a.d, a.d * b.d));
/** 1 / a, for a > 0. */
export const inverse = (a: Ratio): Ratio => of(a.d, a.n);
export const half = (a: Ratio): Ratio => of(a.n, a.d * 2n);
/** 2 / a, for a > 0. */
export const twiceInverse = (a: Ratio): Ratio => of(a.d * 2n, a.n);

/** Sign of a - b: by their doubles where those are far enough apart, exactly where they are not. */
export function cmp(a: Ratio, b: Ratio): number {
  if (a.d === b.d) return a.n > b.n ? 1 : a.n < b.n ? -1 : 0;
  const fa = approx(a);
  const fb = approx(b);
  // NaN or infinite (a value beyond a double) fails both tests and goes to the exact path.
  const margin = (Math.abs(fa) + Math.abs(fb)) * ERR;
  if (margin > TINY) {
    if (fa - fb > margin) return 1;
    if (fb - fa > margin) return -1;
  }
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
  const fx = approx(x);
  const fr = approx(ref);
  const far = Math.abs(fx - fr) * 10_000;
  const bound = approx(bps) * fr;
  // The difference of two approx values is off by up to ERR of their sum, which the 10 000 scales.
  const margin = (fx + fr) * 10_000 * ERR + bound * ERR;
  if (margin > TINY) {
    if (far - bound > margin) return true;
    if (bound - far > margin) return false;
  }
  const diff = x.n * ref.d - ref.n * x.d;
  return (diff < 0n ? -diff : diff) * 10_000n * bps.d > bps.n * ref.n * x.d;
}

/** Powers of ten that a double holds exactly. */
export const POW10_EXACT = Array.from({ length: 23 }, (_, k) => 10 ** k);

const ZEROS: string[] = [''];
const zeros = (k: number): string => (ZEROS[k] ??= '0'.repeat(k));

/**
 * v / 10^dp (v >= 0) as a decimal string with dp places ("83.5800"), or with `trim` without the fraction's
 * trailing zeros ("84", "1.17"). Digits a double holds are split into whole and fraction on exact integers (a
 * remainder and a division with no remainder are exact below 2^53), whose texts the language caches; no double
 * holds the rate itself. Other digits are cut from v's text.
 */
function decimalText(v: Digits, dp: number, trim: boolean): string {
  if (typeof v === 'number' && dp > 0 && dp < POW10_EXACT.length) {
    let frac = v % POW10_EXACT[dp]!;
    const whole = (v - frac) / POW10_EXACT[dp]!;
    let places = dp;
    if (trim) {
      if (frac === 0) return `${whole}`;
      while (frac % 10 === 0) {
        frac /= 10;
        places--;
      }
    }
    const text = `${frac}`;
    return `${whole}.${zeros(places - text.length)}${text}`;
  }
  const digits = typeof v === 'number' ? `${v}` : v.toString();
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
export function productFloor(a: Ratio, b: Ratio): Digits {
  const x = approx(a) * approx(b);
  if (x > 0 && x < EXACT) {
    const whole = Math.floor(x);
    const margin = x * ERR;
    if (x - whole > margin && whole + 1 - x > margin) return whole;
  }
  return digitsOf((a.n * b.n) / (a.d * b.d));
}

/** v / 10^dp as text with dp places, trailing zeros kept ("83.5800"). */
export const fixedText = (v: Digits, dp: number): string => decimalText(v, dp, false);

/** a * 10^dp: a factor made ready for productFloor. */
export const scaled = (a: Ratio, dp: number): Ratio => of(a.n * pow10(dp), a.d);

/** a (>= 0) rounded half-even to at most dp places, trailing zeros dropped ("84", "1.1737089202"). */
export const toRounded = (a: Ratio, dp: number): string => decimalText(roundedDigits(a, dp), dp, true);

/** a (>= 0) * 10^dp rounded half-even to an integer: toRounded's digits, before they become text. */
export function roundedDigits(a: Ratio, dp: number): Digits {
  if (dp < POW10_EXACT.length) {
    const x = approx(a) * POW10_EXACT[dp]!;
    if (x > 0 && x < EXACT) {
      // Only half an integer decides: a double on the wrong side of a whole number rounds to it all the same.
      const whole = Math.floor(x);
      const past = x - whole - 0.5;
      if (Math.abs(past) > x * ERR) return past > 0 ? whole + 1 : whole;
    }
  }
  const scaledN = a.n * pow10(dp);
  const q = scaledN / a.d;
  const twice = (scaledN - q * a.d) * 2n;
  return digitsOf(twice > a.d || (twice === a.d && (q & 1n) === 1n) ? q + 1n : q);
}

/** roundedDigits' text: toRounded's, for digits already at hand. */
export const roundedText = (v: Digits, dp: number): string => decimalText(v, dp, true);

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

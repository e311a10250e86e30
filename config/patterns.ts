// The shapes every part agrees on, written once: config, feeds and the engine import them from here.

/** A plain non-negative decimal: no sign, exponent, spaces or leading zeros; at most 18 digits each side. Money, rates, bps. */
export const DECIMAL = /^(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;
/** A plain decimal that may be negative: a desk adjustment such as skew ("-2.5"). */
export const SIGNED_DECIMAL = /^-?(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;
/** A partner's number as it sent it: digits with an optional sign and fraction. The book decides whether it is a price. */
export const PARTNER_NUMBER = /^-?\d+(?:\.\d+)?$/;
/** BASE/QUOTE as partners quote it: "USD/INR". */
export const PAIR = /^[A-Z]{3}\/[A-Z]{3}$/;
/** SEND-RECEIVE as customers see it: "USD-INR". */
export const CORRIDOR_ID = /^[A-Z]{3}-[A-Z]{3}$/;
/** Lowercase letters, digits and dashes: no spaces or line breaks, so ids travel in text formats unescaped. */
export const PARTNER_ID = /^[a-z0-9][a-z0-9-]*$/;

/** True for a plain, non-negative decimal string ("83.40", "0.5"). */
export function isDecimal(s: unknown): s is string {
  return typeof s === 'string' && DECIMAL.test(s);
}

/** Compares two plain decimals (see DECIMAL) exactly, by their digits. */
export function compareDecimals(a: string, b: string): number {
  const da = a.indexOf('.');
  const db = b.indexOf('.');
  const ai = da < 0 ? a : a.slice(0, da);
  const bi = db < 0 ? b : b.slice(0, db);
  if (ai.length !== bi.length) return ai.length < bi.length ? -1 : 1;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const af = da < 0 ? '' : a.slice(da + 1);
  const bf = db < 0 ? '' : b.slice(db + 1);
  const n = Math.max(af.length, bf.length);
  const x = af.padEnd(n, '0');
  const y = bf.padEnd(n, '0');
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Decimal places of a plain decimal. */
export function places(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

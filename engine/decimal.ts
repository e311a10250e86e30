// Decimal arithmetic off the pricing workers' hot loop: money and amounts (lock, quotes), spreads and limits
// when a config is prepared, the volatility sums once per sample. The only module of the engine that imports
// decimal.js; everything else passes these values as strings. The workers' per-batch arithmetic is exact.ts,
// held to decimal.js by property tests.
import { Decimal as DecimalJs } from 'decimal.js';
import currencyCodes from 'currency-codes';
import { compareDecimals, isDecimal, places } from '../config/index.js';

const D = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
type Dec = InstanceType<typeof D>;

// currency-codes scans its whole list per lookup: remember the answers (a few hundred codes at most).
const minorByCode = new Map<string, number | undefined>();

/** ISO 4217 minor units, from the maintained currency-codes data package. */
export function minorUnits(currency: string): number | undefined {
  if (minorByCode.has(currency)) return minorByCode.get(currency);
  const c = currencyCodes.code(currency);
  const minor = c && Number.isInteger(c.digits) ? c.digits : undefined;
  if (/^[A-Z]{3}$/.test(currency)) minorByCode.set(currency, minor);
  return minor;
}

/**
 * Parses a customer amount for a currency: a plain decimal, > 0, with no more decimals than the currency
 * allows. Returns it normalised to the currency's minor units ("1000" -> "1000.00" for USD), or an error text.
 */
export function parseAmount(value: unknown, currency: string, name: string): { amount: string } | { error: string } {
  if (typeof value !== 'string') return { error: `${name} must be a decimal string` };
  if (!isDecimal(value)) return { error: `${name} must be a plain decimal string such as "1000.00"` };
  const minor = minorUnits(currency) ?? 2;
  const dp = places(value);
  if (dp > minor) return { error: `${name} must have at most ${minor} decimals for ${currency}` };
  if (/^0(?:\.0*)?$/.test(value)) return { error: `${name} must be greater than zero` };
  // A plain decimal with few enough places: padding it is exact, no arithmetic needed.
  if (minor === 0) return { amount: dp === 0 ? value : value.slice(0, value.indexOf('.')) };
  return { amount: dp === 0 ? `${value}.${'0'.repeat(minor)}` : value + '0'.repeat(minor - dp) };
}

/** The canonical form of a decimal string: "1000.50" -> "1000.5", "1000.00" -> "1000". */
export function canonical(s: string): string {
  if (!isDecimal(s)) return new D(s).toString();
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Compares two decimal strings; plain non-negative ones (no leading zeros) by their digits, exactly. */
export function compare(a: string, b: string): number {
  return isDecimal(a) && isDecimal(b) ? compareDecimals(a, b) : new D(a).cmp(b);
}

const ONE = new D(1);
const TEN_THOUSAND = new D(10_000);
/** (1 - bps/10000) as decimals, by their string: a handful of distinct values, parsed once. */
const factors = new Map<string, Dec>();
function factorOf(bps: string): Dec {
  let f = factors.get(bps);
  if (!f) factors.set(bps, (f = ONE.minus(new D(bps).div(TEN_THOUSAND))));
  return f;
}

/**
 * The shape of a bid/ask quote (both plain decimals): crossed when bid > ask, too wide when (ask - bid) / mid
 * is above maxWidthBps, i.e. (ask - bid) * 20000 > maxWidthBps * (ask + bid). It runs on the main thread for
 * every tick, so it works on exact scaled integers (BigInt) rather than allocating decimals.
 */
export function quoteShape(bid: string, ask: string, maxWidthBps: string): 'ok' | 'crossed' | 'too_wide' {
  const dp = Math.max(places(bid), places(ask));
  const b = scaled(bid, dp);
  const a = scaled(ask, dp);
  if (b > a) return 'crossed';
  const w = places(maxWidthBps);
  return (a - b) * 20_000n * 10n ** BigInt(w) > scaled(maxWidthBps, w) * (a + b) ? 'too_wide' : 'ok';
}

/** A plain decimal string as an integer count of 10^-dp units ("84.5", 3 -> 84500n); dp >= its decimals. */
function scaled(s: string, dp: number): bigint {
  const dot = s.indexOf('.');
  const int = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  return BigInt(int + frac.padEnd(dp, '0'));
}

/** Sum of bps strings, as a canonical string ("60" + "-5" + "0" -> "55"). */
export function sumBps(values: string[]): string {
  return values.reduce((acc, v) => acc.plus(v), new D(0)).toString();
}

/** v bounded to [lo, hi], as a canonical string. */
export function clamp(v: string, lo: string, hi: string): string {
  const d = new D(v);
  return (d.lt(lo) ? new D(lo) : d.gt(hi) ? new D(hi) : d).toString();
}

/** Customer rate: routeRate * (1 - spreadBps/10000), rounded down to the corridor's rate precision. */
export function customerRate(routeRate: Dec | string, spread: Dec | string, precision: number): string {
  const factor = typeof spread === 'string' ? factorOf(spread) : spread;
  return (typeof routeRate === 'string' ? new D(routeRate) : routeRate).times(factor).toFixed(precision, D.ROUND_DOWN);
}

/**
 * Send-fixed: receiveAmount = roundDown((sendAmount - fee) * rate, receive minor units). The fixed fee is in
 * the send currency and is not converted, so the house never pays out on it.
 */
export function receiveFor(sendAmount: string, rate: string, receiveCurrency: string, fee = '0'): string {
  const minor = minorUnits(receiveCurrency) ?? 2;
  return new D(sendAmount).minus(fee).times(rate).toDecimalPlaces(minor, D.ROUND_DOWN).toFixed(minor);
}

/** Receive-fixed: sendAmount = roundUp(receiveAmount / rate, send minor units) + fee. */
export function sendFor(receiveAmount: string, rate: string, sendCurrency: string, fee = '0'): string {
  const minor = minorUnits(sendCurrency) ?? 2;
  return new D(receiveAmount).div(rate).toDecimalPlaces(minor, D.ROUND_UP).plus(fee).toFixed(minor);
}

/**
 * One volatility sample: the squared return since the previous sampled mid, added to the earlier sum after
 * it decayed by `decay` per elapsed sample period. Returns the new sum of squared returns.
 */
export function decayedSquaredReturns(prevSum: string, prevMid: string, mid: Dec | string, decay: string, periods: number): string {
  const r = new D(mid).minus(prevMid).div(prevMid);
  return new D(prevSum).times(new D(decay).pow(periods)).plus(r.times(r)).toSignificantDigits(12, D.ROUND_HALF_EVEN).toString();
}

/** true when a sum of squared returns means a volatility above thresholdBps: sum > (threshold/10000)^2. */
export function varianceAbove(sum: string, thresholdBps: string): boolean {
  const t = new D(thresholdBps).div(10_000);
  return new D(sum).gt(t.times(t));
}

/** 1 - part/whole, for the volatility decay per sample ("1000", "60000" -> "0.98333..."). */
export function oneMinusRatio(part: number, whole: number): string {
  return new D(1).minus(new D(part).div(whole)).toString();
}

export function formatMoney(amount: string, currency: string): string {
  return new D(amount).toFixed(minorUnits(currency) ?? 2);
}


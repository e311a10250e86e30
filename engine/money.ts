// The only module that imports decimal.js. Everything else passes money and rates as strings.
import { Decimal as DecimalJs } from 'decimal.js';
import currencyCodes from 'currency-codes';

const D = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
type Dec = InstanceType<typeof D>;

const DECIMAL = /^(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;

/** True for a plain, non-negative decimal string ("83.40", "0.5"); no exponent, sign or spaces. */
export function isDecimal(s: unknown): s is string {
  return typeof s === 'string' && DECIMAL.test(s);
}

/** ISO 4217 minor units, from the maintained currency-codes data package. */
export function minorUnits(currency: string): number | undefined {
  const c = currencyCodes.code(currency);
  return c && Number.isInteger(c.digits) ? c.digits : undefined;
}

function places(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * Parses a customer amount for a currency: a plain decimal, > 0, with no more decimals than the currency
 * allows. Returns it normalised to the currency's minor units ("1000" -> "1000.00" for USD), or an error text.
 */
export function parseAmount(value: unknown, currency: string, name: string): { amount: string } | { error: string } {
  if (typeof value !== 'string') return { error: `${name} must be a decimal string` };
  if (!isDecimal(value)) return { error: `${name} must be a plain decimal string such as "1000.00"` };
  const minor = minorUnits(currency) ?? 2;
  if (places(value) > minor) return { error: `${name} must have at most ${minor} decimals for ${currency}` };
  const d = new D(value);
  if (d.isZero()) return { error: `${name} must be greater than zero` };
  return { amount: d.toFixed(minor) };
}

/** The canonical form of a decimal string: "1000.50" -> "1000.5", "1000.00" -> "1000". */
export function canonical(s: string): string {
  return new D(s).toString();
}

export function compare(a: string, b: string): number {
  return new D(a).cmp(b);
}

/** Route rate of one leg: pair S/R gives bid; pair R/S gives 1 / ask. A partner fee scales it by (1 - fee/10000). */
export function legRate(bid: string, ask: string, inverted: boolean, feeBps: string): Dec {
  const raw = inverted ? new D(1).div(ask) : new D(bid);
  return feeBps === '0' ? raw : raw.times(new D(1).minus(new D(feeBps).div(10_000)));
}

export function legMid(bid: string, ask: string, inverted: boolean): Dec {
  const mid = new D(bid).plus(ask).div(2);
  return inverted ? new D(1).div(mid) : mid;
}

export function product(values: Dec[]): Dec {
  return values.reduce((acc, v) => acc.times(v), new D(1));
}

/** Customer rate: routeRate * (1 - spreadBps/10000), rounded down to the corridor's rate precision. */
export function customerRate(routeRate: Dec | string, spreadBps: string, precision: number): string {
  return new D(routeRate)
    .times(new D(1).minus(new D(spreadBps).div(10_000)))
    .toDecimalPlaces(precision, D.ROUND_DOWN)
    .toFixed(precision);
}

/** Send-fixed: receiveAmount = roundDown(sendAmount * rate, receive minor units). */
export function receiveFor(sendAmount: string, rate: string, receiveCurrency: string): string {
  const minor = minorUnits(receiveCurrency) ?? 2;
  return new D(sendAmount).times(rate).toDecimalPlaces(minor, D.ROUND_DOWN).toFixed(minor);
}

/** Receive-fixed: sendAmount = roundUp(receiveAmount / rate, send minor units). */
export function sendFor(receiveAmount: string, rate: string, sendCurrency: string): string {
  const minor = minorUnits(sendCurrency) ?? 2;
  return new D(receiveAmount).div(rate).toDecimalPlaces(minor, D.ROUND_UP).toFixed(minor);
}

export function formatMoney(amount: string, currency: string): string {
  return new D(amount).toFixed(minorUnits(currency) ?? 2);
}

/** Decimal to a canonical string with at most `dp` places, trailing zeros kept off. */
export function toFixedString(d: Dec, dp: number): string {
  return d.toDecimalPlaces(dp, D.ROUND_HALF_EVEN).toString();
}

export type { Dec as Decimal };

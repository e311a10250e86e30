// Amounts and rounding, worked out by hand. The house never rounds in the customer's favour: the rate and
// the receive amount round down, a send amount computed from a receive amount rounds up.
import { describe, expect, it } from 'vitest';
import { customerRate, minorUnits, tierForReceive, parseAmount, receiveFor, sendFor } from '../../engine/index.js';

describe('minor units', () => {
  it('come from ISO 4217 (currency-codes): JPY 0, INR 2, KWD 3', () => {
    expect([minorUnits('JPY'), minorUnits('INR'), minorUnits('KWD'), minorUnits('XXZ')]).toEqual([0, 2, 3, undefined]);
  });
});

describe('customer rate', () => {
  it('rounds down to the corridor precision', () => {
    // 84.0159 * (1 - 50/10000) = 83.5958205 -> 83.5958 (never 83.5959)
    expect(customerRate('84.0159', '50', 4)).toBe('83.5958');
    // 151.9999 * (1 - 0/10000) at 3 places -> 151.999
    expect(customerRate('151.9999', '0', 3)).toBe('151.999');
  });
});

describe('send-fixed: receive amount rounds down', () => {
  it('USD-INR', () => {
    // 33.33 * 83.5958 = 2786.248014 -> 2786.24
    expect(receiveFor('33.33', '83.5958', 'INR')).toBe('2786.24');
  });
  it('USD-JPY: no minor units', () => {
    // 100.55 * 151.234 = 15206.5787 -> 15206
    expect(receiveFor('100.55', '151.234', 'JPY')).toBe('15206');
  });
  it('USD-KWD: three minor units', () => {
    // 33.33 * 0.3071 = 10.235643 -> 10.235
    expect(receiveFor('33.33', '0.3071', 'KWD')).toBe('10.235');
  });
  it('takes the fixed fee off the send amount before converting', () => {
    // GBP-INR, fee 1.50 GBP: (100.00 - 1.50) * 106.5 = 98.50 * 106.5 = 10490.25
    expect(receiveFor('100.00', '106.5', 'INR', '1.50')).toBe('10490.25');
  });
});

describe('receive-fixed: send amount rounds up', () => {
  it('USD-INR', () => {
    // 10000 / 83.5958 = 119.62323... -> 119.63
    expect(sendFor('10000.00', '83.5958', 'USD')).toBe('119.63');
  });
  it('USD-JPY: the USD side rounds up to cents', () => {
    // 15000 / 151.234 = 99.18404... -> 99.19
    expect(sendFor('15000', '151.234', 'USD')).toBe('99.19');
  });
  it('KWD-INR: the KWD side rounds up to 3 places', () => {
    // 10000 / 274.1234 = 36.479921... -> 36.480
    expect(sendFor('10000.00', '274.1234', 'KWD')).toBe('36.480');
  });
  it('adds the fixed fee on top', () => {
    // 10490.25 / 106.5 = 98.50, + 1.50 fee = 100.00: the same terms as send-fixed 100.00
    expect(sendFor('10490.25', '106.5', 'GBP', '1.50')).toBe('100.00');
  });
});

describe('customer amounts', () => {
  it('are normalised to the currency\'s minor units', () => {
    expect(parseAmount('1000', 'USD', 'sendAmount')).toEqual({ amount: '1000.00' });
    expect(parseAmount('12.3', 'KWD', 'sendAmount')).toEqual({ amount: '12.300' });
    expect(parseAmount('15000', 'JPY', 'receiveAmount')).toEqual({ amount: '15000' });
  });
  it('are refused with too many decimals, zero, negative or not a decimal string', () => {
    const refused = (v: unknown, c: string) => 'error' in parseAmount(v, c, 'sendAmount');
    expect(refused('10.001', 'USD')).toBe(true);
    expect(refused('100.5', 'JPY')).toBe(true);
    expect(refused('1.2345', 'KWD')).toBe(true);
    expect(refused('0', 'USD')).toBe(true);
    expect(refused('0.00', 'USD')).toBe(true);
    expect(refused('-5', 'USD')).toBe(true);
    expect(refused('1e3', 'USD')).toBe(true);
    expect(refused(1000, 'USD')).toBe(true);
    expect(parseAmount('10.001', 'USD', 'sendAmount')).toEqual({ error: 'sendAmount must have at most 2 decimals for USD' });
  });
});

describe('the tier of a receive amount', () => {
  // tier 0 up to 1000 USD at 83.50, tier 1 above at 83.70 INR per USD
  const tiers = [{ upTo: '1000', rate: '83.50' }, { rate: '83.70' }];
  const tierOf = (receive: string) => tierForReceive(tiers, (t) => sendFor(receive, t.rate!, 'USD'));

  it('is the best-rate tier whose send amount still falls in it', () => {
    // 83700 INR: at tier 1, 83700 / 83.70 = 1000.00 USD, which is tier 0's amount: tier 1 refused, tier 0 it is
    expect(tierOf('83700.00')).toBe(tiers[0]);
    // 83710 INR: at tier 1, 83710 / 83.70 = 1000.12 USD (rounded up), above 1000: tier 1
    expect(tierOf('83710.00')).toBe(tiers[1]);
  });

  it('skips a tier without a rate', () => {
    expect(tierForReceive([{ upTo: '1000', rate: '83.50' }, { rate: null }], (t) => sendFor('90000', t.rate!, 'USD'))?.rate).toBe('83.50');
  });
});

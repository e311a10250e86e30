// Worked examples of route search and spreads, with the arithmetic written out. The rates are what the
// worker computes; the main thread only forwards them.
import { describe, expect, it } from 'vitest';
import { CLOSED, desk, OPEN, price, tick } from '../helpers/pricing.js';

const usdInr = (bid = '84.0000', ask = '84.0200', partner = 'lp-a', opts = {}) => tick(partner, 'USD/INR', bid, ask, opts);

describe('routes', () => {
  it('prices a direct pair at the bid', () => {
    // route = bid = 84
    // tier 0: 84 * (1 - 50/10000) = 84 * 0.995 = 83.58   -> 83.5800
    // tier 1: 84 * (1 - 20/10000) = 84 * 0.998 = 83.832  -> 83.8320
    const p = price(desk(), [usdInr()], 'USD-INR');
    expect(p.tradeable).toBe(true);
    expect(p.routes[0]).toMatchObject({ rate: '84', legs: [{ partner: 'lp-a', pair: 'USD/INR', rate: '84', tickTs: OPEN * 1000 }] });
    expect(p.tiers.map((t) => t.rate)).toEqual(['83.5800', '83.8320']);
    expect(p.mid).toBe('84.01'); // (84 + 84.02) / 2
  });

  it('prices an inverted pair at 1 / ask', () => {
    // GBP-EUR from EUR/GBP 0.8500 / 0.8520: route = 1 / 0.852 = 1.17370892018779...
    // 30 bps: 1.17370892018779 * 0.997 = 1.17018779342723... -> rounded down to 6 places: 1.170187
    const p = price(desk(), [tick('lp-a', 'EUR/GBP', '0.8500', '0.8520')], 'GBP-EUR');
    expect(p.routes[0]!.rate).toBe('1.1737089202');
    expect(p.routes[0]!.legs[0]).toMatchObject({ pair: 'EUR/GBP', rate: '1.1737089202' });
    expect(p.tiers[0]!.rate).toBe('1.170187');
  });

  it('prices AED-INR through USD, with legs from different partners', () => {
    // AED -> USD from lp-a USD/AED 3.6720 / 3.6730: 1 / 3.673 = 0.27225701061802...
    // USD -> INR from lp-b USD/INR 84.0000:          84
    // route = 84 / 3.673 = 22.8695888919139...;  50 bps: 22.8695888919139 * 0.995 = 22.7552409474... -> 22.7552
    const p = price(desk(), [tick('lp-a', 'USD/AED', '3.6720', '3.6730'), usdInr('84.0000', '84.0200', 'lp-b')], 'AED-INR');
    expect(p.routes[0]!.legs.map((l) => [l.partner, l.pair, l.rate])).toEqual([
      ['lp-a', 'USD/AED', '0.2722570106'],
      ['lp-b', 'USD/INR', '84'],
    ]);
    expect(p.routes[0]!.rate).toBe('22.8695888919');
    expect(p.tiers[0]!.rate).toBe('22.7552');
  });

  it('takes a partner fee off its leg and still picks it when it is the better rate', () => {
    // lp-c (fee 10 bps) bids 84.10: 84.10 * (1 - 10/10000) = 84.10 * 0.999 = 84.0159 > lp-a's 84
    // tier 0: 84.0159 * 0.995 = 83.5958205 -> 83.5958
    const p = price(desk(), [usdInr(), usdInr('84.1000', '84.1200', 'lp-c')], 'USD-INR');
    expect(p.routes[0]).toMatchObject({ rate: '84.0159', legs: [{ partner: 'lp-c' }] });
    expect(p.tiers[0]!.rate).toBe('83.5958');
  });

  it('keeps the eligible routes best first: direct and via a pivot', () => {
    // direct lp-a 84; via EUR: USD -> EUR at 1 / EUR/USD ask 1.0800 = 0.925925..., EUR -> INR 90.00: 83.333...
    const p = price(desk(), [usdInr(), tick('lp-b', 'EUR/USD', '1.0790', '1.0800'), tick('lp-b', 'EUR/INR', '90.0000', '90.0300')], 'USD-INR');
    expect(p.routes.map((r) => r.rate)).toEqual(['84', '83.3333333333']);
  });

  it('prices each tier inside its partners\' limits', () => {
    // lp-c takes at most 5000 USD on USD-INR. Tier 0 (up to 1000) goes to lp-c at 84.0159;
    // tier 1 (up to maxAmount 50000) only to lp-a: 84 * 0.998 = 83.832
    const cfg = desk((d) => (d.corridors['USD-INR'].partnerMaxAmounts = { 'lp-c': '5000' }));
    const p = price(cfg, [usdInr(), usdInr('84.1000', '84.1200', 'lp-c')], 'USD-INR');
    expect(p.routes.map((r) => [r.rate, r.maxAmount])).toEqual([['84.0159', '5000'], ['84', undefined]]);
    expect(p.tiers.map((t) => [t.rate, t.route])).toEqual([['83.5958', 0], ['83.8320', 1]]);
  });

  it('caps a tier that no route covers in full at the best route\'s limit', () => {
    const cfg = desk((d) => (d.corridors['USD-INR'].partnerMaxAmounts = { 'lp-a': '20000' }));
    const p = price(cfg, [usdInr()], 'USD-INR');
    expect(p.tiers[1]).toMatchObject({ rate: '83.8320', maxAmount: '20000' });
    expect(p.tiers[0]!.maxAmount).toBeUndefined();
  });

  it('leaves out stale legs and disabled partners, and is unavailable without a route', () => {
    const cfg = desk((d) => (d.partners['lp-b'].enabled = false));
    // lp-a is 5001 ms old (maxStalenessMs 5000), lp-b is disabled
    const p = price(cfg, [usdInr('84', '84.02', 'lp-a', { ageMs: 5_001 }), usdInr('85', '85.02', 'lp-b')], 'USD-INR');
    expect(p).toMatchObject({ tradeable: false, reason: 'no_route', tiers: [], routes: [] });
    expect(price(cfg, [usdInr('84', '84.02', 'lp-a', { ageMs: 5_000 })], 'USD-INR').tradeable).toBe(true);
  });

  it('holds out a partner further than outlierBps from the median of the others', () => {
    // mids 84.01 and 84.03; lp-c's 85.01 is ~119 bps away from both: held out, though its bid is the best
    const ticks = [usdInr('84.0000', '84.0200', 'lp-a'), usdInr('84.0200', '84.0400', 'lp-b'), usdInr('85.0000', '85.0200', 'lp-c')];
    const p = price(desk(), ticks, 'USD-INR');
    expect(p.routes[0]!.legs[0]!.partner).toBe('lp-b');
    expect(p.heldOut).toEqual([`lp-c USD/INR ${ticks[2]!.seq}`]);
    // with one wild partner among three, the two sane ones are both kept
    expect(p.heldOut).toHaveLength(1);
  });

  it('holds out on the bound exactly, however the decimals are written', () => {
    // lp-a and lp-b: bid + ask = 84.0000 + 84.0200 = 168.0200. 50 bps of it is 0.8401, so lp-c at 168.8601 is on
    // the bound (kept) and at 168.8602 past it (held out); at 12.5 bps the bound is 0.210025: 168.2300 kept, 168.2301 not.
    const heldOut = (outlierBps: string, bid: string, ask: string, long = false) => {
      const pad = (s: string) => (long ? `${s}${'0'.repeat(16)}` : s); // past 17 digits: read as BigInt, not as a double
      const ticks = [usdInr(pad('84.0000'), pad('84.0200'), 'lp-a'), usdInr(pad('84.0000'), pad('84.0200'), 'lp-b'), usdInr(pad(bid), pad(ask), 'lp-c')];
      return price(desk((d) => (d.pricing.outlierBps = outlierBps)), ticks, 'USD-INR').heldOut.map((h) => h.split(' ')[0]);
    };
    for (const long of [false, true]) {
      expect(heldOut('50', '84.4200', '84.4401', long)).toEqual([]);
      expect(heldOut('50', '84.42', '84.4401', long)).toEqual([]); // bid and ask with different places
      expect(heldOut('50', '84.4200', '84.4402', long)).toEqual(['lp-c']);
      expect(heldOut('50', '83.5800', '83.5999', long)).toEqual([]); // 0.8401 under: on the bound below
      expect(heldOut('50', '83.5800', '83.5998', long)).toEqual(['lp-c']);
      expect(heldOut('12.5', '84.11', '84.1200', long)).toEqual([]);
      expect(heldOut('12.5', '84.11', '84.1201', long)).toEqual(['lp-c']);
    }
  });
});

describe('spreads', () => {
  const one = (edit: (c: any) => void, opts: Parameters<typeof price>[3] = {}) =>
    price(desk((d) => edit(d.corridors['USD-INR'])), [usdInr('84.0000', '84.0200', 'lp-a', { nowMs: opts.nowMs ?? OPEN })], 'USD-INR', opts).tiers[0]!;

  it('says which parts made the spread: the tier alone', () => {
    expect(one(() => {}).spread).toEqual({ tierBps: '50', marketClosedBps: '0', volatilityBps: '0', skewBps: '0', totalBps: '50' });
  });

  it('adds the skew', () => {
    // 50 + 5 = 55 bps: 84 * 0.9945 = 83.538
    const t = one((c) => (c.skewBps = '5'));
    expect(t).toMatchObject({ rate: '83.5380', spreadBps: '55', spread: { skewBps: '5', totalBps: '55' } });
  });

  it('widens while the market is closed, and only then', () => {
    // Saturday: 50 + 25 = 75 bps: 84 * 0.9925 = 83.37
    const closed = one((c) => (c.marketClosedBps = '25'), { nowMs: CLOSED });
    expect(closed).toMatchObject({ rate: '83.3700', spread: { marketClosedBps: '25', totalBps: '75' } });
    const open = price(desk((d) => (d.corridors['USD-INR'].marketClosedBps = '25')), [usdInr()], 'USD-INR', { nowMs: OPEN }).tiers[0]!;
    expect(open.spread.marketClosedBps).toBe('0');
  });

  it('widens when realised volatility is above the threshold', () => {
    // previous sampled mid 83.5, now 84.01, one sample period later:
    // r = (84.01 - 83.5) / 83.5 = 0.0061077...; r^2 = 0.0000373 > (30/10000)^2 = 0.000009 -> +10 bps
    // 50 + 10 = 60 bps: 84 * 0.994 = 83.496
    const vol = (mid: string) => ({ 'USD-INR': { mid, atMs: OPEN - 1_000, sumSquares: '0' } });
    const edit = (c: any) => (c.volatility = { sampleMs: 1000, windowMs: 60000, thresholdBps: '30', widenBps: '10' });
    const cfg = desk((d) => edit(d.corridors['USD-INR']));
    const wild = price(cfg, [usdInr()], 'USD-INR', { volatility: vol('83.5') });
    expect(wild.tiers[0]).toMatchObject({ rate: '83.4960', spread: { volatilityBps: '10', totalBps: '60' } });
    expect(wild.volatility).toEqual({ mid: '84.01', atMs: OPEN, sumSquares: '0.0000373050306572' });
    // from 84.00 to 84.01: r^2 = (0.01 / 84)^2 = 0.0000000142 < 0.000009: no widening
    const calm = price(cfg, [usdInr()], 'USD-INR', { volatility: vol('84.00') });
    expect(calm.tiers[0]!.spread.volatilityBps).toBe('0');
    // the decayed sum is remembered: a sample period later with no move, 0.0000373 * (1 - 1000/60000) is still above
    const later = price(cfg, [usdInr()], 'USD-INR', { nowMs: OPEN + 1_000, volatility: { 'USD-INR': wild.volatility! } });
    expect(later.tiers[0]!.spread.volatilityBps).toBe('10');
  });

  it('bounds the total by minSpreadBps and maxSpreadBps', () => {
    // 50 - 45 = 5, raised to the minimum 15: 84 * 0.9985 = 83.874
    expect(one((c) => Object.assign(c, { skewBps: '-45', minSpreadBps: '15' }))).toMatchObject({
      rate: '83.8740', spread: { skewBps: '-45', totalBps: '15' },
    });
    // 50 + 100 closed = 150, cut to the maximum 120: 84 * 0.988 = 82.992
    expect(one((c) => Object.assign(c, { marketClosedBps: '100', maxSpreadBps: '120' }), { nowMs: CLOSED })).toMatchObject({
      rate: '82.9920', spread: { marketClosedBps: '100', totalBps: '120' },
    });
  });
});

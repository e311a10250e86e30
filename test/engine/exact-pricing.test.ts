// The workers price on exact integers (engine/exact.ts); decimal.js is the reference. Every shipped corridor,
// both directions of every pair (the pivots make inverted legs), random ticks, fees, spreads, skews, partner
// limits, stale and outlying partners, the market open and closed, and volatility state: the whole priced
// corridor must equal the decimal.js pricer's (test/helpers/pricing-reference.ts, the engine's pricer before
// it went to integers).
//
// Where the two may differ: decimal.js rounds 1 / ask (and each product) to 40 significant digits, the integer
// pricer rounds only the output. So the reference runs three times: rounding half-even (what the engine did),
// and rounding every division and product down, then up, which brackets the exact value. Each figure must
// equal the half-even reference's, or, where the down and up references disagree on it (the exact value sits
// within decimal.js's error of a rounding boundary, e.g. a 1 / 0.30 leg making an exact half-even tie), equal
// one of those two. The worked example at the end builds such a case on purpose: the integer result is exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfigPath, loadConfig } from '../../config/index.js';
import { priceBatch, pricingConfig, tickLines, type BookTick, type PricingConfig, type VolatilityState } from '../../engine/index.js';
import { fromScaled, prng, toScaled } from '../../feeds/index.js';
import { CLOSED, OPEN, price, tick } from '../helpers/pricing.js';
import { priceBatch as referencePriceBatch, usePrecision40 } from '../helpers/pricing-reference.js';

/** Every leaf of `exact` equals `ref`'s, or sits where `down` and `up` disagree and equals one of them; returns those leaves' paths. */
function agree(exact: unknown, ref: unknown, down: unknown, up: unknown, path = ''): string[] {
  if (exact !== null && typeof exact === 'object') {
    const keys = new Set([...Object.keys(exact), ...Object.keys((ref as object) ?? {})]);
    const at = (v: unknown, k: string) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined);
    return [...keys].flatMap((k) => agree(at(exact, k), at(ref, k), at(down, k), at(up, k), `${path}.${k}`));
  }
  if (exact === ref) return [];
  if (down !== up && (exact === down || exact === up)) return [path];
  throw new Error(`${path}: integer ${String(exact)}, decimal.js ${String(ref)} (rounding down ${String(down)}, up ${String(up)})`);
}

function reference(batch: Parameters<typeof referencePriceBatch>[0], cfg: PricingConfig, rounding: 'halfEven' | 'down' | 'up') {
  usePrecision40(rounding);
  return referencePriceBatch(batch, cfg);
}

/** Prices a batch on integers and checks it against the three references (agree); the priced batch, the half-even reference and the boundary paths. */
function checked(batch: Parameters<typeof referencePriceBatch>[0], cfg: PricingConfig) {
  const exact = priceBatch(batch, cfg);
  const ref = reference(batch, cfg, 'halfEven');
  const boundaries = agree(exact.corridors, ref.corridors, reference(batch, cfg, 'down').corridors, reference(batch, cfg, 'up').corridors);
  return { exact, ref, boundaries };
}

const shipped = loadConfig(defaultConfigPath());
const mids = shipped.config.synthetic!.mids as Record<string, string>;
const partners = ['lp-a', 'lp-b', 'lp-c'];

/** One random book and desk from a seed. */
function scenario(seed: number, version: number) {
  const random = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const bps = (max: number) => fromScaled(BigInt(int(0, max * 10)), 1);
  const base = pricingConfig(shipped);
  const cfg: PricingConfig = {
    ...base,
    version: `v${version}`,
    outlierBps: pick(['5', '20', '50', '10000']),
    partners: Object.fromEntries(partners.map((p) => [p, { enabled: random() > 0.1, feeBps: pick(['0', '1.5', bps(30)]) }])),
    corridors: Object.fromEntries(Object.entries(base.corridors).map(([id, c]) => [id, {
      ...c,
      tiers: c.tiers.map((t) => ({ ...t, spreadBps: bps(150) })),
      skewBps: fromScaled(BigInt(int(-100, 100)), 1),
      minSpreadBps: bps(15),
      marketClosedBps: bps(40),
      partnerMaxAmounts: random() > 0.5 ? { [pick(partners)]: pick(['500', '5000', '20000']) } : {},
    }])),
  };
  const nowMs = random() > 0.5 ? OPEN : CLOSED;
  const ticks: BookTick[] = [];
  for (const partner of partners)
    for (const [pair, mid] of Object.entries(mids)) {
      if (random() < 0.2) continue;
      const places = int(2, 6);
      const m = toScaled(mid, 8) * BigInt(Math.round((1 + (random() - 0.5) * (random() < 0.1 ? 0.04 : 0.004)) * 1e6));
      const bid = m / 10n ** BigInt(14 - places);
      const ask = bid + BigInt(int(0, Math.max(1, Number(bid / 300n))));
      ticks.push(tick(partner, pair, fromScaled(bid, places), fromScaled(ask, places), { nowMs, ageMs: int(0, 8_000), seq: int(1, 1e6) }));
    }
  const volatility: Record<string, VolatilityState> = {};
  for (const [id, c] of Object.entries(cfg.corridors))
    if (c.volatility && random() > 0.3) {
      const mid = mids[`${c.send}/${c.receive}`] ?? '1.5';
      volatility[id] = { mid: fromScaled(toScaled(mid, 10) * BigInt(int(9_950, 10_050)) / 10_000n, 10), atMs: nowMs - int(0, 5_000), sumSquares: fromScaled(BigInt(int(0, 5_000_000)), 12) };
    }
  return { batch: { nowMs, configVersion: cfg.version, corridors: Object.keys(cfg.corridors), ticks: tickLines(ticks), volatility }, cfg };
}

describe('integer pricing', () => {
  it('equals the decimal.js pricer on every shipped corridor over random books and desks', () => {
    let version = 0;
    let tradeable = 0;
    let inverted = 0;
    const boundaries: string[] = [];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const { batch, cfg } = scenario(seed, ++version);
        const { exact, ref, boundaries: at } = checked(batch, cfg);
        boundaries.push(...at);
        expect(exact.heldOut.sort()).toEqual(ref.heldOut.sort());
        for (const p of exact.corridors) {
          if (p.tradeable) tradeable++;
          for (const r of p.routes) for (const l of r.legs) if (!l.pair.startsWith(cfg.corridors[p.corridor]!.send) || r.legs.length > 1) inverted++;
        }
      }),
      { numRuns: 400, examples: [[1326941994]] }, // the seed makes a 1 / 0.30 leg an exact half-even tie
    );
    // the books reach what they are meant to: priced corridors, inverted legs and crosses
    expect(tradeable).toBeGreaterThan(1_000);
    expect(inverted).toBeGreaterThan(500);
    // boundary cases are rare: a handful of figures in some 3,600 priced corridors
    expect(boundaries.length).toBeLessThan(20);
  });

  it('equals it batch after batch under one desk as the ticks move, the memos carried between batches', () => {
    // The worker keeps what it made (parsed ticks by line number, legs, routes, their texts, the last snapshot)
    // while a config stays in force: here half the streams keep their line from one batch to the next, and the
    // market state and volatility change as they come.
    let version = 1_000_000;
    let tradeable = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const { cfg } = scenario(seed, ++version);
        const keep = prng(seed ^ 0x5bd1e995);
        const lines = new Map<string, string>();
        for (let step = 0; step < 12; step++) {
          const { batch } = scenario((seed + step * 7_919) % 2 ** 31 || 1, version);
          for (const line of batch.ticks.split('\n')) {
            const [, partner, pair] = line.split(' ');
            if (step === 0 || keep() < 0.5) lines.set(`${partner} ${pair}`, line);
          }
          const b = { ...batch, ticks: [...lines.values()].join('\n') };
          const { exact, ref } = checked(b, cfg);
          expect(exact.heldOut.sort()).toEqual(ref.heldOut.sort());
          tradeable += exact.corridors.filter((p) => p.tradeable).length;
        }
      }),
      { numRuns: 40 },
    );
    expect(tradeable).toBeGreaterThan(1_000);
  });

  it('reads the partners afresh when the config changes: reordered, one removed, the same ticks', () => {
    // The worker files a parsed tick under the config's partner index; the same lines under another config must
    // be filed again, not priced with the last config's indices (a fee, an enabled flag, a limit of another partner).
    let version = 2_000_000;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const { batch, cfg } = scenario(seed, ++version);
        const entries = Object.entries(cfg.partners);
        const configs = [
          cfg,
          { ...cfg, version: `v${++version}`, partners: Object.fromEntries([...entries].reverse()) },
          { ...cfg, version: `v${++version}`, partners: Object.fromEntries(entries.slice(1)) },
          cfg,
        ];
        for (const c of configs) checked({ ...batch, configVersion: c.version }, c);
      }),
      { numRuns: 60 },
    );
  });

  it('is exact where decimal.js rounds 1 / ask just below a boundary', () => {
    // GBP-EUR from EUR/GBP ask 0.3 and nothing else: 1 / 0.3 = 3.333...; decimal.js keeps 40 digits of it.
    // With a 0 bps spread the customer rate is 3.333333 either way; the cross below is where they part:
    // USD -> EUR at 1 / EUR/USD ask 3 (0.333...), EUR -> INR at 3: exactly 1, and decimal.js's 0.999...9 rounds down.
    const cfg = pricingConfig(shipped);
    const only: PricingConfig = {
      ...cfg, version: 'exact', pivots: ['EUR'], partners: { 'lp-a': { enabled: true, feeBps: '0' } },
      corridors: { 'USD-INR': { ...cfg.corridors['USD-INR']!, tiers: [{ spreadBps: '0' }], minSpreadBps: '0', skewBps: '0', volatility: undefined, partnerMaxAmounts: {} } },
    };
    const ticks = [tick('lp-a', 'EUR/USD', '2.9', '3'), tick('lp-a', 'EUR/INR', '3', '3.1')];
    const p = price(only, ticks, 'USD-INR');
    const batch = { nowMs: OPEN, configVersion: 'exact', corridors: ['USD-INR'], ticks: tickLines(ticks), volatility: {} };
    const ref = reference(batch, only, 'halfEven').corridors[0]!;
    expect(p.routes[0]!.rate).toBe('1');
    expect(p.tiers[0]!.rate).toBe('1.' + '0'.repeat(cfg.corridors['USD-INR']!.ratePrecision));
    expect(ref.tiers[0]!.rate).toBe('0.' + '9'.repeat(cfg.corridors['USD-INR']!.ratePrecision));
  });
});

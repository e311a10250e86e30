// The decimal.js pricer: the engine's pricing stage before it went to exact integers (engine/pricing.ts), kept
// as the reference the integer pricer is held to (test/engine/exact-pricing.test.ts). Its arithmetic runs on
// a decimal.js clone at precision 40, as the engine's decimal.ts: rounding half-even by default (what the
// engine did), or down or up throughout, which brackets the exact value (`usePrecision40`).
import { Decimal as DecimalJs } from 'decimal.js';
import { clamp, compare, decayedSquaredReturns, oneMinusRatio, sumBps, varianceAbove } from '../../engine/decimal.js';
import { marketClosed } from '../../engine/market-hours.js';
import type { PricedCorridor, PricingBatch, PricingConfig, PricingCorridorConfig, VolatilityState } from '../../engine/pricing-messages.js';
import { legShapes } from '../../engine/routes.js';
import { parseTickLines } from '../../engine/tick-wire.js';
import type { BookTick, Route, SpreadParts, TierPrice, UnavailableReason } from '../../engine/types.js';

const clone = (rounding: DecimalJs.Rounding) => DecimalJs.clone({ precision: 40, rounding, toExpNeg: -40, toExpPos: 40 });
const clones = { halfEven: clone(DecimalJs.ROUND_HALF_EVEN), down: clone(DecimalJs.ROUND_DOWN), up: clone(DecimalJs.ROUND_UP) };
let D = clones.halfEven;
type Decimal = InstanceType<typeof D>;

/** Which rounding the reference's divisions and products use from here on (its memos start again). */
export function usePrecision40(rounding: keyof typeof clones): void {
  D = clones[rounding];
  parsedTicks.clear();
  prepared = undefined;
}

const dec = (s: string): Decimal => new D(s);
const factorOf = (bps: string): Decimal => new D(1).minus(new D(bps).div(10_000));
const legRate = (bid: Decimal, ask: Decimal, inverted: boolean, feeBps: string): Decimal => {
  const raw = inverted ? new D(1).div(ask) : bid;
  return feeBps === '0' ? raw : raw.times(factorOf(feeBps));
};
const legMid = (bid: Decimal, ask: Decimal, inverted: boolean): Decimal => (inverted ? new D(2).div(bid.plus(ask)) : bid.plus(ask).div(2));
const product = (values: Decimal[]): Decimal => values.reduce((acc, v) => acc.times(v), new D(1));
const fartherThan = (x: Decimal, ref: Decimal, bps: string): boolean => x.minus(ref).abs().times(10_000).gt(ref.times(bps));
const spreadFactor = factorOf;
const customerRate = (routeRate: Decimal, factor: Decimal, precision: number): string => routeRate.times(factor).toFixed(precision, DecimalJs.ROUND_DOWN);
const toFixedString = (d: Decimal, dp: number): string => d.toDecimalPlaces(dp, DecimalJs.ROUND_HALF_EVEN).toString();

const LEG_DP = 10;
/** More decayed periods than this leave nothing of the old sum worth computing. */
const MAX_DECAY_PERIODS = 10_000;

interface ParsedTick {
  tick: BookTick;
  bid: Decimal;
  ask: Decimal;
  /** bid + ask: twice the mid, which is all the outlier check needs (it compares ratios). */
  twiceMid: Decimal;
  /** Legs by orientation and fee, computed on first use: one tick serves many corridors. */
  legs: Map<string, LegValue>;
}

interface LegValue {
  rate: Decimal;
  /** Computed only for legs of a published route. */
  rateText?: string;
  inverted: boolean;
  /** Computed only for legs of a corridor's best route, whose mid is published. */
  mid?: Decimal;
}

const parsedTicks = new Map<string, ParsedTick>();

function parse(t: BookTick): ParsedTick {
  const key = `${t.partner} ${t.pair}`;
  const seen = parsedTicks.get(key);
  if (seen && seen.tick.seq === t.seq && seen.tick.bid === t.bid && seen.tick.ask === t.ask) {
    seen.tick = t; // same prices; the arrival time is the one this batch carries
    return seen;
  }
  const bid = dec(t.bid);
  const ask = dec(t.ask);
  const p: ParsedTick = { tick: t, bid, ask, twiceMid: bid.plus(ask), legs: new Map() };
  parsedTicks.set(key, p);
  return p;
}

interface Leg {
  p: ParsedTick;
  v: LegValue;
  rate: Decimal;
}

function leg(p: ParsedTick, inverted: boolean, feeBps: string): Leg {
  const key = `${inverted ? 'i' : 'd'} ${feeBps}`;
  let v = p.legs.get(key);
  if (!v) {
    const rate = legRate(p.bid, p.ask, inverted, feeBps);
    p.legs.set(key, (v = { rate, inverted }));
  }
  return { p, v, rate: v.rate };
}

function rateTextOf(l: Leg): string {
  return (l.v.rateText ??= toFixedString(l.rate, LEG_DP));
}

function midOf(l: Leg): Decimal {
  return (l.v.mid ??= legMid(l.p.bid, l.p.ask, l.v.inverted));
}

interface Candidate {
  legs: Leg[];
  rate: Decimal;
}

/** Partners a route may not use for some amount; `key` names the set, so searches that agree share one. */
interface Exclusion {
  key: string;
  partners: ReadonlySet<string>;
}

const NO_EXCLUSION: Exclusion = { key: '', partners: new Set() };

/** What depends only on the config, per corridor, worked out on first use. */
interface PreparedCorridor {
  /** Per tier: partners that do not take the tier's top amount. */
  top: Exclusion[];
  /** Per tier: partners that take no more than the tier's bottom amount. */
  bottom: Exclusion[];
  /** Spread per tier and market state, at tier * 4 + closed * 2 + volatile. */
  spreads: ({ parts: SpreadParts; factor: Decimal } | undefined)[];
  decay?: string;
}

interface Prepared {
  cfg: PricingConfig;
  corridors: Map<string, PreparedCorridor>;
  /** Whether a sum of squared returns is above a threshold: the sum changes once per sample period, not per batch. */
  above: Map<string, boolean>;
}

// eslint-disable-next-line prefer-const
let prepared: Prepared | undefined;

function prepare(cfg: PricingConfig): Prepared {
  if (prepared?.cfg !== cfg) prepared = { cfg, corridors: new Map(), above: new Map() };
  return prepared;
}

/** The config a batch names, if this worker has it; a batch that carries one installs it. */
export function configFor(batch: PricingBatch): PricingConfig | undefined {
  if (batch.config && prepared?.cfg.version !== batch.config.version) prepare(batch.config);
  return prepared?.cfg.version === batch.configVersion ? prepared.cfg : undefined;
}

/** Partners whose limit on the corridor is below `amount` (strict: at or below it). */
function exclusion(c: PricingCorridorConfig, amount: string | undefined, strict: boolean): Exclusion {
  if (amount === undefined) return NO_EXCLUSION;
  const out = Object.entries(c.partnerMaxAmounts).filter(([, limit]) => (strict ? compare(limit, amount) <= 0 : compare(limit, amount) < 0)).map(([p]) => p);
  return out.length === 0 ? NO_EXCLUSION : { key: out.sort().join(','), partners: new Set(out) };
}

function corridorPrep(prep: Prepared, id: string, c: PricingCorridorConfig): PreparedCorridor {
  let pc = prep.corridors.get(id);
  if (!pc) {
    pc = {
      top: c.tiers.map((t) => exclusion(c, t.upTo ?? c.maxAmount, false)),
      bottom: c.tiers.map((_, i) => exclusion(c, i === 0 ? undefined : c.tiers[i - 1]!.upTo, true)),
      spreads: [],
      ...(c.volatility ? { decay: oneMinusRatio(c.volatility.sampleMs, c.volatility.windowMs) } : {}),
    };
    prep.corridors.set(id, pc);
  }
  return pc;
}

function spreadOf(pc: PreparedCorridor, c: PricingCorridorConfig, tier: number, closed: boolean, volatile: boolean): { parts: SpreadParts; factor: Decimal } {
  const at = tier * 4 + (closed ? 2 : 0) + (volatile ? 1 : 0);
  let s = pc.spreads[at];
  if (!s) {
    const parts = {
      tierBps: c.tiers[tier]!.spreadBps,
      marketClosedBps: closed ? c.marketClosedBps : '0',
      volatilityBps: volatile && c.volatility ? c.volatility.widenBps : '0',
      skewBps: c.skewBps,
    };
    const totalBps = clamp(sumBps(Object.values(parts)), c.minSpreadBps, c.maxSpreadBps);
    pc.spreads[at] = s = { parts: { ...parts, totalBps }, factor: spreadFactor(totalBps) };
  }
  return s;
}

/** Prices one batch: every corridor in it under the one config the batch names. */
export class BatchPricer {
  readonly #byPair = new Map<string, ParsedTick[]>();
  readonly #eligible = new Map<string, ParsedTick[]>();
  readonly #legs = new Map<string, Leg[]>();
  readonly #searched = new Map<string, Candidate[]>();
  readonly #closed: boolean;
  readonly #prep: Prepared;
  /** Ticks held out as outliers, "partner pair seq". */
  readonly heldOut = new Set<string>();

  constructor(private readonly batch: PricingBatch, private readonly cfg: PricingConfig) {
    for (const t of parseTickLines(batch.ticks)) {
      const list = this.#byPair.get(t.pair);
      if (list) list.push(parse(t));
      else this.#byPair.set(t.pair, [parse(t)]);
    }
    this.#closed = marketClosed(batch.nowMs);
    this.#prep = prepare(cfg);
  }

  /**
   * Fresh ticks of enabled partners on a pair, less outliers: a tick further than outlierBps from the median
   * of the other fresh partners' mids (with an even count, further than that from both middle values).
   */
  #eligibleTicks(pair: string, maxStalenessMs: number): ParsedTick[] {
    const key = `${pair} ${maxStalenessMs}`;
    let out = this.#eligible.get(key);
    if (out) return out;
    const fresh = (this.#byPair.get(pair) ?? []).filter(
      (p) => this.cfg.partners[p.tick.partner]?.enabled && this.batch.nowMs - p.tick.asOfUs / 1000 <= maxStalenessMs,
    );
    out = fresh;
    const sorted = fresh.length > 1 ? [...fresh].sort((a, b) => a.twiceMid.cmp(b.twiceMid)) : [];
    // Every distance to a median is at most max - min: when that is inside the bound, no one is an outlier.
    if (sorted.length > 1 && fartherThan(sorted[sorted.length - 1]!.twiceMid, sorted[0]!.twiceMid, this.cfg.outlierBps)) {
      out = fresh.filter((p) => {
        const others = sorted.filter((o) => o !== p);
        const hi = others[others.length >> 1]!;
        const lo = others[(others.length - 1) >> 1]!;
        const far = fartherThan(p.twiceMid, hi.twiceMid, this.cfg.outlierBps) && (lo === hi || fartherThan(p.twiceMid, lo.twiceMid, this.cfg.outlierBps));
        if (far) this.heldOut.add(`${p.tick.partner} ${p.tick.pair} ${p.tick.seq}`);
        return !far;
      });
    }
    this.#eligible.set(key, out);
    return out;
  }

  /** Every eligible leg turning `from` into `to`, best rate first. */
  #hop(from: string, to: string, maxStalenessMs: number): Leg[] {
    const key = `${from} ${to} ${maxStalenessMs}`;
    let legs = this.#legs.get(key);
    if (legs) return legs;
    legs = [];
    for (const shape of legShapes(from, to))
      for (const p of this.#eligibleTicks(shape.pair, maxStalenessMs)) legs.push(leg(p, shape.inverted, this.cfg.partners[p.tick.partner]!.feeBps));
    legs.sort((a, b) => b.rate.cmp(a.rate));
    this.#legs.set(key, legs);
    return legs;
  }

  /** Per route family (direct, via each pivot), the best route using none of the excluded partners; best first. */
  #routes(id: string, c: PricingCorridorConfig, excluded: Exclusion): Candidate[] {
    // Tiers that exclude the same partners share one search.
    const key = `${id} ${excluded.key}`;
    let found = this.#searched.get(key);
    if (!found) this.#searched.set(key, (found = this.#search(c, excluded)));
    return found;
  }

  #search(c: PricingCorridorConfig, excluded: Exclusion): Candidate[] {
    const pick = (legs: Leg[]) => legs.find((l) => !excluded.partners.has(l.p.tick.partner));
    const found: Candidate[] = [];
    const consider = (legs: (Leg | undefined)[]) => {
      if (legs.every((l) => l)) found.push({ legs: legs as Leg[], rate: product((legs as Leg[]).map((l) => l.rate)) });
    };
    consider([pick(this.#hop(c.send, c.receive, c.maxStalenessMs))]);
    for (const pivot of this.cfg.pivots) {
      if (pivot === c.send || pivot === c.receive) continue;
      const first = pick(this.#hop(c.send, pivot, c.maxStalenessMs));
      if (first) consider([first, pick(this.#hop(pivot, c.receive, c.maxStalenessMs))]);
    }
    return found.sort((a, b) => b.rate.cmp(a.rate));
  }

  #volatility(id: string, c: PricingCorridorConfig, pc: PreparedCorridor, mid: Decimal): { state?: VolatilityState; volatile: boolean } {
    const v = c.volatility;
    if (!v) return { volatile: false };
    const now = this.batch.nowMs;
    const prev = this.batch.volatility[id];
    if (!prev) return { state: { mid: toFixedString(mid, LEG_DP), atMs: now, sumSquares: '0' }, volatile: false };
    const periods = Math.floor((now - prev.atMs) / v.sampleMs);
    if (periods < 1) return { state: prev, volatile: this.#above(prev.sumSquares, v.thresholdBps) };
    const sumSquares = decayedSquaredReturns(prev.sumSquares, prev.mid, mid, pc.decay!, Math.min(periods, MAX_DECAY_PERIODS));
    return { state: { mid: toFixedString(mid, LEG_DP), atMs: now, sumSquares }, volatile: this.#above(sumSquares, v.thresholdBps) };
  }

  #above(sumSquares: string, thresholdBps: string): boolean {
    const key = `${sumSquares} ${thresholdBps}`;
    let above = this.#prep.above.get(key);
    if (above === undefined) {
      if (this.#prep.above.size > 10_000) this.#prep.above.clear();
      this.#prep.above.set(key, (above = varianceAbove(sumSquares, thresholdBps)));
    }
    return above;
  }

  price(id: string): PricedCorridor {
    const cfg = this.cfg;
    const c = cfg.corridors[id];
    const unavailable = (reason: UnavailableReason): PricedCorridor => ({
      corridor: id, tradeable: false, reason, mid: null, routes: [], tiers: [], tickTs: 0, oldestTickUs: 0, configVersion: cfg.version,
    });
    if (!c) return unavailable('not_configured');
    const pc = corridorPrep(this.#prep, id, c);
    const families = this.#routes(id, c, NO_EXCLUSION);
    const best = families[0];
    if (!best) return unavailable('no_route');

    // Each tier is priced on the best route whose partners take the tier's top amount; failing that, on the
    // best one that takes more than the tier's bottom, capped at that route's limit.
    const chosen: (Candidate | undefined)[] = c.tiers.map((_, i) => this.#routes(id, c, pc.top[i]!)[0] ?? this.#routes(id, c, pc.bottom[i]!)[0]);

    const routes: Route[] = [];
    const kept: Candidate[] = [];
    const routeIndex = (r: Candidate): number => {
      const at = kept.findIndex((k) => k.legs.length === r.legs.length && k.legs.every((l, i) => l.v === r.legs[i]!.v));
      if (at >= 0) return at;
      const limits = r.legs.map((l) => c.partnerMaxAmounts[l.p.tick.partner]).filter((m): m is string => m !== undefined);
      const maxAmount = limits.sort(compare)[0];
      routes.push({
        rate: r.legs.length === 1 ? rateTextOf(r.legs[0]!) : toFixedString(r.rate, LEG_DP),
        ...(maxAmount === undefined ? {} : { maxAmount }),
        legs: r.legs.map((l) => ({
          partner: l.p.tick.partner, pair: l.p.tick.pair, rate: rateTextOf(l), tickTs: l.p.tick.asOfUs,
        })),
      });
      kept.push(r);
      return routes.length - 1;
    };
    for (const r of families) routeIndex(r);
    const tierRoutes = chosen.map((r) => (r ? routeIndex(r) : null));

    const mid = product(best.legs.map(midOf));
    const vol = this.#volatility(id, c, pc, mid);
    const tiers: TierPrice[] = c.tiers.map((t, i) => {
      const r = chosen[i];
      const { parts, factor } = spreadOf(pc, c, i, this.#closed, vol.volatile);
      const cap = r === undefined ? undefined : routes[tierRoutes[i]!]!.maxAmount;
      const capped = cap !== undefined && compare(cap, t.upTo ?? c.maxAmount) < 0;
      return {
        tier: i,
        ...(t.upTo === undefined ? {} : { upTo: t.upTo }),
        ...(capped ? { maxAmount: cap } : {}),
        spreadBps: parts.totalBps,
        spread: parts,
        rate: r ? customerRate(r.rate, factor, c.ratePrecision) : null,
        route: tierRoutes[i]!,
      };
    });

    // Routes best first; tiers point into the sorted list.
    const order = routes.map((_, i) => i).sort((a, b) => kept[b]!.rate.cmp(kept[a]!.rate));
    const newIndex = new Map(order.map((from, to) => [from, to]));
    for (const t of tiers) if (t.route !== null) t.route = newIndex.get(t.route)!;
    const used = [best, ...chosen].flatMap((r) => r?.legs.map((l) => l.p.tick) ?? []);
    return {
      corridor: id,
      tradeable: true,
      mid: toFixedString(mid, c.ratePrecision + 2),
      routes: order.map((i) => routes[i]!),
      tiers,
      tickTs: Math.max(...used.map((t) => t.receivedAtUs)),
      oldestTickUs: Math.min(...used.map((t) => t.asOfUs)),
      configVersion: cfg.version,
      ...(vol.state ? { volatility: vol.state } : {}),
    };
  }
}

/** Prices every corridor of a batch under the batch's config (which the caller checked this worker has). */
export function priceBatch(batch: PricingBatch, cfg: PricingConfig): { corridors: PricedCorridor[]; heldOut: string[] } {
  const pricer = new BatchPricer(batch, cfg);
  const corridors = batch.corridors.map((id) => pricer.price(id));
  return { corridors, heldOut: [...pricer.heldOut] };
}

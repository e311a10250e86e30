// Route search and spreads for one batch. Runs inside the pricing workers, no I/O. Arithmetic is exact, on
// BigInt rationals (exact.ts); decimal strings come in (ticks, config) and go out (rates), nothing in between.
// Its only state is memos that save work and never change an answer: the latest parsed tick per partner and
// pair, and the prepared config (numeric indices for pairs, hops and corridors; spreads, fees and limits worked
// out once).
//
//   ticks ─► fresh, enabled, not an outlier ─► legs per hop, best first ─► routes: direct | via pivot
//         ─► per tier: best route inside the partners' limits ─► spread parts ─► customer rate (rounded down)
import { marketClosed } from './market-hours.js';
import { clamp, compare, decayedSquaredReturns, oneMinusRatio, sumBps, varianceAbove } from './decimal.js';
import { add, bpsFactor, cmp, fartherThan, half, inverse, mul, ratio, sortSmall, toFixedDown, toRounded, twiceInverse, type Ratio } from './exact.js';
import type { PricedCorridor, PricingBatch, PricingConfig, PricingCorridorConfig, VolatilityState } from './pricing-messages.js';
import { legShapes } from './routes.js';
import type { BookTick, Route, RouteLeg, SpreadParts, TierPrice, UnavailableReason } from './types.js';

const LEG_DP = 10;
/** The volatility sums take the mid to this many places (they keep 12 significant digits). */
const VOL_DP = 40;
/** More decayed periods than this leave nothing of the old sum worth computing. */
const MAX_DECAY_PERIODS = 10_000;

interface ParsedTick {
  line: string;
  tick: BookTick;
  bid: Ratio;
  ask: Ratio;
  /** bid + ask: twice the mid, which is all the outlier check needs (it compares ratios). */
  twiceMid: Ratio;
  /** Legs by orientation (0 direct, 1 inverted), computed on first use: one tick serves many corridors. */
  legs: [Leg | undefined, Leg | undefined];
}

/** One tick in one direction, fee included. */
interface Leg {
  p: ParsedTick;
  inverted: boolean;
  feeBps: string;
  rate: Ratio;
  /** Computed only for legs of a published route. */
  rateText?: string;
  /** Computed only for legs of a corridor's best route, whose mid is published. */
  mid?: Ratio;
  /** The direct route on this leg alone, made on first use. */
  direct?: Candidate;
  /** Two-leg routes starting with this leg, by their second leg (with their mid), kept while both ticks live. */
  crosses?: Map<Leg, Candidate & { mid?: Ratio }>;
}

/**
 * The latest tick per partner and pair ("lp-a USD/INR"), reused while its wire line is the same (a line names
 * prices, seq and times, so the same line is the same tick). Only the latest is kept: a replaced tick, its legs
 * and their memos die young, which keeps the young generation's collections cheap.
 */
const latestTicks = new Map<string, ParsedTick>();

function parseLine(line: string, pairEnd: number): ParsedTick {
  const key = line.slice(0, pairEnd);
  let p = latestTicks.get(key);
  if (p?.line === line) return p;
  const [partner, pair, bidText, askText, ts, seq, receivedAtUs, asOfUs] = line.split(' ') as [string, string, string, string, string, string, string, string];
  const tick: BookTick = { partner, pair, bid: bidText, ask: askText, ts: Number(ts), seq: Number(seq), receivedAtUs: Number(receivedAtUs), asOfUs: Number(asOfUs) };
  const bid = ratio(bidText);
  const ask = ratio(askText);
  if (latestTicks.size >= 4_096) latestTicks.clear();
  latestTicks.set(key, (p = { line, tick, bid, ask, twiceMid: add(bid, ask), legs: [undefined, undefined] }));
  return p;
}

const feeFactors = new Map<string, Ratio>();
const feeFactor = (bps: string): Ratio => feeFactors.get(bps) ?? feeFactors.set(bps, bpsFactor(bps)).get(bps)!;

/** Route rate of one leg: pair S/R gives bid; pair R/S gives 1 / ask. A partner fee scales it by (1 - fee/10000). */
function leg(p: ParsedTick, inverted: boolean, feeBps: string): Leg {
  const at = inverted ? 1 : 0;
  const seen = p.legs[at];
  if (seen && seen.feeBps === feeBps) return seen;
  const raw = inverted ? inverse(p.ask) : p.bid;
  return (p.legs[at] = { p, inverted, feeBps, rate: feeBps === '0' ? raw : mul(raw, feeFactor(feeBps)) });
}

const rateTextOf = (l: Leg): string => (l.rateText ??= toRounded(l.rate, LEG_DP));

/** Mid of a pair quote in the leg's direction: (bid + ask) / 2, inverted as 1 / mid. */
const midOf = (l: Leg): Ratio => (l.mid ??= l.inverted ? twiceInverse(l.p.twiceMid) : half(l.p.twiceMid));

const directOf = (l: Leg): Candidate => (l.direct ??= { legs: [l], rate: l.rate });

function crossOf(first: Leg, second: Leg): Candidate & { mid?: Ratio } {
  const crosses = (first.crosses ??= new Map());
  let c = crosses.get(second);
  if (!c && crosses.size >= 16) crosses.clear(); // second legs come and go while a first one stays: keep a few
  if (!c) crosses.set(second, (c = { legs: [first, second], rate: mul(first.rate, second.rate) }));
  return c;
}

/** The mid of a route: the product of its legs' mids. */
function routeMid(legs: Leg[]): Ratio {
  if (legs.length === 1) return midOf(legs[0]!);
  const c = crossOf(legs[0]!, legs[1]!);
  return (c.mid ??= mul(midOf(legs[0]!), midOf(legs[1]!)));
}

/** Customer rate: routeRate * (1 - spreadBps/10000), rounded down; kept on the route rate, by the spread factor. */
function customerRate(route: Ratio & { byFactor?: (Ratio | string)[] }, factor: Ratio, precision: number): string {
  const seen = route.byFactor;
  if (seen) for (let i = 0; i < seen.length; i += 2) if (seen[i] === factor) return seen[i + 1] as string;
  const text = toFixedDown(mul(route, factor), precision, false);
  if (seen) seen.push(factor, text);
  else route.byFactor = [factor, text];
  return text;
}

/**
 * A route's leg as the snapshot carries it. The one place route legs are built: what a leg says about its
 * tick's age is decided here.
 */
/** A route leg as the hub holds it: its tick's time, from which a quote takes the leg's age when it is made. */
function routeLeg(l: Leg): RouteLeg {
  return { partner: l.p.tick.partner, pair: l.p.tick.pair, rate: rateTextOf(l), tickTs: l.p.tick.asOfUs };
}

interface Candidate {
  legs: Leg[];
  rate: Ratio;
}

/** Partners a route may not use for some amount. */
interface Exclusion {
  partners: ReadonlySet<string>;
}

const NO_EXCLUSION: Exclusion = { partners: new Set() };

/** Eligible ticks of one pair under one staleness bound. */
interface Slot {
  pair: number;
  maxStalenessMs: number;
}

/** Every leg turning one currency into another under one staleness bound: slots, with their orientation. */
interface Hop {
  shapes: { slot: number; inverted: boolean }[];
}

/** What depends only on the config, per corridor, worked out when the config arrives. */
interface PreparedCorridor {
  id: string;
  c: PricingCorridorConfig;
  /** The direct hop, then per pivot its two hops. */
  direct: number;
  pivots: [number, number][];
  /** Per tier: partners that do not take the tier's top amount. */
  top: Exclusion[];
  /** Per tier: partners that take no more than the tier's bottom amount. */
  bottom: Exclusion[];
  /** Spread per tier and market state, at tier * 4 + closed * 2 + volatile, worked out on first use. */
  spreads: ({ parts: SpreadParts; factor: Ratio } | undefined)[];
  decay?: string;
}

interface Prepared {
  cfg: PricingConfig;
  pairs: Map<string, number>;
  slots: Slot[];
  hops: Hop[];
  corridors: Map<string, PreparedCorridor>;
  outlierBps: Ratio;
  /** Whether a sum of squared returns is above a threshold: the sum changes once per sample period, not per batch. */
  above: Map<string, boolean>;
}

let prepared: Prepared | undefined;

/** Partners whose limit on the corridor is below `amount` (strict: at or below it); exclusions naming the same partners are one object. */
function exclusion(c: PricingCorridorConfig, amount: string | undefined, strict: boolean, known: Map<string, Exclusion>): Exclusion {
  if (amount === undefined) return NO_EXCLUSION;
  const out = Object.entries(c.partnerMaxAmounts).filter(([, limit]) => (strict ? compare(limit, amount) <= 0 : compare(limit, amount) < 0)).map(([p]) => p);
  if (out.length === 0) return NO_EXCLUSION;
  const key = out.sort().join(',');
  return known.get(key) ?? known.set(key, { partners: new Set(out) }).get(key)!;
}

function prepare(cfg: PricingConfig): Prepared {
  if (prepared?.cfg === cfg) return prepared;
  const pairs = new Map<string, number>();
  const slots: Slot[] = [];
  const slotIds = new Map<string, number>();
  const hops: Hop[] = [];
  const hopIds = new Map<string, number>();
  const slotOf = (pair: string, maxStalenessMs: number): number => {
    if (!pairs.has(pair)) pairs.set(pair, pairs.size);
    const key = `${pair} ${maxStalenessMs}`;
    if (!slotIds.has(key)) slotIds.set(key, slots.push({ pair: pairs.get(pair)!, maxStalenessMs }) - 1);
    return slotIds.get(key)!;
  };
  const hopOf = (from: string, to: string, maxStalenessMs: number): number => {
    const key = `${from} ${to} ${maxStalenessMs}`;
    if (!hopIds.has(key)) hopIds.set(key, hops.push({ shapes: legShapes(from, to).map((s) => ({ slot: slotOf(s.pair, maxStalenessMs), inverted: s.inverted })) }) - 1);
    return hopIds.get(key)!;
  };
  const corridors = new Map<string, PreparedCorridor>();
  for (const [id, c] of Object.entries(cfg.corridors)) {
    const known = new Map<string, Exclusion>();
    corridors.set(id, {
      id, c,
      direct: hopOf(c.send, c.receive, c.maxStalenessMs),
      pivots: cfg.pivots.filter((p) => p !== c.send && p !== c.receive).map((p) => [hopOf(c.send, p, c.maxStalenessMs), hopOf(p, c.receive, c.maxStalenessMs)]),
      top: c.tiers.map((t) => exclusion(c, t.upTo ?? c.maxAmount, false, known)),
      bottom: c.tiers.map((_, i) => exclusion(c, i === 0 ? undefined : c.tiers[i - 1]!.upTo, true, known)),
      spreads: [],
      ...(c.volatility ? { decay: oneMinusRatio(c.volatility.sampleMs, c.volatility.windowMs) } : {}),
    });
  }
  return (prepared = { cfg, pairs, slots, hops, corridors, outlierBps: ratio(cfg.outlierBps), above: new Map() });
}

/** The config a batch names, if this worker has it; a batch that carries one installs it. */
export function configFor(batch: PricingBatch): PricingConfig | undefined {
  if (batch.config && prepared?.cfg.version !== batch.config.version) prepare(batch.config);
  return prepared?.cfg.version === batch.configVersion ? prepared.cfg : undefined;
}

function spreadOf(pc: PreparedCorridor, tier: number, closed: boolean, volatile: boolean): { parts: SpreadParts; factor: Ratio } {
  const at = tier * 4 + (closed ? 2 : 0) + (volatile ? 1 : 0);
  let s = pc.spreads[at];
  if (!s) {
    const c = pc.c;
    const parts = {
      tierBps: c.tiers[tier]!.spreadBps,
      marketClosedBps: closed ? c.marketClosedBps : '0',
      volatilityBps: volatile && c.volatility ? c.volatility.widenBps : '0',
      skewBps: c.skewBps,
    };
    const totalBps = clamp(sumBps(Object.values(parts)), c.minSpreadBps, c.maxSpreadBps);
    pc.spreads[at] = s = { parts: { ...parts, totalBps }, factor: bpsFactor(totalBps) };
  }
  return s;
}

const byRateDesc = (a: { rate: Ratio }, b: { rate: Ratio }) => cmp(b.rate, a.rate);
const byTwiceMid = (a: ParsedTick, b: ParsedTick) => cmp(a.twiceMid, b.twiceMid);

/** Prices one batch: every corridor in it under the one config the batch names. */
export class BatchPricer {
  readonly #prep: Prepared;
  /** Ticks per pair index. */
  readonly #byPair: ParsedTick[][];
  /** Per slot and per hop, worked out on first use in this batch. */
  readonly #eligible: (ParsedTick[] | undefined)[];
  readonly #legs: (Leg[] | undefined)[];
  readonly #searched = new Map<PreparedCorridor, Map<Exclusion, Candidate[]>>();
  readonly #closed: boolean;
  /** Ticks held out as outliers, "partner pair seq". */
  readonly heldOut = new Set<string>();

  constructor(private readonly batch: PricingBatch, private readonly cfg: PricingConfig) {
    const prep = (this.#prep = prepare(cfg));
    this.#byPair = Array.from({ length: prep.pairs.size }, () => []);
    this.#eligible = new Array(prep.slots.length);
    this.#legs = new Array(prep.hops.length);
    const text = batch.ticks;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const line = text.slice(at, end);
      at = end + 1;
      const space = line.indexOf(' ');
      const pairEnd = line.indexOf(' ', space + 1);
      const pair = prep.pairs.get(line.slice(space + 1, pairEnd));
      if (pair !== undefined) this.#byPair[pair]!.push(parseLine(line, pairEnd));
    }
    this.#closed = marketClosed(batch.nowMs);
  }

  /**
   * Fresh ticks of enabled partners on a pair, less outliers: a tick further than outlierBps from the median
   * of the other fresh partners' mids (with an even count, further than that from both middle values).
   */
  #eligibleTicks(slot: number): ParsedTick[] {
    let out = this.#eligible[slot];
    if (out) return out;
    const { pair, maxStalenessMs } = this.#prep.slots[slot]!;
    const fresh: ParsedTick[] = [];
    for (const p of this.#byPair[pair]!) if (this.cfg.partners[p.tick.partner]?.enabled && this.batch.nowMs - p.tick.asOfUs / 1000 <= maxStalenessMs) fresh.push(p);
    out = fresh;
    if (fresh.length > 1) {
      const bps = this.#prep.outlierBps;
      const sorted = sortSmall(fresh.slice(), byTwiceMid);
      // Every distance to a median is at most max - min: when that is inside the bound, no one is an outlier.
      if (fartherThan(sorted[sorted.length - 1]!.twiceMid, sorted[0]!.twiceMid, bps)) {
        out = fresh.filter((p) => {
          const others = sorted.filter((o) => o !== p);
          const hi = others[others.length >> 1]!;
          const lo = others[(others.length - 1) >> 1]!;
          const far = fartherThan(p.twiceMid, hi.twiceMid, bps) && (lo === hi || fartherThan(p.twiceMid, lo.twiceMid, bps));
          if (far) this.heldOut.add(`${p.tick.partner} ${p.tick.pair} ${p.tick.seq}`);
          return !far;
        });
      }
    }
    return (this.#eligible[slot] = out);
  }

  /** Every eligible leg of a hop, best rate first. */
  #hop(hop: number): Leg[] {
    let legs = this.#legs[hop];
    if (legs) return legs;
    legs = [];
    for (const shape of this.#prep.hops[hop]!.shapes)
      for (const p of this.#eligibleTicks(shape.slot)) legs.push(leg(p, shape.inverted, this.cfg.partners[p.tick.partner]!.feeBps));
    if (legs.length > 1) sortSmall(legs, byRateDesc);
    return (this.#legs[hop] = legs);
  }

  /** Per route family (direct, via each pivot), the best route using none of the excluded partners; best first. */
  #routes(pc: PreparedCorridor, excluded: Exclusion): Candidate[] {
    // Tiers that exclude the same partners share one search.
    let byExclusion = this.#searched.get(pc);
    if (!byExclusion) this.#searched.set(pc, (byExclusion = new Map()));
    let found = byExclusion.get(excluded);
    if (!found) byExclusion.set(excluded, (found = this.#search(pc, excluded)));
    return found;
  }

  /** The best leg of a hop from a partner not excluded. */
  #pick(hop: number, excluded: Exclusion): Leg | undefined {
    for (const l of this.#hop(hop)) if (!excluded.partners.has(l.p.tick.partner)) return l;
    return undefined;
  }

  #search(pc: PreparedCorridor, excluded: Exclusion): Candidate[] {
    const found: Candidate[] = [];
    const direct = this.#pick(pc.direct, excluded);
    if (direct) found.push(directOf(direct));
    for (const [a, b] of pc.pivots) {
      const first = this.#pick(a, excluded);
      const second = first && this.#pick(b, excluded);
      if (second) found.push(crossOf(first, second));
    }
    return found.length > 1 ? sortSmall(found, byRateDesc) : found;
  }

  #volatility(pc: PreparedCorridor, mid: Ratio): { state?: VolatilityState; volatile: boolean } {
    const v = pc.c.volatility;
    if (!v) return { volatile: false };
    const now = this.batch.nowMs;
    const prev = this.batch.volatility[pc.id];
    if (!prev) return { state: { mid: toRounded(mid, LEG_DP), atMs: now, sumSquares: '0' }, volatile: false };
    const periods = Math.floor((now - prev.atMs) / v.sampleMs);
    if (periods < 1) return { state: prev, volatile: this.#above(prev.sumSquares, v.thresholdBps) };
    // Once per sample period, off the per-batch path: decimal.js on the mid taken to 40 places.
    const sumSquares = decayedSquaredReturns(prev.sumSquares, prev.mid, toRounded(mid, VOL_DP), pc.decay!, Math.min(periods, MAX_DECAY_PERIODS));
    return { state: { mid: toRounded(mid, LEG_DP), atMs: now, sumSquares }, volatile: this.#above(sumSquares, v.thresholdBps) };
  }

  #above(sumSquares: string, thresholdBps: string): boolean {
    const key = `${sumSquares} ${thresholdBps}`;
    const above = this.#prep.above;
    let is = above.get(key);
    if (is === undefined) {
      if (above.size > 10_000) above.clear();
      above.set(key, (is = varianceAbove(sumSquares, thresholdBps)));
    }
    return is;
  }

  price(id: string): PricedCorridor {
    const cfg = this.cfg;
    const pc = this.#prep.corridors.get(id);
    const unavailable = (reason: UnavailableReason): PricedCorridor => ({
      corridor: id, tradeable: false, reason, mid: null, routes: [], tiers: [], tickTs: 0, oldestTickUs: 0, configVersion: cfg.version,
    });
    if (!pc) return unavailable('not_configured');
    const c = pc.c;
    if (c.halted) return unavailable('halted');
    const families = this.#routes(pc, NO_EXCLUSION);
    const best = families[0];
    if (!best) return unavailable('no_route');

    // Each tier is priced on the best route whose partners take the tier's top amount; failing that, on the
    // best one that takes more than the tier's bottom, capped at that route's limit.
    const chosen: (Candidate | undefined)[] = c.tiers.map((_, i) => this.#routes(pc, pc.top[i]!)[0] ?? this.#routes(pc, pc.bottom[i]!)[0]);

    const routes: Route[] = [];
    const kept: Candidate[] = [];
    const routeIndex = (r: Candidate): number => {
      const at = kept.findIndex((k) => k.legs.length === r.legs.length && k.legs.every((l, i) => l === r.legs[i]));
      if (at >= 0) return at;
      let maxAmount: string | undefined;
      for (const l of r.legs) {
        const limit = c.partnerMaxAmounts[l.p.tick.partner];
        if (limit !== undefined && (maxAmount === undefined || compare(limit, maxAmount) < 0)) maxAmount = limit;
      }
      const route: Route = { rate: r.legs.length === 1 ? rateTextOf(r.legs[0]!) : toRounded(r.rate, LEG_DP), legs: r.legs.map(routeLeg) };
      if (maxAmount !== undefined) route.maxAmount = maxAmount;
      routes.push(route);
      kept.push(r);
      return routes.length - 1;
    };
    for (const r of families) routeIndex(r);
    const tierRoutes = chosen.map((r) => (r ? routeIndex(r) : null));

    const mid = routeMid(best.legs);
    const vol = this.#volatility(pc, mid);
    const tiers: TierPrice[] = c.tiers.map((t, i) => {
      const r = chosen[i];
      const { parts, factor } = spreadOf(pc, i, this.#closed, vol.volatile);
      const cap = r === undefined ? undefined : routes[tierRoutes[i]!]!.maxAmount;
      const capped = cap !== undefined && compare(cap, t.upTo ?? c.maxAmount) < 0;
      // (Optional fields set after: an object spread per field costs a temporary object each.)
      const tier: TierPrice = { tier: i, spreadBps: parts.totalBps, spread: parts, rate: r ? customerRate(r.rate, factor, c.ratePrecision) : null, route: tierRoutes[i]! };
      if (t.upTo !== undefined) tier.upTo = t.upTo;
      if (capped) tier.maxAmount = cap;
      return tier;
    });

    // Routes best first (a stable sort: equal rates keep their order); tiers point into the sorted list.
    const order = sortSmall(routes.map((_, i) => i), (a, b) => cmp(kept[b]!.rate, kept[a]!.rate));
    for (const t of tiers) if (t.route !== null) t.route = order.indexOf(t.route);
    let tickTs = 0;
    let oldestTickUs = Infinity;
    for (const r of [best, ...chosen])
      for (const l of r?.legs ?? []) {
        if (l.p.tick.receivedAtUs > tickTs) tickTs = l.p.tick.receivedAtUs;
        if (l.p.tick.asOfUs < oldestTickUs) oldestTickUs = l.p.tick.asOfUs;
      }
    return {
      corridor: id,
      tradeable: true,
      mid: toRounded(mid, c.ratePrecision + 2),
      routes: order.map((i) => routes[i]!),
      tiers,
      tickTs,
      oldestTickUs,
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

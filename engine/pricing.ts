// Route search and spreads for one batch. Runs inside the pricing workers, no I/O. Arithmetic is exact, on
// BigInt rationals (exact.ts); decimal strings come in (ticks, config) and go out (rates), nothing in between.
// Its only state is memos that save work and never change an answer: the latest parsed tick per partner and
// pair (with its legs, the routes made of them and their texts), and the prepared config (numeric indices for
// pairs, hops and corridors; spreads, fees and limits worked out once; lists reused from batch to batch).
//
//   ticks ─► fresh, enabled, not an outlier ─► legs per hop, best first ─► routes: direct | via pivot
//         ─► per tier: best route inside the partners' limits ─► spread parts ─► customer rate (rounded down)
//
// A batch allocates little: an unchanged tick line is found again by its number, and what a snapshot shows
// of a leg or a route (RouteLeg, Route: never changed once made) is made once and shared by every snapshot that
// shows it, until its tick is replaced.
import { marketClosed } from './market-hours.js';
import { clamp, compare, decayedSquaredReturns, oneMinusRatio, sumBps, varianceAbove } from './decimal.js';
import { add, bpsFactor, cmp, digitsIn, digitsRatio, div, fartherThan, fixedText, half, inverse, mul, placesRead, POW10_EXACT, productFloor, ratio, roundedDigits, roundedText, scaled, sortSmall, toRounded, twiceInverse, type Digits, type Ratio } from './exact.js';
import type { PricedCorridor, PricingBatch, PricingConfig, PricingCorridorConfig, VolatilityState } from './pricing-messages.js';
import { legShapes } from './routes.js';
import type { Route, RouteLeg, SpreadParts, TierPrice, UnavailableReason } from './types.js';

const LEG_DP = 10;
/** The volatility sums take the mid to this many places (they keep 12 significant digits). */
const VOL_DP = 40;
/** More decayed periods than this leave nothing of the old sum worth computing. */
const MAX_DECAY_PERIODS = 10_000;

/** A partner's quotes of one pair: what its ticks share, the names and their indices in one config. */
interface Stream {
  partner: string;
  pair: string;
  /** The config whose pair and partner indices `pairIx` and `partnerIx` are (-1: one it does not name). */
  filed: Prepared | undefined;
  pairIx: number;
  partnerIx: number;
}

/** A tick line (tick-wire.ts) parsed once: its prices as exact ratios. */
interface ParsedTick {
  /** The line's number. */
  no: number;
  s: Stream;
  seq: number;
  receivedAtUs: number;
  asOfUs: number;
  /**
   * Bid and ask as whole counts of 10^-places, exact numbers below 2^53, on which the outlier check compares ticks
   * of one pair; NaN when a double cannot hold them, and then `bid` and `ask` are made at once.
   */
  bidN: number;
  askN: number;
  places: number;
  /** Bid and ask as exact ratios, and bid + ask (twice the mid, all the outlier check needs), made on first use. */
  bid: Ratio | undefined;
  ask: Ratio | undefined;
  twiceMid: Ratio | undefined;
  /** Its legs, at the bid and at 1 / ask, computed on first use: one tick serves many corridors. */
  bidLeg: Leg | undefined;
  askLeg: Leg | undefined;
}

/** One tick in one direction, fee included. */
interface Leg {
  p: ParsedTick;
  inverted: boolean;
  feeBps: string;
  rate: Ratio;
  /** Mid of the pair quote in this direction, for legs of a corridor's best route. */
  mid: Ratio | undefined;
  /** The leg as routes show it, for legs of a published route. */
  shown: RouteLeg | undefined;
  /** The direct route on this leg alone, made on first use. */
  direct: Candidate | undefined;
  /** Two-leg routes starting with this leg, newest first, linked by `next` (a few: second legs come and go while a first one stays). */
  crosses: Candidate | undefined;
}

/** A route: one leg, or two through a pivot; with what is made of it once, for as long as its ticks live. */
interface Candidate {
  first: Leg;
  second: Leg | undefined;
  rate: Ratio;
  /** The product of its legs' mids. */
  mid: Ratio | undefined;
  /** The route as `shownFor`'s snapshots show it, and the tiers its partners' limit caps (bit i: tier i < 31). */
  shownFor: PreparedCorridor | undefined;
  shown: Route | undefined;
  caps: number;
  /** The cross made before it on the same first leg. */
  next: Candidate | undefined;
}

/** Parses a run of digits as a number (timestamps, seq); anything else as Number() would. */
function numberIn(s: string, from: number, to: number): number {
  if (to - from > 16) return Number(s.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number(s.slice(from, to));
    n = n * 10 + c;
  }
  // Below 2^53 every step was exact; above, Number() rounds as it does.
  return n <= Number.MAX_SAFE_INTEGER ? n : Number(s.slice(from, to));
}

/**
 * The tick of line `no`: text[from, to) is "<partner> <pair> <bid> <ask> <ts> <seq> <receivedAtUs> <asOfUs>"
 * (tick-wire.ts). `prev`: the stream's tick before, whose stream it shares when the partner and pair are the same.
 */
function parseTick(text: string, from: number, to: number, no: number, prev: ParsedTick | undefined): ParsedTick {
  const partnerEnd = text.indexOf(' ', from);
  const pairEnd = text.indexOf(' ', partnerEnd + 1);
  const bidEnd = text.indexOf(' ', pairEnd + 1);
  const askEnd = text.indexOf(' ', bidEnd + 1);
  const tsEnd = text.indexOf(' ', askEnd + 1);
  const seqEnd = text.indexOf(' ', tsEnd + 1);
  const receivedEnd = text.indexOf(' ', seqEnd + 1);
  let bidN = digitsIn(text, pairEnd + 1, bidEnd);
  const bidPlaces = placesRead;
  let askN = digitsIn(text, bidEnd + 1, askEnd);
  // Both on one scale, so that their sum, and comparisons of it, stay on exact numbers: a product that lands at or
  // below 2^53 is exact, and one past it fails the check below, which then reads both as ratios.
  const places = Math.max(bidPlaces, placesRead);
  bidN *= POW10_EXACT[places - bidPlaces]!;
  askN *= POW10_EXACT[places - placesRead]!;
  const inDoubles = bidN + askN <= Number.MAX_SAFE_INTEGER; // false for NaN and for every count past 2^53
  const was = prev?.s;
  const same = was !== undefined && was.partner.length === partnerEnd - from && was.pair.length === pairEnd - partnerEnd - 1 && text.startsWith(was.partner, from) && text.startsWith(was.pair, partnerEnd + 1);
  return {
    no, s: same ? was : { partner: text.slice(from, partnerEnd), pair: text.slice(partnerEnd + 1, pairEnd), filed: undefined, pairIx: -1, partnerIx: -1 },
    seq: numberIn(text, tsEnd + 1, seqEnd), receivedAtUs: numberIn(text, seqEnd + 1, receivedEnd), asOfUs: numberIn(text, receivedEnd + 1, to),
    bidN: inDoubles ? bidN : NaN, askN: inDoubles ? askN : NaN, places,
    bid: inDoubles ? undefined : ratio(text.slice(pairEnd + 1, bidEnd)), ask: inDoubles ? undefined : ratio(text.slice(bidEnd + 1, askEnd)),
    twiceMid: undefined, bidLeg: undefined, askLeg: undefined,
  };
}

/**
 * The latest tick per partner and pair, by a hash of "partner pair", reused while its line is the same: one
 * number, one line (tick-wire.ts), so the numbers are compared, not the texts. Only the latest is kept: a
 * replaced tick, its legs and their memos die young, which keeps the young generation's collections cheap.
 * Two streams whose hashes collide only take each other's place.
 */
const latestTicks = new Map<number, ParsedTick>();

/** The tick of the line text[at, end), parsed only the first time it is seen. */
function tickAt(text: string, at: number, end: number): ParsedTick {
  const noEnd = text.indexOf(' ', at);
  const pairEnd = text.indexOf(' ', text.indexOf(' ', noEnd + 1) + 1);
  let h = 0x811c9dc5;
  for (let i = noEnd + 1; i < pairEnd; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const no = numberIn(text, at, noEnd);
  const p = latestTicks.get(h);
  if (p !== undefined && p.no === no) return p;
  if (latestTicks.size >= 4_096) latestTicks.clear();
  const parsed = parseTick(text, noEnd + 1, end, no, p);
  latestTicks.set(h, parsed);
  return parsed;
}

const bidOf = (p: ParsedTick): Ratio => (p.bid ??= digitsRatio(p.bidN, p.places));
const askOf = (p: ParsedTick): Ratio => (p.ask ??= digitsRatio(p.askN, p.places));
const twiceMidOf = (p: ParsedTick): Ratio => (p.twiceMid ??= add(bidOf(p), askOf(p)));

/** Orders ticks of a pair by bid + ask: on their counts when both are on one scale in doubles, else exactly. */
function byTwiceMid(a: ParsedTick, b: ParsedTick): number {
  if (a.places === b.places) {
    const x = a.bidN + a.askN;
    const y = b.bidN + b.askN;
    if (x <= Number.MAX_SAFE_INTEGER && y <= Number.MAX_SAFE_INTEGER) return x > y ? 1 : x < y ? -1 : 0;
  }
  return cmp(twiceMidOf(a), twiceMidOf(b));
}

/**
 * Whether x's mid is further than the config's outlierBps from ref's, as fartherThan decides on their twice-mid ratios: on the counts
 * when every product is a whole number below 2^53 (a double product at or under it is exact), else exactly.
 */
function fartherMid(x: ParsedTick, ref: ParsedTick, prep: Prepared): boolean {
  if (x.places === ref.places) {
    const tx = x.bidN + x.askN;
    const tr = ref.bidN + ref.askN;
    const far = Math.abs(tx - tr) * 10_000 * prep.outlierD;
    const bound = prep.outlierN * tr;
    if (tx <= Number.MAX_SAFE_INTEGER && tr <= Number.MAX_SAFE_INTEGER && far <= Number.MAX_SAFE_INTEGER && bound <= Number.MAX_SAFE_INTEGER) return far > bound;
  }
  return fartherThan(twiceMidOf(x), twiceMidOf(ref), prep.outlierBps);
}

const feeFactors = new Map<string, Ratio>();
const feeFactor = (bps: string): Ratio => feeFactors.get(bps) ?? feeFactors.set(bps, bpsFactor(bps)).get(bps)!;

/** Route rate of one leg: pair S/R gives bid; pair R/S gives 1 / ask. A partner fee scales it by (1 - fee/10000). */
function leg(p: ParsedTick, inverted: boolean, feeBps: string): Leg {
  const seen = inverted ? p.askLeg : p.bidLeg;
  if (seen && seen.feeBps === feeBps) return seen;
  const fee = feeBps === '0' ? undefined : feeFactor(feeBps);
  const rate = inverted ? (fee ? div(fee, askOf(p)) : inverse(askOf(p))) : fee ? mul(bidOf(p), fee) : bidOf(p);
  const l: Leg = { p, inverted, feeBps, rate, mid: undefined, shown: undefined, direct: undefined, crosses: undefined };
  if (inverted) p.askLeg = l;
  else p.bidLeg = l;
  return l;
}

const candidate = (first: Leg, second: Leg | undefined, rate: Ratio, next: Candidate | undefined): Candidate => ({
  first, second, rate, mid: undefined, shownFor: undefined, shown: undefined, caps: 0, next,
});

const directOf = (l: Leg): Candidate => (l.direct ??= candidate(l, undefined, l.rate, undefined));

function crossOf(first: Leg, second: Leg): Candidate {
  let n = 0;
  for (let c = first.crosses; c; c = c.next, n++) if (c.second === second) return c;
  // A list (no array: most first legs make one or two) that a long-lived first leg starts again past 16.
  return (first.crosses = candidate(first, second, mul(first.rate, second.rate), n < 16 ? first.crosses : undefined));
}

/** Mid of a pair quote in the leg's direction: (bid + ask) / 2, inverted as 1 / mid. */
const midOf = (l: Leg): Ratio => (l.mid ??= l.inverted ? twiceInverse(twiceMidOf(l.p)) : half(twiceMidOf(l.p)));

/** The mid of a route: the product of its legs' mids. */
const routeMid = (r: Candidate): Ratio => (r.mid ??= r.second ? mul(midOf(r.first), midOf(r.second)) : midOf(r.first));

/**
 * What a corridor's snapshot showed last, per text: [route, factor, digits, text] at 4k (k = 0: the mid; k = 1 + i:
 * tier i's customer rate). The same route at the same factor has the same text, with no arithmetic; the same
 * digits from another route (a rate often stays the same at its precision when a tick moves a leg) have the same
 * string, so the snapshot's parts made of it can stay the same objects too.
 */
type TextMemo = (Candidate | Ratio | Digits | string | undefined)[];

function remember(memo: TextMemo, at: number, r: Candidate, factor: Ratio | undefined, digits: Digits, dp: number, trim: boolean): string {
  const text = memo[at + 2] === digits ? (memo[at + 3] as string) : trim ? roundedText(digits, dp) : fixedText(digits, dp);
  memo[at] = r;
  memo[at + 1] = factor;
  memo[at + 2] = digits;
  memo[at + 3] = text;
  return text;
}

/** The mid of the corridor's best route r, at two places more than its rates. */
function midText(r: Candidate, pc: PreparedCorridor): string {
  const memo = pc.texts;
  if (memo[0] === r) return memo[3] as string;
  const dp = pc.c.ratePrecision + 2;
  return remember(memo, 0, r, undefined, roundedDigits(routeMid(r), dp), dp, true);
}

/** Customer rate of a tier on route r: routeRate * (1 - spreadBps/10000), rounded down (`factor` comes scaled by 10^precision). */
function customerRate(r: Candidate, factor: Ratio, pc: PreparedCorridor, tier: number): string {
  const memo = pc.texts;
  const at = 4 + 4 * tier;
  if (memo[at] === r && memo[at + 1] === factor) return memo[at + 3] as string;
  return remember(memo, at, r, factor, productFloor(r.rate, factor), pc.c.ratePrecision, false);
}

/** A route leg as the hub holds it: its tick's time, from which a quote takes the leg's age when it is made. */
const shownLeg = (l: Leg): RouteLeg => (l.shown ??= { partner: l.p.s.partner, pair: l.p.s.pair, rate: toRounded(l.rate, LEG_DP), tickTs: l.p.asOfUs });

/** Whether a route's limit caps tier i (is below the tier's top). */
const capsTier = (maxAmount: string, c: PricingCorridorConfig, i: number): boolean => compare(maxAmount, c.tiers[i]!.upTo ?? c.maxAmount) < 0;

/** The smaller of two limits, either of which may be absent. */
const smaller = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined || compare(a, b) <= 0 ? a : b);

/** The route as a corridor's snapshot shows it (with the largest amount all its partners take), made once. */
function shownRoute(r: Candidate, pc: PreparedCorridor): Route {
  if (r.shownFor === pc) return r.shown!;
  const { maxAmount, caps } = limitOf(pc, r.first.p.s.partnerIx, r.second ? r.second.p.s.partnerIx : -1);
  const first = shownLeg(r.first);
  const route: Route = r.second ? { rate: toRounded(r.rate, LEG_DP), legs: [first, shownLeg(r.second)] } : { rate: first.rate, legs: [first] };
  if (maxAmount !== undefined) route.maxAmount = maxAmount;
  r.caps = caps;
  r.shownFor = pc;
  return (r.shown = route);
}

/** The limit of a route through these partners (second -1: a direct route), worked out once per corridor. */
function limitOf(pc: PreparedCorridor, first: number, second: number): RouteLimit {
  const at = first * (pc.partnerIds.length + 1) + second + 1;
  let limit = pc.limits[at];
  if (!limit) {
    const c = pc.c;
    const maxAmount = smaller(c.partnerMaxAmounts[pc.partnerIds[first]!], second < 0 ? undefined : c.partnerMaxAmounts[pc.partnerIds[second]!]);
    let caps = 0;
    if (maxAmount !== undefined) for (let i = 0; i < Math.min(c.tiers.length, 31); i++) if (capsTier(maxAmount, c, i)) caps |= 1 << i;
    pc.limits[at] = limit = { maxAmount, caps };
  }
  return limit;
}

/** Partners a route may not use for some amount: `out[partnerIx]` is 1 for each. */
interface Exclusion {
  out: Uint8Array;
}

const NO_EXCLUSION: Exclusion = { out: new Uint8Array(0) };

/** A list reused from batch to batch: its first `n` items are this batch's. */
class List<T> {
  readonly xs: T[] = [];
  n = 0;
  push(x: T): void {
    this.xs[this.n++] = x;
  }
}

/** Eligible ticks of one pair under one staleness bound, worked out once per batch (`batch`). */
interface Slot {
  pair: number;
  maxStalenessMs: number;
  batch: number;
  ticks: List<ParsedTick>;
}

/** Every leg turning one currency into another under one staleness bound, best first, once per batch. */
interface Hop {
  shapes: { slot: number; inverted: boolean }[];
  batch: number;
  legs: List<Leg>;
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
  /** Spread per tier and market state, at tier * 4 + closed * 2 + volatile, worked out on first use; its factor scaled by 10^ratePrecision. */
  spreads: ({ parts: SpreadParts; factor: Ratio } | undefined)[];
  decay?: string;
  /** Whether a sum of squared returns is above the volatility threshold: the sum changes once per sample period, not per batch. */
  above: Map<string, boolean>;
  /** The corridor's last tradeable snapshot, whose parts (never changed once made) the next one reuses where they are the same. */
  last: PricedCorridor | undefined;
  /** The texts its snapshot showed last (midText, customerRate). */
  texts: TextMemo;
  /** Partner ids by index, and the limits of routes through them (limitOf). */
  partnerIds: string[];
  limits: (RouteLimit | undefined)[];
}

/** The largest amount every partner of a route takes, and the tiers it caps (bit i: tier i < 31). */
interface RouteLimit {
  maxAmount: string | undefined;
  caps: number;
}

interface Prepared {
  cfg: PricingConfig;
  pairs: Map<string, number>;
  /** Partner index by id, and per index whether it is enabled and its fee. */
  partners: Map<string, number>;
  enabled: boolean[];
  fees: string[];
  slots: Slot[];
  hops: Hop[];
  corridors: Map<string, PreparedCorridor>;
  outlierBps: Ratio;
  /** Its numerator and denominator as numbers (NaN past 2^53: fartherMid then decides exactly). */
  outlierN: number;
  outlierD: number;
  /** This batch's ticks per pair index. */
  byPair: List<ParsedTick>[];
}

let prepared: Prepared | undefined;

/**
 * Partners whose limit on the corridor is below `amount` (strict: at or below it); exclusions naming the same
 * partners are one object. A partner the config does not name is never eligible, so never excluded.
 */
function exclusion(c: PricingCorridorConfig, partners: Map<string, number>, amount: string | undefined, strict: boolean, known: Map<string, Exclusion>): Exclusion {
  if (amount === undefined) return NO_EXCLUSION;
  const out = Object.entries(c.partnerMaxAmounts)
    .filter(([p, limit]) => partners.has(p) && (strict ? compare(limit, amount) <= 0 : compare(limit, amount) < 0))
    .map(([p]) => partners.get(p)!);
  if (out.length === 0) return NO_EXCLUSION;
  const key = out.sort((a, b) => a - b).join(',');
  if (!known.has(key)) {
    const flags = new Uint8Array(partners.size);
    for (const ix of out) flags[ix] = 1;
    known.set(key, { out: flags });
  }
  return known.get(key)!;
}

function prepare(cfg: PricingConfig): Prepared {
  if (prepared?.cfg === cfg) return prepared;
  const pairs = new Map<string, number>();
  const ids = Object.keys(cfg.partners);
  const partners = new Map(ids.map((p, i) => [p, i]));
  const slots: Slot[] = [];
  const slotIds = new Map<string, number>();
  const hops: Hop[] = [];
  const hopIds = new Map<string, number>();
  const slotOf = (pair: string, maxStalenessMs: number): number => {
    if (!pairs.has(pair)) pairs.set(pair, pairs.size);
    const key = `${pair} ${maxStalenessMs}`;
    if (!slotIds.has(key)) slotIds.set(key, slots.push({ pair: pairs.get(pair)!, maxStalenessMs, batch: -1, ticks: new List() }) - 1);
    return slotIds.get(key)!;
  };
  const hopOf = (from: string, to: string, maxStalenessMs: number): number => {
    const key = `${from} ${to} ${maxStalenessMs}`;
    if (!hopIds.has(key))
      hopIds.set(key, hops.push({ shapes: legShapes(from, to).map((s) => ({ slot: slotOf(s.pair, maxStalenessMs), inverted: s.inverted })), batch: -1, legs: new List() }) - 1);
    return hopIds.get(key)!;
  };
  const corridors = new Map<string, PreparedCorridor>();
  for (const [id, c] of Object.entries(cfg.corridors)) {
    const known = new Map<string, Exclusion>();
    corridors.set(id, {
      id, c,
      direct: hopOf(c.send, c.receive, c.maxStalenessMs),
      pivots: cfg.pivots.filter((p) => p !== c.send && p !== c.receive).map((p) => [hopOf(c.send, p, c.maxStalenessMs), hopOf(p, c.receive, c.maxStalenessMs)]),
      top: c.tiers.map((t) => exclusion(c, partners, t.upTo ?? c.maxAmount, false, known)),
      bottom: c.tiers.map((_, i) => exclusion(c, partners, i === 0 ? undefined : c.tiers[i - 1]!.upTo, true, known)),
      spreads: [],
      ...(c.volatility ? { decay: oneMinusRatio(c.volatility.sampleMs, c.volatility.windowMs) } : {}),
      above: new Map(),
      last: undefined,
      texts: [],
      partnerIds: ids,
      limits: [],
    });
  }
  const byPair = Array.from({ length: pairs.size }, () => new List<ParsedTick>());
  const enabled = ids.map((p) => cfg.partners[p]!.enabled);
  const fees = ids.map((p) => cfg.partners[p]!.feeBps);
  const outlierBps = ratio(cfg.outlierBps);
  const safe = (v: bigint): number => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : NaN);
  return (prepared = { cfg, pairs, partners, enabled, fees, slots, hops, corridors, outlierBps, outlierN: safe(outlierBps.n), outlierD: safe(outlierBps.d), byPair });
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
    pc.spreads[at] = s = { parts: { ...parts, totalBps }, factor: scaled(bpsFactor(totalBps), c.ratePrecision) };
  }
  return s;
}

const byRateDesc = (a: { rate: Ratio }, b: { rate: Ratio }) => cmp(b.rate, a.rate);

const unavailable = (corridor: string, reason: UnavailableReason, configVersion: string): PricedCorridor => ({
  corridor, tradeable: false, reason, mid: null, routes: [], tiers: [], tickTs: 0, oldestTickUs: 0, configVersion,
});

/** Numbers the batches, so that lists reused from one to the next know whether they are this batch's. */
let batches = 0;

/** Scratch lists of one corridor's pricing (one corridor is priced at a time). */
const sorted: ParsedTick[] = [];
const families = new List<Candidate>();
const kept = new List<Candidate>();
const chosen: (Candidate | undefined)[] = [];
const chosenAt: number[] = [];
const order: number[] = [];
const tierScratch: TierPrice[] = [];

const sameVolatility = (a: VolatilityState | undefined, b: VolatilityState | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.mid === b.mid && a.atMs === b.atMs && a.sumSquares === b.sumSquares);

/** Prices one batch: every corridor in it under the one config the batch names. */
class BatchPricer {
  readonly #prep: Prepared;
  readonly #batch: number;
  readonly #closed: boolean;
  /** Ticks held out as outliers, "partner pair seq" (made on the first one). */
  heldOut: Set<string> | undefined;
  /** Whether the corridor priced last is volatile (#volatility sets it). */
  #volatile = false;

  constructor(private readonly batch: PricingBatch, private readonly cfg: PricingConfig) {
    const prep = (this.#prep = prepare(cfg));
    this.#batch = ++batches;
    for (const list of prep.byPair) list.n = 0;
    const text = batch.ticks;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const p = tickAt(text, at, end);
      at = end + 1;
      const s = p.s;
      if (s.filed !== prep) {
        s.filed = prep;
        s.pairIx = prep.pairs.get(s.pair) ?? -1;
        s.partnerIx = prep.partners.get(s.partner) ?? -1;
      }
      if (s.pairIx >= 0) prep.byPair[s.pairIx]!.push(p);
    }
    this.#closed = marketClosed(batch.nowMs);
  }

  /**
   * Fresh ticks of enabled partners on a pair, less outliers: a tick further than outlierBps from the median
   * of the other fresh partners' mids (with an even count, further than that from both middle values).
   */
  #eligibleTicks(at: number): List<ParsedTick> {
    const slot = this.#prep.slots[at]!;
    const fresh = slot.ticks;
    if (slot.batch === this.#batch) return fresh;
    slot.batch = this.#batch;
    fresh.n = 0;
    const ticks = this.#prep.byPair[slot.pair]!;
    for (let i = 0; i < ticks.n; i++) {
      const p = ticks.xs[i]!;
      if (p.s.partnerIx >= 0 && this.#prep.enabled[p.s.partnerIx] && this.batch.nowMs - p.asOfUs / 1000 <= slot.maxStalenessMs) fresh.push(p);
    }
    const n = fresh.n;
    if (n < 2) return fresh;
    const prep = this.#prep;
    for (let i = 0; i < n; i++) sorted[i] = fresh.xs[i]!;
    sortSmall(sorted, n, byTwiceMid);
    // Every distance to a median is at most max - min: when that is inside the bound, no one is an outlier.
    if (!fartherMid(sorted[n - 1]!, sorted[0]!, prep)) return fresh;
    // The others of p are `sorted` without p: the median of n - 1 values, around p's place.
    fresh.n = 0;
    for (let i = 0; i < n; i++) {
      const p = fresh.xs[i]!;
      const skip = sorted.indexOf(p);
      const other = (k: number) => sorted[k < skip ? k : k + 1]!;
      const hi = other((n - 1) >> 1);
      const lo = other((n - 2) >> 1);
      const far = fartherMid(p, hi, prep) && (lo === hi || fartherMid(p, lo, prep));
      if (far) (this.heldOut ??= new Set()).add(`${p.s.partner} ${p.s.pair} ${p.seq}`);
      else fresh.push(p);
    }
    return fresh;
  }

  /** Every eligible leg of a hop, best rate first. */
  #hop(at: number): List<Leg> {
    const hop = this.#prep.hops[at]!;
    const legs = hop.legs;
    if (hop.batch === this.#batch) return legs;
    hop.batch = this.#batch;
    legs.n = 0;
    for (let s = 0; s < hop.shapes.length; s++) {
      const shape = hop.shapes[s]!;
      const ticks = this.#eligibleTicks(shape.slot);
      for (let i = 0; i < ticks.n; i++) {
        const p = ticks.xs[i]!;
        legs.push(leg(p, shape.inverted, this.#prep.fees[p.s.partnerIx]!));
      }
    }
    sortSmall(legs.xs, legs.n, byRateDesc);
    return legs;
  }

  /** The best leg of a hop from a partner not excluded. */
  #pick(hop: number, excluded: Exclusion): Leg | undefined {
    const legs = this.#hop(hop);
    if (excluded === NO_EXCLUSION) return legs.n > 0 ? legs.xs[0] : undefined;
    for (let i = 0; i < legs.n; i++) if (excluded.out[legs.xs[i]!.p.s.partnerIx] !== 1) return legs.xs[i]!;
    return undefined;
  }

  /** Per route family (direct, via each pivot), the best route using none of the excluded partners; best first, into `out`. */
  #search(pc: PreparedCorridor, excluded: Exclusion, out: List<Candidate>): void {
    out.n = 0;
    const direct = this.#pick(pc.direct, excluded);
    if (direct) out.push(directOf(direct));
    for (let i = 0; i < pc.pivots.length; i++) {
      const [a, b] = pc.pivots[i]!;
      const first = this.#pick(a, excluded);
      const second = first && this.#pick(b, excluded);
      if (second) out.push(crossOf(first, second));
    }
    sortSmall(out.xs, out.n, byRateDesc);
  }

  /** The best route using none of the excluded partners (the first of #search's). */
  #best(pc: PreparedCorridor, excluded: Exclusion): Candidate | undefined {
    if (excluded === NO_EXCLUSION) return families.n > 0 ? families.xs[0] : undefined;
    let best: Candidate | undefined;
    const direct = this.#pick(pc.direct, excluded);
    if (direct) best = directOf(direct);
    for (let i = 0; i < pc.pivots.length; i++) {
      const [a, b] = pc.pivots[i]!;
      const first = this.#pick(a, excluded);
      const second = first && this.#pick(b, excluded);
      if (!second) continue;
      const r = crossOf(first, second);
      if (!best || cmp(r.rate, best.rate) > 0) best = r;
    }
    return best;
  }

  /** The corridor's volatility state after this batch; sets #volatile. */
  #volatility(pc: PreparedCorridor, best: Candidate): VolatilityState | undefined {
    this.#volatile = false;
    const v = pc.c.volatility;
    if (!v) return undefined;
    const now = this.batch.nowMs;
    const prev = this.batch.volatility[pc.id];
    if (!prev) return { mid: toRounded(routeMid(best), LEG_DP), atMs: now, sumSquares: '0' };
    const periods = Math.floor((now - prev.atMs) / v.sampleMs);
    if (periods < 1) {
      this.#volatile = this.#above(pc, prev.sumSquares);
      return prev;
    }
    // Once per sample period, off the per-batch path: decimal.js on the mid taken to 40 places.
    const mid = routeMid(best);
    const sumSquares = decayedSquaredReturns(prev.sumSquares, prev.mid, toRounded(mid, VOL_DP), pc.decay!, Math.min(periods, MAX_DECAY_PERIODS));
    this.#volatile = this.#above(pc, sumSquares);
    return { mid: toRounded(mid, LEG_DP), atMs: now, sumSquares };
  }

  #above(pc: PreparedCorridor, sumSquares: string): boolean {
    const above = pc.above;
    let is = above.get(sumSquares);
    if (is === undefined) {
      if (above.size > 10_000) above.clear();
      above.set(sumSquares, (is = varianceAbove(sumSquares, pc.c.volatility!.thresholdBps)));
    }
    return is;
  }

  price(id: string): PricedCorridor {
    const version = this.cfg.version;
    const pc = this.#prep.corridors.get(id);
    if (!pc) return unavailable(id, 'not_configured', version);
    const c = pc.c;
    if (c.halted) return unavailable(id, 'halted', version);
    this.#search(pc, NO_EXCLUSION, families);
    if (families.n === 0) return unavailable(id, 'no_route', version);
    const best = families.xs[0]!;

    // Each tier is priced on the best route whose partners take the tier's top amount; failing that, on the
    // best one that takes more than the tier's bottom, capped at that route's limit.
    const tierCount = c.tiers.length;
    for (let i = 0; i < tierCount; i++) chosen[i] = this.#best(pc, pc.top[i]!) ?? this.#best(pc, pc.bottom[i]!);

    // The routes shown: each family's best, then the tiers' that are not among them; best first (a stable
    // sort: equal rates keep their order), and the tiers point into the sorted list.
    kept.n = 0;
    for (let i = 0; i < families.n; i++) kept.push(families.xs[i]!);
    for (let i = 0; i < tierCount; i++) {
      const r = chosen[i];
      chosenAt[i] = r ? keep(r) : -1;
      if (r) chosen[i] = kept.xs[chosenAt[i]!]; // the same legs, the one whose route is shown
    }
    for (let i = 0; i < kept.n; i++) order[i] = i;
    sortSmall(order, kept.n, byKeptRateDesc);
    // What did not change since the corridor's last snapshot is that snapshot's (routes, tiers, the whole of it).
    const last = pc.last;
    let routes = last && last.routes.length === kept.n ? last.routes : undefined;
    for (let i = 0; routes && i < kept.n; i++) if (routes[i] !== shownRoute(kept.xs[order[i]!]!, pc)) routes = undefined;
    if (!routes) {
      routes = new Array(kept.n);
      for (let i = 0; i < kept.n; i++) routes[i] = shownRoute(kept.xs[order[i]!]!, pc);
    }

    const volatility = this.#volatility(pc, best);
    let sameTiers = last !== undefined && last.tiers.length === tierCount;
    let tickTs = 0;
    let oldestTickUs = Infinity;
    for (let k = -1; k < tierCount; k++) {
      const r = k < 0 ? best : chosen[k];
      if (!r) continue;
      tickTs = Math.max(tickTs, r.first.p.receivedAtUs, r.second?.p.receivedAtUs ?? 0);
      oldestTickUs = Math.min(oldestTickUs, r.first.p.asOfUs, r.second?.p.asOfUs ?? Infinity);
    }
    for (let i = 0; i < tierCount; i++) {
      const t = c.tiers[i]!;
      const r = chosen[i];
      const { parts, factor } = spreadOf(pc, i, this.#closed, this.#volatile);
      const rate = r ? customerRate(r, factor, pc, i) : null;
      const route = r ? order.indexOf(chosenAt[i]!) : null;
      const cap = r?.shown!.maxAmount;
      const capped = cap !== undefined && (i < 31 ? (r!.caps & (1 << i)) !== 0 : capsTier(cap, c, i));
      const before = last?.tiers[i];
      if (before && before.spread === parts && before.rate === rate && before.route === route && before.maxAmount === (capped ? cap : undefined)) {
        tierScratch[i] = before;
        continue;
      }
      sameTiers = false;
      // Optional fields in this order, in the literal: each one set after would grow the object's properties.
      tierScratch[i] = t.upTo === undefined
        ? capped ? { tier: i, spreadBps: parts.totalBps, spread: parts, rate, route, maxAmount: cap } : { tier: i, spreadBps: parts.totalBps, spread: parts, rate, route }
        : capped ? { tier: i, spreadBps: parts.totalBps, spread: parts, rate, route, upTo: t.upTo, maxAmount: cap } : { tier: i, spreadBps: parts.totalBps, spread: parts, rate, route, upTo: t.upTo };
    }
    const tiers = sameTiers ? last!.tiers : tierScratch.slice(0, tierCount);
    const mid = midText(best, pc);
    if (last && routes === last.routes && tiers === last.tiers && mid === last.mid && tickTs === last.tickTs && oldestTickUs === last.oldestTickUs && sameVolatility(volatility, last.volatility))
      return last;
    return (pc.last = volatility
      ? { corridor: id, tradeable: true, mid, routes, tiers, tickTs, oldestTickUs, configVersion: version, volatility }
      : { corridor: id, tradeable: true, mid, routes, tiers, tickTs, oldestTickUs, configVersion: version });
  }
}

const byKeptRateDesc = (a: number, b: number) => cmp(kept.xs[b]!.rate, kept.xs[a]!.rate);

/** Index in `kept` of the route on the same legs as r, added if none is. */
function keep(r: Candidate): number {
  for (let i = 0; i < kept.n; i++) if (kept.xs[i]!.first === r.first && kept.xs[i]!.second === r.second) return i;
  kept.push(r);
  return kept.n - 1;
}

/** Prices every corridor of a batch under the batch's config (which the caller checked this worker has). */
export function priceBatch(batch: PricingBatch, cfg: PricingConfig): { corridors: PricedCorridor[]; heldOut: string[] } {
  const pricer = new BatchPricer(batch, cfg);
  const corridors: PricedCorridor[] = new Array(batch.corridors.length);
  for (let i = 0; i < corridors.length; i++) corridors[i] = pricer.price(batch.corridors[i]!);
  return { corridors, heldOut: pricer.heldOut ? [...pricer.heldOut] : [] };
}

// Route search and spreads for one batch. Pure: runs inside the pricing workers, no I/O.
import { customerRate, legMid, legRate, product, toFixedString, type Decimal } from './money.js';
import type { PricedCorridor, PricingBatch, PricingConfig, PricingCorridorConfig } from './pricing-messages.js';
import { legShapes } from './routes.js';
import type { BookTick } from './types.js';

const LEG_DP = 10;

interface Leg {
  tick: BookTick;
  rate: Decimal;
  mid: Decimal;
}

function bestLeg(from: string, to: string, byPair: Map<string, BookTick[]>, cfg: PricingConfig, fresh: (t: BookTick) => boolean): Leg | undefined {
  let best: Leg | undefined;
  for (const shape of legShapes(from, to)) {
    for (const tick of byPair.get(shape.pair) ?? []) {
      const partner = cfg.partners[tick.partner];
      if (!partner?.enabled || !fresh(tick)) continue;
      const rate = legRate(tick.bid, tick.ask, shape.inverted, partner.feeBps);
      if (!best || rate.gt(best.rate)) best = { tick, rate, mid: legMid(tick.bid, tick.ask, shape.inverted) };
    }
  }
  return best;
}

/** The best route for one corridor: the highest route rate among fresh, enabled legs. */
export function bestRoute(c: PricingCorridorConfig, byPair: Map<string, BookTick[]>, cfg: PricingConfig, nowMs: number): Leg[] | undefined {
  const fresh = (t: BookTick) => nowMs - t.receivedAtUs / 1000 <= c.maxStalenessMs;
  const candidates: Leg[][] = [];
  const direct = bestLeg(c.send, c.receive, byPair, cfg, fresh);
  if (direct) candidates.push([direct]);
  for (const pivot of cfg.pivots) {
    if (pivot === c.send || pivot === c.receive) continue;
    const first = bestLeg(c.send, pivot, byPair, cfg, fresh);
    const second = first && bestLeg(pivot, c.receive, byPair, cfg, fresh);
    if (first && second) candidates.push([first, second]);
  }
  let best: Leg[] | undefined;
  let bestRate: Decimal | undefined;
  for (const legs of candidates) {
    const rate = product(legs.map((l) => l.rate));
    if (!bestRate || rate.gt(bestRate)) [best, bestRate] = [legs, rate];
  }
  return best;
}

export function priceCorridor(id: string, batch: PricingBatch, byPair: Map<string, BookTick[]>): PricedCorridor {
  const cfg = batch.config;
  const c = cfg.corridors[id];
  const unavailable = (reason: string): PricedCorridor => ({
    corridor: id, tradeable: false, reason, routeRate: null, mid: null, route: [], tiers: [], tickTs: 0, oldestTickUs: 0, configVersion: cfg.version,
  });
  if (!c) return unavailable('corridor not configured');
  const legs = bestRoute(c, byPair, cfg, batch.nowMs);
  if (!legs) return unavailable('no fresh route');
  const routeRate = product(legs.map((l) => l.rate));
  const routeRateStr = toFixedString(routeRate, LEG_DP);
  return {
    corridor: id,
    tradeable: true,
    routeRate: routeRateStr,
    mid: toFixedString(product(legs.map((l) => l.mid)), c.ratePrecision + 2),
    route: legs.map((l) => ({
      partner: l.tick.partner,
      pair: l.tick.pair,
      rate: toFixedString(l.rate, LEG_DP),
      ageMs: Math.max(0, Math.round(batch.nowMs - l.tick.receivedAtUs / 1000)),
    })),
    tiers: c.tiers.map((t, tier) => ({ tier, upTo: t.upTo, spreadBps: t.spreadBps, rate: customerRate(routeRate, t.spreadBps, c.ratePrecision) })),
    tickTs: Math.max(...legs.map((l) => l.tick.receivedAtUs)),
    oldestTickUs: Math.min(...legs.map((l) => l.tick.receivedAtUs)),
    configVersion: cfg.version,
  };
}

export function priceBatch(batch: PricingBatch): PricedCorridor[] {
  const byPair = new Map<string, BookTick[]>();
  for (const t of batch.ticks) {
    const list = byPair.get(t.pair);
    if (list) list.push(t);
    else byPair.set(t.pair, [t]);
  }
  return batch.corridors.map((id) => priceCorridor(id, batch, byPair));
}

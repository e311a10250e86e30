// The peer's pricing, on the main thread: every accepted tick re-prices the corridors that can use its pair
// with decimal.js, right away, and hands changed prices to the stream.
import { Decimal } from 'decimal.js';
import currencyCodes from 'currency-codes';
import { systemClock } from '../../engine/clock.js';
import type { PartnerTick } from '../../engine/index.js';
import type { PeerConfig, PeerCorridor } from './config.js';
import { PeerError } from './errors.js';

const D = Decimal.clone({ precision: 40 });
type Dec = InstanceType<typeof D>;

const AMOUNT = /^(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;
// The measurement's clock, not the peer's design: the stream clients compare `ts` with the engine's true clock,
// and performance.timeOrigin is off the wall clock by up to a millisecond, a random amount per process.
const nowUs = () => systemClock.nowUs();

interface BookTick extends PartnerTick {
  receivedAtUs: number;
}

export interface CorridorPrice {
  corridor: string;
  tradeable: boolean;
  mid: string | null;
  route: { partner: string; pair: string; rate: string }[];
  tiers: { spreadBps: string; upTo?: string; rate: string }[];
  /** Oldest and newest tick arrival behind the route, epoch µs. */
  oldestTickUs: number;
  tickTs: number;
  seq: number;
  ts: number;
}

export interface Terms {
  corridor: string;
  send: string;
  receive: string;
  sendAmount: string;
  receiveAmount: string;
  rate: string;
  mid: string;
  spreadBps: string;
  tier: number;
  price: CorridorPrice;
}

export const minorUnits = (currency: string): number => currencyCodes.code(currency)?.digits ?? 2;

/** Canonical decimal ("1000.00" -> "1000"), so amounts compare as numbers. */
export const canonical = (s: string): string => new D(s).toString();

export const isAmount = (v: unknown): v is string => typeof v === 'string' && AMOUNT.test(v) && !new D(v).isZero();

export class Pricer {
  /** pair -> partner -> latest tick */
  readonly #book = new Map<string, Map<string, BookTick>>();
  readonly #prices = new Map<string, CorridorPrice>();
  readonly #corridorsByPair = new Map<string, string[]>();

  constructor(private readonly config: PeerConfig, private readonly onChange: (p: CorridorPrice) => void) {
    for (const c of config.corridors.values())
      for (const pair of this.#pairsOf(c)) this.#corridorsByPair.set(pair, [...(this.#corridorsByPair.get(pair) ?? []), c.id]);
  }

  #pairsOf(c: PeerCorridor): string[] {
    const pairs = [`${c.send}/${c.receive}`, `${c.receive}/${c.send}`];
    for (const p of this.config.pivots)
      if (p !== c.send && p !== c.receive) pairs.push(`${c.send}/${p}`, `${p}/${c.send}`, `${p}/${c.receive}`, `${c.receive}/${p}`);
    return pairs;
  }

  onTick(tick: PartnerTick): void {
    if (!AMOUNT.test(tick.bid) || !AMOUNT.test(tick.ask) || new D(tick.bid).lte(0) || new D(tick.bid).gt(tick.ask)) return;
    const partners = this.#book.get(tick.pair) ?? new Map<string, BookTick>();
    const prev = partners.get(tick.partner);
    if (prev && tick.seq <= prev.seq) return;
    partners.set(tick.partner, { ...tick, receivedAtUs: nowUs() });
    this.#book.set(tick.pair, partners);
    for (const id of this.#corridorsByPair.get(tick.pair) ?? []) this.reprice(id);
  }

  /** Re-prices every corridor: legs go stale while no ticks arrive. */
  repriceAll(): void {
    for (const id of this.config.corridors.keys()) this.reprice(id);
  }

  /** The best leg from one currency to another: pair from/to at bid, or to/from at 1 / ask; fee applied. */
  #bestLeg(from: string, to: string, maxAgeMs: number): { tick: BookTick; rate: Dec; mid: Dec } | undefined {
    let best: { tick: BookTick; rate: Dec; mid: Dec } | undefined;
    const now = nowUs();
    for (const [pair, inverted] of [[`${from}/${to}`, false], [`${to}/${from}`, true]] as const) {
      for (const tick of this.#book.get(pair)?.values() ?? []) {
        const partner = this.config.partners[tick.partner];
        if (!partner?.enabled || now - tick.receivedAtUs > maxAgeMs * 1000) continue;
        const raw = inverted ? new D(1).div(tick.ask) : new D(tick.bid);
        const rate = raw.times(new D(1).minus(new D(partner.feeBps).div(10_000)));
        const mid = new D(tick.bid).plus(tick.ask).div(2);
        if (!best || rate.gt(best.rate)) best = { tick, rate, mid: inverted ? new D(1).div(mid) : mid };
      }
    }
    return best;
  }

  reprice(id: string): void {
    const c = this.config.corridors.get(id)!;
    const routes = [];
    const direct = this.#bestLeg(c.send, c.receive, c.maxStalenessMs);
    if (direct) routes.push([direct]);
    for (const p of this.config.pivots) {
      if (p === c.send || p === c.receive) continue;
      const a = this.#bestLeg(c.send, p, c.maxStalenessMs);
      const b = a && this.#bestLeg(p, c.receive, c.maxStalenessMs);
      if (a && b) routes.push([a, b]);
    }
    const rateOf = (legs: { rate: Dec }[]) => legs.reduce((acc, l) => acc.times(l.rate), new D(1));
    const best = routes.sort((x, y) => rateOf(y).cmp(rateOf(x)))[0];
    const prev = this.#prices.get(id);
    const next: CorridorPrice = best
      ? {
          corridor: id,
          tradeable: true,
          mid: best.reduce((acc, l) => acc.times(l.mid), new D(1)).toDecimalPlaces(c.ratePrecision + 2).toString(),
          route: best.map((l) => ({ partner: l.tick.partner, pair: l.tick.pair, rate: l.rate.toDecimalPlaces(10).toString() })),
          tiers: c.tiers.map((t) => ({
            ...t,
            rate: rateOf(best).times(new D(1).minus(new D(t.spreadBps).div(10_000))).toDecimalPlaces(c.ratePrecision, Decimal.ROUND_DOWN).toFixed(c.ratePrecision),
          })),
          oldestTickUs: Math.min(...best.map((l) => l.tick.receivedAtUs)),
          tickTs: Math.max(...best.map((l) => l.tick.receivedAtUs)),
          seq: 0,
          ts: 0,
        }
      : { corridor: id, tradeable: false, mid: null, route: [], tiers: [], oldestTickUs: 0, tickTs: 0, seq: 0, ts: 0 };
    const same = prev && prev.tradeable === next.tradeable && prev.mid === next.mid && prev.tiers.every((t, i) => t.rate === next.tiers[i]?.rate);
    if (same) {
      // Same price: keep its seq, but remember the newer ticks behind it (they decide staleness).
      this.#prices.set(id, { ...next, seq: prev.seq, ts: prev.ts });
      return;
    }
    next.seq = (prev?.seq ?? 0) + 1;
    next.ts = nowUs();
    this.#prices.set(id, next);
    this.onChange(next);
  }

  /** The corridor's price if every leg behind it is still fresh. */
  fresh(id: string): CorridorPrice | undefined {
    const c = this.config.corridors.get(id);
    const p = this.#prices.get(id);
    if (!c || !p?.tradeable) return undefined;
    return nowUs() - p.oldestTickUs > c.maxStalenessMs * 1000 ? undefined : p;
  }

  latest(id: string): CorridorPrice | undefined {
    return this.#prices.get(id);
  }

  /** The tier a send amount falls in (the last one has no upTo). */
  static tierIndex(c: { tiers: { upTo?: string }[] }, sendAmount: string): number {
    const i = c.tiers.findIndex((t) => t.upTo === undefined || new D(sendAmount).lte(t.upTo));
    return i < 0 ? c.tiers.length - 1 : i;
  }

  /** Firm terms for a send or receive amount from the latest fresh price, or a coded refusal. */
  terms(corridor: unknown, side: 'send' | 'receive', amount: unknown): Terms {
    const c = typeof corridor === 'string' ? this.config.corridors.get(corridor) : undefined;
    if (!c) throw new PeerError('corridor_not_found', `no corridor ${String(corridor)}`);
    const name = side === 'send' ? 'sendAmount' : 'receiveAmount';
    const currency = side === 'send' ? c.send : c.receive;
    if (typeof amount !== 'string' || !AMOUNT.test(amount)) throw new PeerError('invalid_amount', `${name} must be a plain decimal string such as "1000.00"`);
    if ((amount.split('.')[1]?.length ?? 0) > minorUnits(currency))
      throw new PeerError('invalid_amount', `${name} must have at most ${minorUnits(currency)} decimals for ${currency}`);
    if (new D(amount).isZero()) throw new PeerError('invalid_amount', `${name} must be greater than zero`);
    const price = this.fresh(c.id);
    if (!price) throw new PeerError('corridor_unavailable', `${c.id} has no fresh price right now`);
    let tier: number;
    let sendAmount: string;
    let receiveAmount: string;
    if (side === 'send') {
      sendAmount = new D(amount).toFixed(minorUnits(c.send));
      tier = Pricer.tierIndex(c, sendAmount);
      receiveAmount = new D(sendAmount).times(price.tiers[tier]!.rate).toDecimalPlaces(minorUnits(c.receive), Decimal.ROUND_DOWN).toFixed(minorUnits(c.receive));
    } else {
      receiveAmount = new D(amount).toFixed(minorUnits(c.receive));
      const sendAt = (rate: string) => new D(receiveAmount).div(rate).toDecimalPlaces(minorUnits(c.send), Decimal.ROUND_UP).toFixed(minorUnits(c.send));
      tier = Pricer.tierIndex(c, sendAt(price.tiers[0]!.rate));
      sendAmount = sendAt(price.tiers[tier]!.rate);
    }
    if (new D(sendAmount).lt(c.minAmount) || new D(sendAmount).gt(c.maxAmount))
      throw new PeerError('amount_out_of_range', `sendAmount ${sendAmount} ${c.send} is outside ${c.minAmount}..${c.maxAmount} ${c.send} for ${c.id}`);
    if (new D(receiveAmount).lte(0)) throw new PeerError('amount_out_of_range', `receiveAmount would be 0 ${c.receive}`);
    const t = price.tiers[tier]!;
    return { corridor: c.id, send: c.send, receive: c.receive, sendAmount, receiveAmount, rate: t.rate, mid: price.mid!, spreadBps: t.spreadBps, tier, price };
  }
}

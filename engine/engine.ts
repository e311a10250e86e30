// The engine: ticks in, snapshots out, locks and redeems against the quote store.
//
//   feeds ──ingest()──► RateBook ──dirty corridors──► one batch per event-loop turn ──► PricingPool (workers)
//                                                                                          │
//   lock()/redeem() ◄── QuoteHub (latest snapshot per corridor, seq) ◄──── PricedCorridor[] ┘
//
import type { CorridorConfig, LoadedConfig } from '../config/index.js';
import { systemClock, type Clock } from './clock.js';
import { channels } from './diagnostics.js';
import { fxError, isFxError } from './errors.js';
import { canonical, compare, isDecimal, parseAmount, receiveFor, sendFor, formatMoney } from './money.js';
import type { PricingBatch, PricingConfig, PricingResult, VolatilityState } from './pricing-messages.js';
import { pricingConfig } from './pricing-config.js';
import { PricingPool } from './pricing-pool.js';
import { QuoteHub } from './quote-hub.js';
import { isQuoteId, type LockOutcome, type QuoteStore, type RedeemOutcome } from './quote-store.js';
import { RateBook, type TickOutcome } from './rate-book.js';
import { corridorsByPair, pairsFor } from './routes.js';
import type { AmountSide, RouteLeg, CorridorSnapshot, IndicativeQuote, PartnerTick, QuoteTerms, TierPrice } from './types.js';

export interface EngineOptions {
  config: LoadedConfig;
  store: QuoteStore;
  clock?: Clock;
  /** false for a gateway-only process that receives snapshots from a pricer. */
  pricing?: boolean;
  /** Replaces the pricing worker entry (tests wrap it to crash on purpose). */
  pricingWorker?: URL;
}

export interface CorridorView {
  id: string;
  send: string;
  receive: string;
  tradeable: boolean;
  rate: string | null;
  mid: string | null;
  updatedAt: string | null;
}

export interface RedeemRequest {
  id: string;
  idempotencyKey: string;
  sendAmount?: unknown;
  receiveAmount?: unknown;
  corridor?: unknown;
}

interface Firm {
  corridor: string;
  send: string;
  receive: string;
  snapshot: CorridorSnapshot;
  tier: TierPrice & { rate: string; route: number };
  sendAmount: string;
  receiveAmount: string;
  fee: string;
}

/** Runs a lock or redeem and publishes its outcome (ok, or the error code) and how long it took, for metrics. */
async function counted<T>(op: 'lock' | 'redeem', fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    const result = await fn();
    channels.quote.publish({ op, outcome: 'ok', durationUs: (performance.now() - start) * 1000 });
    return result;
  } catch (err) {
    channels.quote.publish({ op, outcome: isFxError(err) ? err.code : 'internal_error', durationUs: (performance.now() - start) * 1000 });
    throw err;
  }
}

const split = (id: string) => id.split('-') as [string, string];

export class Engine {
  readonly hub: QuoteHub;
  readonly store: QuoteStore;
  readonly #clock: Clock;
  readonly #book: RateBook;
  readonly #pool: PricingPool | undefined;
  #loaded!: LoadedConfig;
  #pricing!: PricingConfig;
  #pairIndex!: Map<string, string[]>;
  readonly #pairsByCorridor = new Map<string, string[]>();
  /** corridor -> its fixed fee in send-currency minor units ("0.00"), formatted once per config */
  readonly #fees = new Map<string, string>();
  /** corridor -> arrival (µs) of the first tick that dirtied it since its last batch */
  readonly #dirty = new Map<string, number>();
  /** corridor -> volatility state the last accepted batch left */
  readonly #volatility = new Map<string, VolatilityState>();
  /** "partner pair" -> seq of the last tick reported held out, so each is reported once */
  readonly #heldOut = new Map<string, number>();
  #scheduled = false;
  #inFlight = false;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: EngineOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.store = opts.store;
    this.hub = new QuoteHub(this.#clock);
    this.#book = new RateBook(opts.config.config.pricing);
    this.applyConfig(opts.config);
    if (opts.pricing !== false) {
      this.#pool = new PricingPool(opts.config.config.pricing.workers, opts.pricingWorker);
      // applyConfig marked every corridor dirty before the pool existed: price them now, ticks or not.
      this.#scheduled = true;
      setImmediate(() => void this.#flush());
    }
    this.#sweep = setInterval(() => this.#sweepStale(), opts.config.config.pricing.staleSweepMs);
    this.#sweep.unref();
  }

  /** A configured corridor by id; never an Object.prototype name ("constructor", "__proto__"). */
  #corridor(id: string): CorridorConfig | undefined {
    const all = this.#loaded.config.corridors;
    return Object.hasOwn(all, id) ? all[id] : undefined;
  }

  get config(): LoadedConfig {
    return this.#loaded;
  }

  /** Swaps the config atomically: every batch after this one is priced under it; all corridors re-priced. */
  applyConfig(next: LoadedConfig): void {
    const c = next.config;
    this.#pricing = pricingConfig(next);
    this.#fees.clear();
    for (const [id, cc] of Object.entries(c.corridors)) this.#fees.set(id, formatMoney(cc.fixedFee, split(id)[0]));
    const corridors = this.#pricing.corridors;
    this.#book?.setLimits(c.pricing);
    this.#pairIndex = corridorsByPair(corridors, c.pricing.pivots);
    this.#pairsByCorridor.clear();
    for (const [id, { send, receive }] of Object.entries(corridors)) this.#pairsByCorridor.set(id, pairsFor(send, receive, c.pricing.pivots));
    for (const s of [...this.hub.all()]) if (!c.corridors[s.corridor]) this.hub.forget(s.corridor);
    this.#loaded = next;
    const now = this.#clock.nowUs();
    for (const id of Object.keys(c.corridors)) this.#markDirty(id, now);
  }

  /** Offers a partner tick to the book; an accepted one re-prices the corridors that can use its pair. */
  ingest(tick: PartnerTick): TickOutcome {
    const receivedAtUs = this.#clock.nowUs();
    const outcome = this.#book.offer(tick, this.#clock.nowMs(), receivedAtUs);
    if (channels.tick.hasSubscribers) channels.tick.publish({ partner: tick.partner, pair: tick.pair, outcome });
    if (outcome === 'accepted') for (const id of this.#pairIndex.get(tick.pair) ?? []) this.#markDirty(id, receivedAtUs);
    return outcome;
  }

  #markDirty(corridor: string, sinceUs: number): void {
    if (!this.#dirty.has(corridor)) this.#dirty.set(corridor, sinceUs);
    if (this.#scheduled || this.#inFlight || !this.#pool) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  /** Prices every dirty corridor in one batch; one batch in flight at a time, so ticks coalesce meanwhile. */
  async #flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#closed || this.#inFlight || this.#dirty.size === 0 || !this.#pool) return;
    const dirty = new Map(this.#dirty);
    this.#dirty.clear();
    const pricing = this.#pricing;
    const corridors = [...dirty.keys()].filter((id) => pricing.corridors[id]);
    const pairs = new Set(corridors.flatMap((id) => this.#pairsByCorridor.get(id) ?? []));
    const volatility: Record<string, VolatilityState> = {};
    for (const id of corridors) {
      const v = this.#volatility.get(id);
      if (v) volatility[id] = v;
    }
    const batch: PricingBatch = { nowMs: this.#clock.nowMs(), configVersion: pricing.version, corridors, ticks: this.#book.linesFor(pairs), volatility };
    this.#inFlight = true;
    const start = performance.now();
    try {
      let result: PricingResult = await this.#pool.price(batch);
      // A worker that does not hold this config version yet gets it once; later batches name it only.
      if (result.kind === 'needConfig') result = await this.#pool.price({ ...batch, config: pricing });
      if (result.kind === 'needConfig') throw new Error(`pricing worker refused config ${pricing.version} it was sent`);
      if (channels.batch.hasSubscribers) channels.batch.publish({ size: corridors.length, durationUs: (performance.now() - start) * 1000, workUs: result.workUs });
      if (this.#closed) return;
      this.#reportHeldOut(result.heldOut);
      for (const p of result.corridors) {
        // Priced under a config replaced meanwhile: applyConfig already marked it dirty for the new one.
        if (p.configVersion !== this.#pricing.version) continue;
        if (p.volatility) this.#volatility.set(p.corridor, p.volatility);
        const c = pricing.corridors[p.corridor]!;
        const published = this.hub.offer(p, c.send, c.receive);
        if (published && channels.snapshot.hasSubscribers)
          channels.snapshot.publish({ corridor: p.corridor, tradeable: p.tradeable, latencyUs: published.ts - dirty.get(p.corridor)! });
      }
    } catch (error) {
      if (this.#closed) return; // the pool was torn down under the batch on purpose
      // A worker crash loses no corridor: they go back to dirty and the next batch re-prices them.
      channels.workerError.publish({ error });
      for (const [id, since] of dirty) if (!this.#dirty.has(id)) this.#dirty.set(id, since);
    } finally {
      this.#inFlight = false;
      if (this.#dirty.size > 0 && !this.#closed) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    }
  }

  #reportHeldOut(heldOut: string[]): void {
    for (const h of heldOut) {
      const [partner, pair, seqText] = h.split(' ') as [string, string, string];
      const seq = Number(seqText);
      const key = `${partner} ${pair}`;
      if ((this.#heldOut.get(key) ?? -1) >= seq) continue;
      this.#heldOut.set(key, seq);
      if (channels.heldOut.hasSubscribers) channels.heldOut.publish({ partner, pair, seq });
    }
  }

  /**
   * Legs age while no ticks arrive. A pricer re-prices corridors whose oldest leg is about to pass its bound
   * (another route may take over); a gateway without pricing, hearing nothing from its pricer, marks them
   * not tradeable itself, so its clients never see a dead price as live.
   */
  #sweepStale(): void {
    const nowUs = this.#clock.nowUs();
    const sweepUs = this.#loaded.config.pricing.staleSweepMs * 1000;
    for (const s of [...this.hub.all()]) {
      const c = this.#corridor(s.corridor);
      if (!c || !s.tradeable) continue;
      if (this.#pool && nowUs - s.oldestTickUs + sweepUs > c.maxStalenessMs * 1000) this.#markDirty(s.corridor, nowUs);
      else if (!this.#pool && nowUs - s.oldestTickUs > c.maxStalenessMs * 1000)
        // Stamped just after the pricer's last one, not by this machine's clock, so the pricer's next
        // snapshot wins whatever the clock skew between the two.
        this.hub.accept({ ...s, tradeable: false, reason: 'no fresh snapshot from the pricer', mid: null, routes: [], tiers: [], ts: s.ts + 1 });
    }
  }

  corridors(): CorridorView[] {
    return Object.keys(this.#loaded.config.corridors).map((id) => {
      const [send, receive] = split(id);
      const s = this.#fresh(id);
      return {
        id, send, receive,
        tradeable: s !== undefined,
        rate: s?.tiers[0]?.rate ?? null,
        mid: s?.mid ?? null,
        updatedAt: s ? new Date(s.ts / 1000).toISOString() : null,
      };
    });
  }

  /** The corridor's snapshot if it is tradeable and no leg behind it is older than the staleness bound. */
  #fresh(corridor: string): CorridorSnapshot | undefined {
    const s = this.hub.get(corridor);
    const c = this.#corridor(corridor);
    if (!s || !c || !s.tradeable) return undefined;
    return this.#clock.nowUs() - s.oldestTickUs > c.maxStalenessMs * 1000 ? undefined : s;
  }

  /** The tier a send amount falls in. */
  static tierFor<T extends { upTo?: string | undefined }>(tiers: readonly T[], sendAmount: string): T {
    return tiers.find((t) => t.upTo === undefined || compare(sendAmount, t.upTo) <= 0) ?? tiers[tiers.length - 1]!;
  }

  /** The spread tier a stream subscription carries: by send amount, or tier 0 without one. */
  tierOf(corridor: string, sendAmount: unknown): number {
    const c = this.#corridor(corridor);
    if (!c) throw fxError('corridor_not_found', `no corridor ${corridor}`);
    if (sendAmount === undefined) return 0;
    const parsed = parseAmount(sendAmount, split(corridor)[0], 'sendAmount');
    if ('error' in parsed) throw fxError('invalid_amount', parsed.error);
    return c.tiers.indexOf(Engine.tierFor(c.tiers, parsed.amount));
  }

  /** How many spread tiers a corridor has (0 for an unknown corridor). */
  tierCount(corridor: string): number {
    return this.#corridor(corridor)?.tiers.length ?? 0;
  }

  /**
   * The tier a receive amount is priced in: the best-rate tier whose send amount, priced at that tier's rate,
   * still falls in that tier or above. So a customer never gets a better tier than the send amount earns.
   */
  static tierForReceive<T extends { upTo?: string; rate: string | null }>(tiers: readonly T[], sendAt: (t: T) => string): T | undefined {
    for (let k = tiers.length - 1; k >= 0; k--) {
      const t = tiers[k]!;
      if (t.rate === null) continue;
      if (k === 0 || compare(sendAt(t), tiers[k - 1]!.upTo!) > 0) return t;
    }
    return undefined;
  }

  /** Firm terms for an amount from the latest fresh snapshot, or a coded refusal. */
  #firm(corridor: unknown, side: AmountSide, amount: unknown): Firm {
    if (typeof corridor !== 'string' || !this.#corridor(corridor))
      throw fxError('corridor_not_found', `no corridor ${String(corridor)}`);
    const c = this.#loaded.config.corridors[corridor]!;
    const [send, receive] = split(corridor);
    const parsed = parseAmount(amount, side === 'send' ? send : receive, side === 'send' ? 'sendAmount' : 'receiveAmount');
    if ('error' in parsed) throw fxError('invalid_amount', parsed.error);
    const snapshot = this.#fresh(corridor);
    if (!snapshot) throw fxError('corridor_unavailable', `${corridor} has no fresh price right now`);
    const fee = this.#fees.get(corridor)!;
    let tier: TierPrice | undefined;
    let sendAmount: string;
    let receiveAmount: string;
    if (side === 'send') {
      sendAmount = parsed.amount;
      tier = Engine.tierFor(snapshot.tiers, sendAmount);
      receiveAmount = tier.rate === null ? '0' : receiveFor(sendAmount, tier.rate, receive, fee);
    } else {
      receiveAmount = parsed.amount;
      tier = Engine.tierForReceive(snapshot.tiers, (t) => sendFor(receiveAmount, t.rate!, send, fee));
      sendAmount = tier ? sendFor(receiveAmount, tier.rate!, send, fee) : '0';
    }
    if (!tier || tier.rate === null || tier.route === null)
      throw fxError('corridor_unavailable', `${corridor} has no eligible partner route for this amount right now`);
    if (compare(sendAmount, c.minAmount) < 0 || compare(sendAmount, c.maxAmount) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is outside ${c.minAmount}..${c.maxAmount} ${send} for ${corridor}`);
    if (tier.maxAmount !== undefined && compare(sendAmount, tier.maxAmount) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is above ${tier.maxAmount} ${send}, the most the partners on ${corridor} take right now`);
    if (compare(receiveAmount, '0') <= 0)
      throw fxError('amount_out_of_range', `receiveAmount would be 0 ${receive}`);
    return { corridor, send, receive, snapshot, tier: tier as Firm['tier'], sendAmount, receiveAmount, fee };
  }

  #route(f: Firm): RouteLeg[] {
    return f.snapshot.routes[f.tier.route]!.legs.map((l) => ({ partner: l.partner, pair: l.pair, rate: l.rate, ageMs: l.ageMs }));
  }

  indicative(corridor: unknown, side: AmountSide, amount: unknown): IndicativeQuote {
    const f = this.#firm(corridor, side, amount);
    return {
      corridor: f.corridor, sendCurrency: f.send, receiveCurrency: f.receive, sendAmount: f.sendAmount, receiveAmount: f.receiveAmount,
      rate: f.tier.rate, mid: f.snapshot.mid!, spreadBps: f.tier.spreadBps, spread: f.tier.spread, tier: f.tier.tier, fee: f.fee,
      configVersion: f.snapshot.configVersion, tickTs: f.snapshot.tickTs, route: this.#route(f),
    };
  }

  /**
   * Locks firm terms. The store holds the quote before this resolves, so a client only ever hears of a
   * quote that exists. With an idempotency key (scoped to the caller), the same request answers the same quote.
   */
  lock(req: { corridor: unknown; side: AmountSide; amount: unknown }, opts: { principal: string; idempotencyKey?: string }): Promise<LockOutcome> {
    return counted('lock', () => this.#lock(req, opts));
  }

  async #lock(req: { corridor: unknown; side: AmountSide; amount: unknown }, opts: { principal: string; idempotencyKey?: string }): Promise<LockOutcome> {
    const scopedKey = opts.idempotencyKey === undefined ? undefined : `${opts.principal}:${opts.idempotencyKey}`;
    // A retry answers with the quote it locked before, even if the price has moved or gone stale since.
    // (The lock script still decides a race between two first tries atomically.)
    const seen = scopedKey === undefined ? undefined : await this.store.lockedWith(scopedKey);
    if (seen) {
      const sameRequest = isDecimal(req.amount) && seen.fingerprint === `${String(req.corridor)}|${req.side}|${canonical(req.amount)}`;
      if (!sameRequest) throw fxError('idempotency_key_reused', 'this Idempotency-Key was used to lock a different request');
      return { body: seen.body, replayed: true };
    }
    const f = this.#firm(req.corridor, req.side, req.amount);
    const c = this.#loaded.config.corridors[f.corridor]!;
    const now = this.#clock.nowMs();
    const expiresAtMs = now + c.quoteTtlMs;
    const terms: QuoteTerms = {
      id: this.store.newId(scopedKey),
      corridor: f.corridor,
      sendCurrency: f.send,
      receiveCurrency: f.receive,
      sendAmount: f.sendAmount,
      receiveAmount: f.receiveAmount,
      rate: f.tier.rate,
      fee: f.fee,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      configVersion: f.snapshot.configVersion,
      route: this.#route(f),
      spread: f.tier.spread,
    };
    return this.store.lock({
      terms,
      expiresAtMs,
      idempotency: scopedKey === undefined ? undefined : { key: scopedKey, fingerprint: `${f.corridor}|${req.side}|${canonical(req.side === 'send' ? f.sendAmount : f.receiveAmount)}` },
    });
  }

  async getQuote(id: string): Promise<string> {
    if (!isQuoteId(id)) throw fxError('quote_not_found', `no quote ${id}`);
    return this.store.get(id);
  }

  redeem(req: RedeemRequest): Promise<RedeemOutcome> {
    return counted('redeem', () => this.#redeem(req));
  }

  async #redeem(req: RedeemRequest): Promise<RedeemOutcome> {
    if (!isQuoteId(req.id)) throw fxError('quote_not_found', `no quote ${req.id}`);
    const amount = (v: unknown, name: string): string | undefined => {
      if (v === undefined) return undefined;
      // The currency is not known before the quote is read: check the form here, compare canonically in the store.
      if (!isDecimal(v) || compare(v, '0') <= 0) throw fxError('invalid_amount', `${name} must be a positive decimal string such as "1000.00"`);
      return canonical(v);
    };
    const sendAmount = amount(req.sendAmount, 'sendAmount');
    const receiveAmount = amount(req.receiveAmount, 'receiveAmount');
    if (sendAmount === undefined && receiveAmount === undefined) throw fxError('invalid_amount', 'sendAmount or receiveAmount is required');
    if (req.corridor !== undefined && typeof req.corridor !== 'string') throw fxError('invalid_request', 'corridor must be a string');
    return this.store.redeem({ id: req.id, idempotencyKey: req.idempotencyKey, sendAmount, receiveAmount, corridor: req.corridor as string | undefined });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    // Let a batch in flight come back (bounded) rather than terminate the worker under it.
    const deadline = Date.now() + 1_000;
    while (this.#inFlight && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await this.#pool?.close();
  }
}

// The pricing loop: ticks in, priced snapshots into the quote hub.
//
//   feeds ──ingest()──► RateBook ──dirty corridors──► one batch per event-loop turn ──► PricingPool (workers)
//                                                                                          │
//                                      QuoteHub (latest snapshot per corridor) ◄── PricedCorridor[] ┘
//                                        one changed corridor per event-loop turn
//
// One batch is in flight at a time, so ticks that arrive meanwhile coalesce into the next one; a batch's
// corridors are published while the next one is priced.
import type { LoadedConfig } from '../config/index.js';
import { systemClock, type Clock } from './clock.js';
import { channels } from './diagnostics.js';
import type { PricedCorridor, PricingBatch, PricingConfig, PricingResult, VolatilityState } from './pricing-messages.js';
import { pricingConfig } from './pricing-config.js';
import { PricingPool } from './pricing-pool.js';
import type { QuoteHub } from './quote-hub.js';
import { RateBook, type TickOutcome } from './rate-book.js';
import { corridorsByPair, pairsFor } from './routes.js';
import type { PartnerTick } from './types.js';

export interface PricingLoopOptions {
  config: LoadedConfig;
  hub: QuoteHub;
  clock?: Clock;
  /** Replaces the pricing worker entry (tests wrap it to crash on purpose). */
  pricingWorker?: URL;
}

export class PricingLoop {
  readonly #hub: QuoteHub;
  readonly #clock: Clock;
  readonly #book: RateBook;
  readonly #pool: PricingPool;
  #loaded!: LoadedConfig;
  #pricing!: PricingConfig;
  #pairIndex!: Map<string, string[]>;
  readonly #pairsByCorridor = new Map<string, string[]>();
  /** corridor -> arrival (µs) of the first tick that dirtied it since its last batch */
  readonly #dirty = new Map<string, number>();
  /** corridor -> volatility state the last accepted batch left */
  readonly #volatility = new Map<string, VolatilityState>();
  /** "partner pair" -> seq of the last tick reported held out, so each is reported once */
  readonly #heldOut = new Map<string, number>();
  /** corridor -> its newest price not yet offered to the hub, and the arrival (µs) of the first tick behind it */
  readonly #pending = new Map<string, { priced: PricedCorridor; sinceUs: number }>();
  #draining = false;
  #scheduled = false;
  #inFlight: Promise<void> | undefined;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(opts: PricingLoopOptions) {
    this.#hub = opts.hub;
    this.#clock = opts.clock ?? systemClock;
    this.#book = new RateBook(opts.config.config.pricing);
    this.#pool = new PricingPool(opts.config.config.pricing.workers, opts.pricingWorker);
    // Every corridor starts dirty: priced at once, ticks or not (so an untradeable one says so).
    this.applyConfig(opts.config);
    this.#sweep = setInterval(() => this.#sweepStale(), opts.config.config.pricing.staleSweepMs);
    this.#sweep.unref();
  }

  /** Swaps the config atomically: every batch after this one is priced under it; all corridors re-priced. */
  applyConfig(next: LoadedConfig): void {
    const c = next.config;
    this.#pricing = pricingConfig(next);
    this.#book.setLimits(c.pricing);
    this.#pairIndex = corridorsByPair(this.#pricing.corridors, c.pricing.pivots);
    this.#pairsByCorridor.clear();
    for (const [id, { send, receive }] of Object.entries(this.#pricing.corridors)) this.#pairsByCorridor.set(id, pairsFor(send, receive, c.pricing.pivots));
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
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#dirty.size > 0 && !this.#inFlight && !this.#closed) this.#inFlight = this.#flush().finally(() => {
        this.#inFlight = undefined;
        if (this.#dirty.size > 0) this.#schedule();
      });
    });
  }

  /** Prices every dirty corridor in one batch. */
  async #flush(): Promise<void> {
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
    const start = performance.now();
    try {
      let result: PricingResult = await this.#pool.price(batch);
      // A worker that does not hold this config version yet gets it once; later batches name it only.
      if (result.kind === 'needConfig') result = await this.#pool.price({ ...batch, config: pricing });
      if (result.kind === 'needConfig') throw new Error(`pricing worker refused config ${pricing.version} it was sent`);
      if (channels.batch.hasSubscribers) channels.batch.publish({ size: corridors.length, durationUs: (performance.now() - start) * 1000, workUs: result.workUs });
      if (this.#closed) return;
      this.#reportHeldOut(result.heldOut);
      this.#queue(result.corridors, dirty);
    } catch (error) {
      if (this.#closed) return; // the pool was torn down under the batch on purpose
      // A worker crash loses no corridor: they go back to dirty and the next batch re-prices them.
      channels.workerError.publish({ error });
      for (const [id, since] of dirty) if (!this.#dirty.has(id)) this.#dirty.set(id, since);
    }
  }

  /**
   * Queues the batch's corridors for the hub and starts the next batch at once: a corridor that changed is
   * published (and stamped `ts`) in an event-loop turn of its own, so the sockets write its frames on their own,
   * not in a burst with the rest of the batch; unchanged ones pass without a turn. A newer price of a corridor
   * still queued replaces the older one in its place.
   */
  #queue(corridors: PricedCorridor[], dirty: Map<string, number>): void {
    for (const p of corridors) {
      // Priced under a config replaced meanwhile: applyConfig already marked it dirty for the new one.
      if (p.configVersion !== this.#pricing.version) continue;
      if (p.volatility) this.#volatility.set(p.corridor, p.volatility);
      const queued = this.#pending.get(p.corridor);
      this.#pending.set(p.corridor, { priced: p, sinceUs: queued?.sinceUs ?? dirty.get(p.corridor)! });
    }
    if (!this.#draining && this.#pending.size > 0) (this.#draining = true), this.#drain();
  }

  readonly #drain = (): void => {
    for (const [id, { priced, sinceUs }] of this.#pending) {
      this.#pending.delete(id);
      const c = this.#pricing.corridors[id];
      if (this.#closed || !c || priced.configVersion !== this.#pricing.version) continue;
      const published = this.#hub.offer(priced, c.send, c.receive);
      if (!published) continue;
      if (channels.snapshot.hasSubscribers) channels.snapshot.publish({ corridor: id, tradeable: priced.tradeable, latencyUs: published.ts - sinceUs });
      if (this.#pending.size > 0) return void setImmediate(this.#drain);
    }
    this.#draining = false;
  };

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

  /** Legs age while no ticks arrive: re-price a corridor whose oldest leg is about to pass its bound (another route may take over). */
  #sweepStale(): void {
    const nowUs = this.#clock.nowUs();
    const sweepUs = this.#loaded.config.pricing.staleSweepMs * 1000;
    for (const s of this.#hub.all()) {
      const c = this.#pricing.corridors[s.corridor];
      if (c && s.tradeable && nowUs - s.oldestTickUs + sweepUs > c.maxStalenessMs * 1000) this.#markDirty(s.corridor, nowUs);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    // Let a batch in flight come back (bounded) rather than terminate the worker under it.
    if (this.#inFlight) await Promise.race([this.#inFlight, new Promise((r) => setTimeout(r, 1_000).unref())]);
    await this.#pool.close();
  }
}

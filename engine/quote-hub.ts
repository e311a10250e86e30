// The latest snapshot per corridor, numbered per corridor, handed to whoever streams them.
import type { Clock } from './clock.js';
import type { PricedCorridor } from './pricing-messages.js';
import type { CorridorSnapshot } from './types.js';

export type SnapshotListener = (s: CorridorSnapshot) => void;

export class QuoteHub {
  readonly #latest = new Map<string, CorridorSnapshot>();
  readonly #listeners = new Set<SnapshotListener>();
  /** Told of every priced snapshot, changed or not: a pricer forwards these so gateways see legs stay fresh. */
  readonly #pricedListeners = new Set<SnapshotListener>();

  constructor(private readonly clock: Clock) {}

  /** Stores a priced corridor; publishes it when what a client sees changed. Returns the snapshot, or undefined if unchanged. */
  offer(p: PricedCorridor, send: string, receive: string): CorridorSnapshot | undefined {
    const prev = this.#latest.get(p.corridor);
    const same = prev !== undefined && prev.tradeable === p.tradeable && prev.mid === p.mid && prev.configVersion === p.configVersion &&
      prev.tiers.length === p.tiers.length && prev.tiers.every((t, i) => t.rate === p.tiers[i]!.rate && t.spreadBps === p.tiers[i]!.spreadBps);
    // Made field by field, not with `{ volatility, ...rest }` and a spread of the rest: every priced corridor of
    // every batch lands here, and those were two objects each (the rest in dictionary mode) of the gateway's
    // main-thread garbage, whose heap high-water is RSS. One shape also keeps quoteFrame's reads monomorphic.
    const snapshot: CorridorSnapshot = {
      corridor: p.corridor, send, receive, tradeable: p.tradeable, reason: p.reason, mid: p.mid, routes: p.routes, tiers: p.tiers,
      tickTs: p.tickTs, oldestTickUs: p.oldestTickUs, configVersion: p.configVersion,
      seq: same ? prev.seq : (prev?.seq ?? 0) + 1, ts: same ? prev.ts : this.clock.nowUs(),
    };
    this.#latest.set(p.corridor, snapshot);
    for (const fn of this.#pricedListeners) fn(snapshot);
    if (same) return undefined;
    for (const fn of this.#listeners) fn(snapshot);
    return snapshot;
  }

  /**
   * A snapshot made elsewhere (a pricer, through Redis) keeps its ts but is numbered here, so seq increases
   * per corridor for this process's clients even across a pricer restart. An older one than held is dropped;
   * the same one re-priced (same ts: nothing a client sees changed) only refreshes how fresh its legs are.
   */
  accept(s: CorridorSnapshot): CorridorSnapshot | undefined {
    const prev = this.#latest.get(s.corridor);
    if (prev && s.ts === prev.ts && s.oldestTickUs > prev.oldestTickUs) this.#latest.set(s.corridor, { ...s, seq: prev.seq });
    if (prev && s.ts <= prev.ts) return undefined;
    const local = { ...s, seq: (prev?.seq ?? 0) + 1 };
    this.#latest.set(s.corridor, local);
    for (const fn of this.#listeners) fn(local);
    return local;
  }

  get(corridor: string): CorridorSnapshot | undefined {
    return this.#latest.get(corridor);
  }

  /** The corridor's snapshot if it is tradeable and no leg behind it is older than maxStalenessMs. */
  fresh(corridor: string, maxStalenessMs: number): CorridorSnapshot | undefined {
    const s = this.#latest.get(corridor);
    if (!s || !s.tradeable) return undefined;
    return this.clock.nowUs() - s.oldestTickUs > maxStalenessMs * 1000 ? undefined : s;
  }

  /** Whether each configured corridor is tradeable now (fresh and not halted, as the quote desk sees it), and whether the desk halted it, in config order. */
  tradeable(corridors: Readonly<Record<string, { maxStalenessMs: number; halted?: boolean }>>): { id: string; tradeable: boolean; halted: boolean }[] {
    return Object.entries(corridors).map(([id, c]) => ({ id, tradeable: c.halted !== true && this.fresh(id, c.maxStalenessMs) !== undefined, halted: c.halted === true }));
  }

  all(): IterableIterator<CorridorSnapshot> {
    return this.#latest.values();
  }

  /** Drops the snapshots of corridors a new config no longer has. */
  retain(corridors: Readonly<Record<string, unknown>>): void {
    for (const id of this.#latest.keys()) if (!Object.hasOwn(corridors, id)) this.#latest.delete(id);
  }

  /** Every priced snapshot, published or not (see #pricedListeners). */
  onPriced(fn: SnapshotListener): () => void {
    this.#pricedListeners.add(fn);
    return () => this.#pricedListeners.delete(fn);
  }

  subscribe(fn: SnapshotListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

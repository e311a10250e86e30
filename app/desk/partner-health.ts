// Partner health as this process sees its feeds, for the desk page: feed state, accepted ticks per second,
// how old each pair's last tick is, which pairs the feed calls stale and which are held out as outliers.
// Fed by the engine's and the feeds' diagnostics channels; a process without feeds (a gateway) sees none.
import type { Config } from '../../config/index.js';
import { channels, listen } from '../../engine/index.js';
import { feedChannels } from '../../feeds/index.js';
import type { Wire } from '../../gateway/index.js';

const WINDOW_S = 5;

interface Seen {
  state: string | null;
  /** Accepted ticks per whole second, the last WINDOW_S + 1 seconds, at second % (WINDOW_S + 1). */
  buckets: { second: number; count: number }[];
  /** Held-out ticks, the same way. */
  heldOut: { second: number; count: number }[];
  /** pair -> when its last tick was accepted (ms), whether the feed calls it stale, when it was last held out (ms) */
  pairs: Map<string, { lastMs?: number; stale: boolean; heldOutMs?: number }>;
}

export class PartnerHealthTracker {
  readonly #seen = new Map<string, Seen>();
  readonly #stops: (() => void)[];

  constructor(private readonly now: () => number = Date.now) {
    this.#stops = [
      listen(channels.tick, ({ partner, pair, outcome }) => {
        if (outcome !== 'accepted') return;
        const s = this.#of(partner);
        this.#count(s.buckets);
        this.#pair(s, pair).lastMs = this.now();
      }),
      listen(channels.heldOut, ({ partner, pair }) => {
        const s = this.#of(partner);
        this.#count(s.heldOut);
        this.#pair(s, pair).heldOutMs = this.now();
      }),
      listen(feedChannels.state, ({ partner, state }) => void (this.#of(partner).state = state)),
      listen(feedChannels.stale, ({ partner, pair, stale }) => void (this.#pair(this.#of(partner), pair).stale = stale)),
    ];
  }

  #of(partner: string): Seen {
    let s = this.#seen.get(partner);
    if (!s) this.#seen.set(partner, (s = { state: null, buckets: [], heldOut: [], pairs: new Map() }));
    return s;
  }

  #pair(s: Seen, pair: string) {
    let p = s.pairs.get(pair);
    if (!p) s.pairs.set(pair, (p = { stale: false }));
    return p;
  }

  #count(buckets: Seen['buckets']): void {
    const second = Math.floor(this.now() / 1000);
    const at = second % (WINDOW_S + 1);
    const b = buckets[at];
    if (b && b.second === second) b.count++;
    else buckets[at] = { second, count: 1 };
  }

  /** Over the last WINDOW_S whole seconds (the current one is still filling). */
  #sum(buckets: Seen['buckets']): number {
    const second = Math.floor(this.now() / 1000);
    return buckets.reduce((n, b) => (b && b.second < second && b.second >= second - WINDOW_S ? n + b.count : n), 0);
  }

  report(config: Config): Wire.PartnerHealth[] {
    const now = this.now();
    return Object.entries(config.partners).map(([id, p]) => {
      const s = this.#seen.get(id);
      return {
        id, enabled: p.enabled, feeBps: p.feeBps, feed: s?.state ?? null,
        ticksPerSecond: s ? Math.round((this.#sum(s.buckets) / WINDOW_S) * 10) / 10 : 0,
        heldOut: s ? this.#sum(s.heldOut) : 0,
        pairs: s ? [...s.pairs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pair, v]) => ({
          pair, ageMs: v.lastMs === undefined ? null : Math.max(0, now - v.lastMs), stale: v.stale,
          heldOut: v.heldOutMs !== undefined && now - v.heldOutMs < WINDOW_S * 1000,
        })) : [],
      };
    });
  }

  close(): void {
    for (const stop of this.#stops) stop();
  }
}

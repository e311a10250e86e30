// A gateway's stale marker: legs age while no snapshot comes from the pricer. A corridor whose oldest leg
// passed its bound is marked not tradeable here, so this gateway's clients never see a dead price as live.
import type { LoadedConfig } from '../config/index.js';
import { systemClock, type Clock } from './clock.js';
import type { QuoteHub } from './quote-hub.js';

export class StaleMarker {
  #corridors: LoadedConfig['config']['corridors'];
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly hub: QuoteHub, config: LoadedConfig, private readonly clock: Clock = systemClock) {
    this.#corridors = config.config.corridors;
    this.#timer = setInterval(() => this.#sweep(), config.config.pricing.staleSweepMs);
    this.#timer.unref();
  }

  applyConfig(next: LoadedConfig): void {
    this.#corridors = next.config.corridors;
  }

  #sweep(): void {
    const nowUs = this.clock.nowUs();
    for (const s of [...this.hub.all()]) {
      const c = Object.hasOwn(this.#corridors, s.corridor) ? this.#corridors[s.corridor] : undefined;
      if (!c || !s.tradeable || nowUs - s.oldestTickUs <= c.maxStalenessMs * 1000) continue;
      // Stamped just after the pricer's last one, not by this machine's clock, so the pricer's next
      // snapshot wins whatever the clock skew between the two.
      this.hub.accept({ ...s, tradeable: false, reason: 'stale', mid: null, routes: [], tiers: [], ts: s.ts + 1 });
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

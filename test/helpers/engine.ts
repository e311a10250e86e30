import { defaultConfigPath, loadConfig, type LoadedConfig } from '../../config/index.js';
import { Engine, MemoryQuoteStore, systemClock } from '../../engine/index.js';
import { SyntheticFeed } from '../../feeds/index.js';
import { ManualClock } from './manual-clock.js';
import { eventually } from './server.js';

export function engineWith(opts: { config?: LoadedConfig; pricingWorker?: URL } = {}): Engine {
  const config = opts.config ?? loadConfig(defaultConfigPath());
  return new Engine({ config, store: new MemoryQuoteStore(systemClock, 60_000), pricingWorker: opts.pricingWorker });
}

/** `rounds` rounds of ticks from every synthetic partner of the engine's config, on a manual clock. */
function tickAll(engine: Engine, rounds = 1): void {
  const s = engine.config.config.synthetic!;
  for (const [partner, p] of Object.entries(s.partners)) {
    const clock = new ManualClock();
    const feed = new SyntheticFeed(partner, s, p, (t) => engine.ingest(t), clock);
    feed.start(); // connecting emits the first round; each advance of the interval emits the next
    for (let i = 1; i < rounds; i++) clock.advance(feed.tickIntervalMs);
    feed.stop();
  }
}

/** Waits until every corridor has a tradeable snapshot priced under the config in force. */
function allTradeable(engine: Engine): Promise<true> {
  return eventually(() => {
    const ok = Object.keys(engine.config.config.corridors).every((id) => {
      const s = engine.hub.get(id);
      return s?.tradeable && s.configVersion === engine.config.version;
    });
    return ok || undefined;
  });
}

/** One round of synthetic ticks, then waits until every corridor is priced and tradeable. */
export async function priced(engine: Engine): Promise<Engine> {
  tickAll(engine);
  await allTradeable(engine);
  return engine;
}

import { defaultConfigPath, defaultFeedTimings, loadConfig, type LoadedConfig } from '../../config/index.js';
import { buildCore } from '../../app/index.js';
import { MemoryQuoteStore, systemClock, type LockOutcome, type LockRequest, type PartnerTick, type QuoteDesk, type QuoteHub, type TickOutcome } from '../../engine/index.js';
import { SyntheticFeed } from '../../feeds/index.js';
import { ManualClock } from './manual-clock.js';
import { eventually } from './server.js';

/** The `all` role's core without a gateway: pricing loop, hub and quote desk on an in-memory store. */
export interface TestEngine {
  hub: QuoteHub;
  desk: QuoteDesk;
  ingest(tick: PartnerTick): TickOutcome;
  applyConfig(next: LoadedConfig): void;
  close(): Promise<void>;
  /** The config in force. */
  readonly config: LoadedConfig;
}

export function engineWith(opts: { config?: LoadedConfig; pricingWorker?: URL } = {}): TestEngine {
  const config = opts.config ?? loadConfig(defaultConfigPath());
  const core = buildCore('all', { config, store: new MemoryQuoteStore(systemClock, 60_000), pricingWorker: opts.pricingWorker });
  const desk = core.desk!;
  return { hub: core.hub, desk, ingest: core.ingest!, applyConfig: (next) => core.applyConfig(next), close: () => core.close(), get config() { return desk.config; } };
}

/** `rounds` rounds of ticks from every synthetic partner of the engine's config, on a manual clock. */
function tickAll(engine: TestEngine, rounds = 1): void {
  const s = engine.config.config.synthetic!;
  for (const [partner, p] of Object.entries(s.partners)) {
    const clock = new ManualClock();
    const feed = new SyntheticFeed(partner, s, p, (t) => engine.ingest(t), clock, defaultFeedTimings());
    feed.start(); // connecting emits the first round; each advance of the interval about one more tick per pair (jittered)
    for (let i = 1; i < rounds; i++) clock.advance(feed.tickIntervalMs);
    feed.stop();
  }
}

/** Waits until every corridor has a tradeable snapshot priced under the config in force. */
function allTradeable(engine: TestEngine): Promise<true> {
  return eventually(() => {
    const ok = Object.keys(engine.config.config.corridors).every((id) => {
      const s = engine.hub.get(id);
      return s?.tradeable && s.configVersion === engine.config.version;
    });
    return ok || undefined;
  });
}

/** One round of synthetic ticks, then waits until every corridor is priced and tradeable. */
export async function priced(engine: TestEngine): Promise<TestEngine> {
  tickAll(engine);
  await allTradeable(engine);
  return engine;
}

/** desk.lock as a promise (the desk answers by callback). */
export function lockWith(desk: QuoteDesk, req: LockRequest, opts: { owner: string; idempotencyKey?: string }): Promise<LockOutcome> {
  return new Promise((resolve, reject) => desk.lock(req, opts, (err, outcome) => (err ? reject(err) : resolve({ body: outcome!.body, replayed: outcome!.replayed }))));
}

// The partner feeds a pricing process runs: a replay of one recording, or the configured partners
// (synthetic and real); and the feeds' metrics, which the gateway's registry holds but cannot subscribe to.
import { defaultFeedTimings, replayFeedSpec, type Config } from '../config/index.js';
import {
  buildFeeds, feedChannels, recordedPartners, ReplayFeed, secretEnvName, SyntheticFeed, systemFeedClock, type FeedAdapter, type TickSink,
} from '../feeds/index.js';
import type { Metrics } from '../gateway/index.js';
import { startupError } from './errors.js';
import type { Settings } from './settings.js';

export interface RunningFeeds {
  adapters: FeedAdapter[];
  close(): Promise<void>;
}

export const noFeeds: RunningFeeds = { adapters: [], close: async () => {} };

function syntheticFeeds(config: Config, sink: TickSink): FeedAdapter[] {
  const s = config.synthetic;
  if (!s) return [];
  const timings = defaultFeedTimings();
  return Object.entries(s.partners).map(([partner, p]) => new SyntheticFeed(partner, s, p, sink, systemFeedClock, timings));
}

async function replayFeeds(path: string, sink: TickSink): Promise<RunningFeeds> {
  const spec = replayFeedSpec(path);
  const adapters = (await recordedPartners(path)).map((p) => new ReplayFeed(p, spec, sink, systemFeedClock, spec));
  if (!adapters.length) throw startupError('replay_empty', `no recorded ticks in ${path}`);
  return { adapters, close: async () => adapters.forEach((a) => a.stop()) };
}

/** Builds (not yet starts) the feeds of the config, or of a replay when one is set. */
export async function buildPartnerFeeds(config: Config, settings: Settings, sink: TickSink): Promise<RunningFeeds> {
  if (settings.feeds === false) return noFeeds;
  if (settings.replayPath) return replayFeeds(settings.replayPath, sink);
  const secrets: Record<string, string> = {};
  for (const partner of Object.keys(config.feeds)) {
    const secret = settings.feedSecrets?.[secretEnvName(partner)];
    if (secret !== undefined) secrets[partner] = secret;
  }
  const built = await buildFeeds(config.feeds, { sink, secrets });
  const adapters = [...syntheticFeeds(config, sink), ...built.adapters];
  return { adapters, close: async () => (adapters.forEach((a) => a.stop()), built.close()) };
}

/** Feeds the feed metrics (state, errors, gaps, staleness) from the feeds' channels. */
export function observeFeeds(metrics: Metrics): void {
  metrics.on(feedChannels.state, (m) => {
    if (m.previous !== 'idle') metrics.feedState.set({ partner: m.partner, state: m.previous }, 0);
    metrics.feedState.set({ partner: m.partner, state: m.state }, 1);
  });
  metrics.on(feedChannels.error, (m) => {
    metrics.feedErrors.inc({ partner: m.partner, code: m.code, root: m.root });
    // Bad data the adapter refused never reaches the book: count it with the book's outcomes, by its code.
    if (m.root === 'rejected') metrics.ticks.inc({ partner: m.partner, outcome: m.code.replace(/^feed_/, '') });
  });
  metrics.on(feedChannels.gap, (m) => metrics.feedGaps.inc({ partner: m.partner }));
  metrics.on(feedChannels.stale, (m) => metrics.feedStale.set({ partner: m.partner, pair: m.pair }, m.stale ? 1 : 0));
}

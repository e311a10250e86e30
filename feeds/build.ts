// Builds the configured feeds. The FIX adapter is imported only when a fix44 partner is configured, so a
// deployment without one never loads it.
import type { FeedAdapter, FeedOptions, TickSink } from './adapter.js';
import { systemFeedClock, type FeedClock } from './clock.js';
import type { Fix44Options } from './fix44.js';
import { HttpPollFeed, type HttpPollOptions } from './http-poll.js';
import { TickRecorder } from './recorder.js';
import { ReplayFeed, type ReplayOptions } from './replay.js';
import { usesSecret } from './template.js';
import { WsJsonFeed, type WsJsonOptions } from './ws-json.js';

type Common = FeedOptions & { recordPath?: string | undefined };

/** One partner's feed as the config describes it (config/schema.ts `feeds`). */
export type FeedSpec =
  | (Common & WsJsonOptions & { type: 'ws-json' })
  | (Common & HttpPollOptions & { type: 'http-poll' })
  | (Common & Fix44Options & { type: 'fix44' })
  | (Common & ReplayOptions & { type: 'replay' });

export interface BuildFeedsOptions {
  sink: TickSink;
  clock?: FeedClock;
  /** partner -> secret, read from the environment by the composition root. */
  secrets?: Record<string, string>;
}

export interface BuiltFeeds {
  adapters: FeedAdapter[];
  /** Stops every adapter and flushes the recorders. */
  close(): Promise<void>;
}

/** A feed config says ${secret} and its variable is not set: the engine cannot start that feed. */
export class MissingSecretError extends Error {
  readonly code = 'feed_secret_missing';
}

/** The env variable that carries a partner's secret: lp-fix -> FX_FEED_SECRET_LP_FIX. */
export const secretEnvName = (partner: string): string => `FX_FEED_SECRET_${partner.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export async function buildFeeds(specs: Record<string, FeedSpec>, o: BuildFeedsOptions): Promise<BuiltFeeds> {
  const clock = o.clock ?? systemFeedClock;
  const recorders: TickRecorder[] = [];
  const adapters: FeedAdapter[] = [];
  for (const [partner, spec] of Object.entries(specs)) {
    const secret = o.secrets?.[partner];
    if (secret === undefined && usesSecret(spec)) throw new MissingSecretError(`feeds.${partner} uses \${secret}: set ${secretEnvName(partner)}`);
    let sink = o.sink;
    if (spec.recordPath) {
      const recorder = new TickRecorder(spec.recordPath);
      recorders.push(recorder);
      sink = recorder.wrap(sink);
    }
    switch (spec.type) {
      case 'ws-json':
        adapters.push(new WsJsonFeed(partner, spec, sink, clock, spec, secret));
        break;
      case 'http-poll':
        adapters.push(new HttpPollFeed(partner, spec, sink, clock, spec, secret));
        break;
      case 'fix44': {
        const { Fix44Feed } = await import('./fix44.js');
        adapters.push(new Fix44Feed(partner, spec, sink, clock, spec, secret));
        break;
      }
      case 'replay':
        adapters.push(new ReplayFeed(partner, spec, sink, clock, spec));
        break;
    }
  }
  return {
    adapters,
    close: async () => {
      for (const a of adapters) a.stop();
      await Promise.all(recorders.map((r) => r.close()));
    },
  };
}

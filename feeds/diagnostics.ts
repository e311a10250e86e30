// Channels the feeds publish on. The gateway's metrics and the start-up's logs subscribe; feeds know nothing of them.
// Typed with the engine's Channel type; feeds take only types from the engine, so the one cast is here.
import { channel } from 'node:diagnostics_channel';
import type { Channel } from '../engine/index.js';
import type { FeedErrorCode, FeedErrorRoot } from './errors.js';

/** A feed's life: see the diagram in adapter.ts. */
export type FeedState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'open' | 'half_open' | 'stopped';

const typed = <T>(name: string) => channel(name) as unknown as Channel<T>;

export const feedChannels = {
  /** Every state change (connecting, connected, backoff, open, half_open, stopped). */
  state: typed<{ partner: string; state: FeedState; previous: FeedState }>('fx:feed-state'),
  /** Every feed error: retryable (transport) and rejected (bad data, counted and dropped). */
  error: typed<{ partner: string; code: FeedErrorCode; root: FeedErrorRoot; detail: string }>('fx:feed-error'),
  /** A partner's sequence skipped: the adapter resyncs. */
  gap: typed<{ partner: string; pair: string; expected: number; got: number }>('fx:feed-gap'),
  /** A pair's last tick passed (or came back inside) the feed's staleAfterMs. */
  stale: typed<{ partner: string; pair: string; stale: boolean; ageMs: number }>('fx:feed-stale'),
};

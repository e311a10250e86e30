// Channel names the feeds publish on. The gateway's metrics and logs subscribe; feeds know nothing of them.
import { channel } from 'node:diagnostics_channel';

export const feedChannels = {
  /** { partner, state, previous } on every state change (connecting, connected, backoff, open, half_open, stopped). */
  state: channel('fx:feed-state'),
  /** { partner, code, root, detail } for every feed error: retryable (transport) and rejected (bad data, counted and dropped). */
  error: channel('fx:feed-error'),
  /** { partner, pair, expected, got } when a partner's sequence skips: the adapter resyncs. */
  gap: channel('fx:feed-gap'),
  /** { partner, pair, stale, ageMs } when a pair's last tick passes (or comes back inside) the feed's staleAfterMs. */
  stale: channel('fx:feed-stale'),
} as const;

/** What each channel carries, for typed subscribers. */
export interface FeedChannelMessages {
  state: { partner: string; state: string; previous: string };
  error: { partner: string; code: string; root: string; detail: string };
  gap: { partner: string; pair: string; expected: number; got: number };
  stale: { partner: string; pair: string; stale: boolean; ageMs: number };
}

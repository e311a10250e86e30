// Channel names the engine publishes on. The gateway's metrics subscribe; the engine knows nothing of them.
import { channel } from 'node:diagnostics_channel';

export const channels = {
  /** { partner, pair, outcome } for every tick offered to the book. */
  tick: channel('fx:tick'),
  /** { partner, pair, seq } once for each tick the workers hold out of routing as an outlier. */
  heldOut: channel('fx:held-out'),
  /** { corridor, tradeable, latencyUs } for every snapshot published (tick arrival to publish). */
  snapshot: channel('fx:snapshot'),
  /** { size, durationUs, workUs } per pricing batch (round trip, and the pricing inside the worker). */
  batch: channel('fx:batch'),
  /** { error } when a pricing worker fails a batch. */
  workerError: channel('fx:worker-error'),
  /** { op, outcome, durationUs } for every quote store call. */
  store: channel('fx:store'),
  /** { up, error? } when the store's reachability changes. */
  storeState: channel('fx:store-state'),
  /** { op: 'lock' | 'redeem', outcome, durationUs } for every lock and redeem answered (REST and stream). */
  quote: channel('fx:quote'),
} as const;

/** What each channel carries, for typed subscribers. */
export interface ChannelMessages {
  tick: { partner: string; pair: string; outcome: string };
  heldOut: { partner: string; pair: string; seq: number };
  snapshot: { corridor: string; tradeable: boolean; latencyUs: number };
  batch: { size: number; durationUs: number; workUs: number };
  workerError: { error: unknown };
  store: { op: string; outcome: 'ok' | 'error' | 'timeout'; durationUs: number };
  storeState: { store: string; up: boolean; error?: string };
  quote: { op: 'lock' | 'redeem'; outcome: string; durationUs: number };
}

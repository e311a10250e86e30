// Channels the engine publishes on (node:diagnostics_channel). The gateway's metrics and the start-up's logs
// subscribe; the engine knows nothing of them. Each channel carries one message type, checked at both ends.
import { channel as nodeChannel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { TickOutcome } from './rate-book.js';

/** A diagnostics channel that carries messages of type T. */
export interface Channel<T> {
  readonly name: string;
  readonly hasSubscribers: boolean;
  publish(message: T): void;
}

/** A named channel typed by its message (the one cast of this helper). */
export function typedChannel<T>(name: string): Channel<T> {
  return nodeChannel(name) as unknown as Channel<T>;
}

/** Subscribes to a channel; returns the unsubscribe function. */
export function listen<T>(ch: Channel<T>, fn: (message: T) => void): () => void {
  const onMessage = fn as (message: unknown) => void;
  subscribe(ch.name, onMessage);
  return () => void unsubscribe(ch.name, onMessage);
}

export const channels = {
  /** Every tick offered to the book. */
  tick: typedChannel<{ partner: string; pair: string; outcome: TickOutcome }>('fx:tick'),
  /** Once for each tick the workers hold out of routing as an outlier. */
  heldOut: typedChannel<{ partner: string; pair: string; seq: number }>('fx:held-out'),
  /** Every snapshot published, with tick arrival to publish. */
  snapshot: typedChannel<{ corridor: string; tradeable: boolean; latencyUs: number }>('fx:snapshot'),
  /** Per pricing batch: the round trip, and the pricing inside the worker. */
  batch: typedChannel<{ size: number; durationUs: number; workUs: number }>('fx:batch'),
  /** A pricing worker failed a batch. */
  workerError: typedChannel<{ error: unknown }>('fx:worker-error'),
  /** Every quote store call: answered, failed, or past store.commandTimeoutMs. */
  store: typedChannel<{ op: string; outcome: 'ok' | 'error' | 'timeout'; durationUs: number }>('fx:store'),
  /** The store's reachability changed. */
  storeState: typedChannel<{ store: string; up: boolean; error?: string | undefined }>('fx:store-state'),
  /** Every lock and redeem answered (REST and stream): ok, or the error code, and how long it took. */
  quote: typedChannel<{ op: 'lock' | 'redeem'; outcome: string; durationUs: number }>('fx:quote'),
};

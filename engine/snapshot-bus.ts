// Corridor snapshots from a pricer process to gateway processes, over Redis pub/sub (FX_ROLE=pricer/gateway).
// Fire and forget: a gateway that misses one simply has the next; one that hears nothing marks prices stale.
import { Redis } from 'ioredis';
import type { CorridorSnapshot } from './types.js';

const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

export class SnapshotBus {
  readonly #pub: Redis;
  #sub: Redis | undefined;
  readonly #channel: string;

  constructor(private readonly url: string, prefix = '') {
    this.#channel = `${prefix}fx:snapshots`;
    // No offline queue: a snapshot that cannot go now is worthless later.
    this.#pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy });
    this.#pub.on('error', () => {});
  }

  publish(s: CorridorSnapshot): void {
    void this.#pub.publish(this.#channel, JSON.stringify(s)).catch(() => {});
  }

  subscribe(fn: (s: CorridorSnapshot) => void): void {
    const sub = new Redis(this.url, { retryStrategy, maxRetriesPerRequest: null });
    sub.on('error', () => {});
    sub.on('message', (_channel: string, text: string) => {
      try {
        fn(JSON.parse(text) as CorridorSnapshot);
      } catch {
        // a malformed message on our channel is not ours to crash on
      }
    });
    void sub.subscribe(this.#channel).catch(() => {});
    this.#sub = sub;
  }

  close(): void {
    this.#pub.disconnect();
    this.#sub?.disconnect();
  }
}

// Corridor snapshots from a pricer process to gateway processes, over Redis pub/sub (FX_ROLE=pricer/gateway).
// Fire and forget: a gateway that misses one simply has the next; one that hears nothing marks prices stale.
// Plain PUBLISH, also on a cluster: it reaches every node, so a gateway may subscribe wherever it connects.
import { createRedis, type RedisClient, type RedisTarget } from './redis-client.js';
import { keys } from './redis-keys.js';
import type { CorridorSnapshot } from './types.js';

export class SnapshotBus {
  readonly #pub: RedisClient;
  #sub: RedisClient | undefined;
  readonly #channel: string;

  constructor(private readonly target: RedisTarget, prefix = '') {
    this.#channel = `${prefix}${keys.snapshotsChannel}`;
    // Fail fast: a snapshot that cannot go now is worthless later.
    this.#pub = createRedis(target, { role: 'commands' });
    this.#pub.on('error', () => {});
  }

  publish(s: CorridorSnapshot): void {
    void this.#pub.publish(this.#channel, JSON.stringify(s)).catch(() => {});
  }

  subscribe(fn: (s: CorridorSnapshot) => void): void {
    const sub = createRedis(this.target, { role: 'subscriber' });
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

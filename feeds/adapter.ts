// The shared base of every feed adapter: it owns the partner's identity, sequencing and where ticks go.
import type { PartnerTick } from '../engine/index.js';

export type TickSink = (tick: PartnerTick) => void;

export interface FeedClock {
  nowMs(): number;
}

export abstract class FeedAdapter {
  #running = false;

  constructor(
    readonly partner: string,
    protected readonly sink: TickSink,
    protected readonly clock: FeedClock,
  ) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.connect();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.disconnect();
  }

  protected abstract connect(): void;
  protected abstract disconnect(): void;
}

// Roles are compositions of the same parts, never flags inside them; the quote hub is the seam.
//
//   all     : feeds ─► PricingLoop ─► QuoteHub ─► QuoteDesk (+ stream)
//   pricer  : feeds ─► PricingLoop ─► QuoteHub ─► SnapshotBus.publish ──Redis pub/sub──┐
//   gateway :                 SnapshotBus.subscribe ─► QuoteHub ─► QuoteDesk (+ stream) ◄┘
//                                   StaleMarker ─┘ (no word from the pricer: not tradeable)
import type { LoadedConfig } from '../config/index.js';
import {
  PricingLoop, QuoteDesk, QuoteHub, SnapshotBus, StaleMarker, systemClock, type PartnerTick, type QuoteStore, type TickOutcome,
} from '../engine/index.js';
import type { Role } from './settings.js';

export interface Core {
  hub: QuoteHub;
  /** Locks and redeems: present on the roles that serve clients (all, gateway). */
  desk?: QuoteDesk;
  /** Where ticks go: present on the roles that price (all, pricer). */
  ingest?: (tick: PartnerTick) => TickOutcome;
  applyConfig(next: LoadedConfig): void;
  close(): Promise<void>;
}

interface Part {
  applyConfig?(next: LoadedConfig): void;
  close?(): void | Promise<void>;
}

export interface CoreOptions {
  config: LoadedConfig;
  store: QuoteStore;
  /** Needed by pricer and gateway: they meet over Redis. */
  bus?: () => SnapshotBus;
  /** Replaces the pricing worker entry (tests wrap it to crash on purpose). */
  pricingWorker?: URL;
}

/** What each role is made of, in the order the parts are built (and closed). */
const ROLES: Record<Role, (parts: Parts) => Part[]> = {
  all: (p) => [p.pricingLoop(), p.quoteDesk()],
  pricer: (p) => [p.pricingLoop(), p.snapshotPublisher()],
  gateway: (p) => [p.snapshotSubscriber(), p.staleMarker(), p.quoteDesk()],
};

/** The parts a role can be made of; each builds one and remembers what the core exposes. */
class Parts {
  readonly hub = new QuoteHub(systemClock);
  desk: QuoteDesk | undefined;
  loop: PricingLoop | undefined;

  constructor(private readonly o: CoreOptions) {}

  pricingLoop(): Part {
    return (this.loop = new PricingLoop({ config: this.o.config, hub: this.hub, pricingWorker: this.o.pricingWorker }));
  }

  quoteDesk(): Part {
    return (this.desk = new QuoteDesk({ config: this.o.config, hub: this.hub, store: this.o.store }));
  }

  snapshotPublisher(): Part {
    const bus = this.o.bus!();
    this.hub.onPriced((s) => bus.publish(s)); // unchanged ones too: gateways see the legs stay fresh
    return { close: () => bus.close() };
  }

  snapshotSubscriber(): Part {
    const bus = this.o.bus!();
    bus.subscribe((s) => this.hub.accept(s));
    return { close: () => bus.close() };
  }

  staleMarker(): Part {
    return new StaleMarker(this.hub, this.o.config);
  }
}

export function buildCore(role: Role, options: CoreOptions): Core {
  const built = new Parts(options);
  const parts = ROLES[role](built);
  const { hub, desk, loop } = built;
  return {
    hub,
    desk,
    ingest: loop && ((tick) => loop.ingest(tick)),
    applyConfig(next) {
      hub.retain(next.config.corridors);
      for (const p of parts) p.applyConfig?.(next);
    },
    async close() {
      for (const p of parts) await p.close?.();
    },
  };
}

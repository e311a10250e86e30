// Prometheus metrics (names prefixed fx_). The engine publishes on diagnostics channels; this subscribes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { channels, type Engine } from '../engine/index.js';

const us = (v: number) => v / 1e6;

export class Metrics {
  readonly registry = new Registry();
  readonly ticks = new Counter({ name: 'fx_ticks_total', help: 'Partner ticks offered to the book, by outcome', labelNames: ['partner', 'outcome'], registers: [this.registry] });
  readonly tickToPublish = new Histogram({
    name: 'fx_tick_to_publish_seconds', help: 'From the arrival of the tick that dirtied a corridor to the publish of its snapshot',
    buckets: [50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3], registers: [this.registry],
  });
  readonly batch = new Histogram({ name: 'fx_pricing_batch_seconds', help: 'Pricing batch round trip through the worker pool', buckets: [50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3], registers: [this.registry] });
  readonly workerErrors = new Counter({ name: 'fx_pricing_worker_errors_total', help: 'Pricing batches lost to a worker error (corridors re-priced)', registers: [this.registry] });
  readonly quotes = new Counter({ name: 'fx_quote_ops_total', help: 'Locks and redeems answered, by outcome (ok or error code)', labelNames: ['op', 'outcome'], registers: [this.registry] });
  readonly storeOps = new Histogram({ name: 'fx_store_op_seconds', help: 'Quote store call latency', labelNames: ['op', 'outcome'], buckets: [100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3, 250e-3, 1], registers: [this.registry] });
  readonly storeUp = new Gauge({ name: 'fx_store_up', help: '1 when the quote store is reachable', registers: [this.registry] });
  readonly wsClients = new Gauge({ name: 'fx_ws_clients', help: 'Open WebSocket clients', registers: [this.registry] });
    readonly wsSlowCloses = new Counter({ name: 'fx_ws_slow_consumer_closes_total', help: 'Sockets closed for exceeding the backpressure bound', registers: [this.registry] });
  readonly wsSubscriptions = new Gauge({ name: 'fx_ws_subscriptions', help: 'Corridor subscriptions held by open sockets', registers: [this.registry] });
  readonly wsPublish = new Histogram({ name: 'fx_ws_publish_seconds', help: 'Fan-out of one snapshot to its topics (serialise once, publish per topic)', buckets: [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'fx_rate_limited_total', help: 'Requests refused by a per-key limit', labelNames: ['limit'], registers: [this.registry] });
  readonly framesPublished = new Counter({ name: 'fx_ws_frames_published_total', help: 'Quote frames published to a topic (one per topic, not per client)', registers: [this.registry] });
  readonly configReloadFailures = new Counter({ name: 'fx_config_reload_failures_total', help: 'Config reloads refused (the last good config stayed in force)', registers: [this.registry] });
  readonly configInfo = new Gauge({ name: 'fx_config_info', help: 'The config version in force', labelNames: ['version'], registers: [this.registry] });
  readonly #subscriptions: [string, (m: unknown) => void][] = [];

  constructor(engine: Engine) {
    collectDefaultMetrics({ register: this.registry, prefix: 'fx_process_' });
    new Gauge({
      name: 'fx_corridor_tradeable', help: '1 when the corridor has a fresh route', labelNames: ['corridor'], registers: [this.registry],
      collect() {
        for (const c of engine.corridors()) this.set({ corridor: c.id }, c.tradeable ? 1 : 0);
      },
    });
    this.storeUp.set(engine.store.up ? 1 : 0);
    this.#on(channels.tick.name as string, (m) => this.ticks.inc({ partner: m.partner, outcome: m.outcome }));
    this.#on(channels.snapshot.name as string, (m) => this.tickToPublish.observe(us(m.latencyUs)));
    this.#on(channels.batch.name as string, (m) => this.batch.observe(us(m.durationUs)));
    this.#on(channels.workerError.name as string, () => this.workerErrors.inc());
    this.#on(channels.quote.name as string, (m) => this.quotes.inc({ op: m.op, outcome: m.outcome }));
    this.#on(channels.store.name as string, (m) => this.storeOps.observe({ op: m.op, outcome: m.outcome }, us(m.durationUs)));
    this.#on(channels.storeState.name as string, (m) => this.storeUp.set(m.up ? 1 : 0));
  }

  #on(name: string, fn: (m: any) => void): void {
    this.#subscriptions.push([name, fn]);
    subscribe(name, fn);
  }

  setConfigVersion(version: string): void {
    this.configInfo.reset();
    this.configInfo.set({ version }, 1);
  }

  close(): void {
    for (const [name, fn] of this.#subscriptions) unsubscribe(name, fn);
  }
}

// Prometheus metrics: the engine's are prefixed fx_; Node's defaults keep their standard names (process_*,
// nodejs_*) so stock dashboards and alerts work. The engine publishes on diagnostics channels; this subscribes.
// The feeds' metrics below are fed by the composition root (app/), which knows the feeds; the gateway does not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { projectRoot } from '../config/index.js';
import { BoundHistogram } from './bound-histogram.js';
import { channels, listen, type Channel } from '../engine/index.js';

const us = (v: number) => v / 1e6;

// prom-client's defaults include three gauges named *_total, which Prometheus reserves for counters
// (promtool check metrics refuses them); their by-type siblings (nodejs_active_handles{type} ...) carry the same.
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const packageVersion = (): string => (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** Records one HTTP answer: its status and how long it took from the request's arrival (seconds). */
export type HttpObserver = (status: number, seconds: number) => void;

export class Metrics {
  readonly registry = new Registry();
  readonly ticks = new Counter({ name: 'fx_ticks_total', help: 'Partner ticks offered to the book, by outcome', labelNames: ['partner', 'outcome'], registers: [this.registry] });
  readonly tickToPublish = new Histogram({
    name: 'fx_tick_to_publish_seconds', help: 'From the arrival of the tick that dirtied a corridor to the publish of its snapshot',
    buckets: [50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3], registers: [this.registry],
  });
  readonly heldOut = new Counter({ name: 'fx_ticks_held_out_total', help: 'Ticks held out of routing as outliers against the other fresh partners', labelNames: ['partner', 'pair'], registers: [this.registry] });
  readonly batch = new Histogram({ name: 'fx_pricing_batch_seconds', help: 'Pricing batch round trip through the worker pool', buckets: [50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3], registers: [this.registry] });
  readonly workerErrors = new Counter({ name: 'fx_pricing_worker_errors_total', help: 'Pricing batches lost to a worker error (corridors re-priced)', registers: [this.registry] });
  /** op -> outcome -> count: tallied per lock (a label lookup per lock costs more than the rest of the count), read at scrape. */
  readonly #quoteTally = new Map<string, Map<string, number>>();
  readonly quotes = new Counter({
    name: 'fx_quote_ops_total', help: 'Locks and redeems answered, by outcome (ok or error code)', labelNames: ['op', 'outcome'], registers: [this.registry],
    collect: () => {
      this.quotes.reset();
      for (const [op, outcomes] of this.#quoteTally) for (const [outcome, n] of outcomes) this.quotes.inc({ op, outcome }, n);
    },
  });
  readonly quoteLatency = new BoundHistogram(
    'fx_quote_op_seconds', 'Lock and redeem, end to end inside the engine (REST and stream): from the request handed over to the store\'s answer',
    ['op'], [250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5], this.registry,
  );
  /** The latency histogram's child per op, bound once. */
  readonly #quoteLatencyOf = { lock: this.quoteLatency.labels('lock'), redeem: this.quoteLatency.labels('redeem') };
  readonly http = new BoundHistogram(
    'fx_http_request_duration_seconds', 'HTTP requests by route pattern, method and status: time from arrival to the answer',
    ['route', 'method', 'status'], [100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5], this.registry,
  );
  readonly storeOps = new BoundHistogram(
    'fx_store_op_seconds', 'Quote store call latency, by op and outcome (ok, error, timeout)', ['op', 'outcome'], [100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3, 250e-3, 1], this.registry,
  );
  /** storeOps' children by "op outcome", bound on first use. */
  readonly #storeOpsOf = new Map<string, { observe(v: number): void }>();
  readonly storeUp = new Gauge({ name: 'fx_store_up', help: '1 when the quote store is reachable', registers: [this.registry] });
  readonly wsClients = new Gauge({ name: 'fx_ws_clients', help: 'Open WebSocket clients', registers: [this.registry] });
  readonly wsSlowCloses = new Counter({ name: 'fx_ws_slow_consumer_closes_total', help: 'Sockets closed for exceeding the backpressure bound', registers: [this.registry] });
  readonly wsSubscriptions = new Gauge({ name: 'fx_ws_subscriptions', help: 'Corridor subscriptions held by open sockets', registers: [this.registry] });
  readonly wsPublish = new Histogram({ name: 'fx_ws_publish_seconds', help: 'Fan-out of one snapshot to its topics (serialise once, publish per topic)', buckets: [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'fx_rate_limited_total', help: 'Requests refused by a per-key limit', labelNames: ['limit'], registers: [this.registry] });
  readonly framesConflated = new Counter({ name: 'fx_ws_frames_conflated_total', help: 'Snapshots replaced by a newer one before their paced publish (streamMinIntervalMs)', registers: [this.registry] });
  readonly framesPublished = new Counter({ name: 'fx_ws_frames_published_total', help: 'Quote frames published to a topic (one per topic, not per client)', registers: [this.registry] });
  readonly configReloadFailures = new Counter({ name: 'fx_config_reload_failures_total', help: 'Config reloads refused (the last good config stayed in force)', registers: [this.registry] });
  readonly configInfo = new Gauge({ name: 'fx_config_info', help: 'The config version in force', labelNames: ['version'], registers: [this.registry] });
  readonly feedState = new Gauge({ name: 'fx_feed_state', help: 'Each partner feed\'s state: 1 for the state it is in (connecting, connected, backoff, open, half_open, stopped)', labelNames: ['partner', 'state'], registers: [this.registry] });
  readonly feedErrors = new Counter({ name: 'fx_feed_errors_total', help: 'Feed errors by partner, code and root (retryable: transport; rejected: bad data, dropped)', labelNames: ['partner', 'code', 'root'], registers: [this.registry] });
  readonly feedGaps = new Counter({ name: 'fx_feed_sequence_gaps_total', help: 'Gaps in a partner\'s sequence (each one resynced)', labelNames: ['partner'], registers: [this.registry] });
  readonly feedStale = new Gauge({ name: 'fx_feed_stale', help: '1 while a partner\'s pair has had no accepted tick for the feed\'s staleAfterMs', labelNames: ['partner', 'pair'], registers: [this.registry] });
  /** partner -> pair -> when its last tick was accepted (ms), for fx_feed_age_seconds */
  readonly #lastAccepted = new Map<string, Map<string, number>>();
  readonly #subscriptions: (() => void)[] = [];

  /** `corridors` says which corridors are tradeable now and which the desk halted; `storeUp` whether the quote store answers. */
  constructor(corridors: () => { id: string; tradeable: boolean; halted: boolean }[], storeUp: boolean, build: { commit?: string } = {}) {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    new Gauge({ name: 'fx_build_info', help: 'The running build: version, commit (FX_COMMIT, or unknown) and Node.js version', labelNames: ['version', 'commit', 'node'], registers: [this.registry] })
      .set({ version: packageVersion(), commit: build.commit ?? 'unknown', node: process.version }, 1);
    // One gauge per corridor flag, read at scrape time; a corridor the config no longer has leaves the exposition
    // rather than staying at its last value. Halted apart from tradeable, so that a halt (the desk's decision, not
    // a fault) does not page: the alert leaves those out.
    const registry = this.registry;
    const corridorFlag = (name: string, help: string, flag: 'tradeable' | 'halted') => new Gauge({
      name, help, labelNames: ['corridor'], registers: [registry],
      collect() {
        this.reset();
        for (const c of corridors()) this.set({ corridor: c.id }, c[flag] ? 1 : 0);
      },
    });
    corridorFlag('fx_corridor_tradeable', '1 when the corridor has a fresh route and is not halted', 'tradeable');
    corridorFlag('fx_corridor_halted', '1 when the desk halted the corridor (its kill switch): not tradeable by decision', 'halted');
    const lastAccepted = this.#lastAccepted;
    new Gauge({
      name: 'fx_feed_age_seconds', help: 'Time since the last accepted tick, by partner and pair', labelNames: ['partner', 'pair'], registers: [this.registry],
      collect() {
        const now = Date.now();
        for (const [partner, pairs] of lastAccepted) for (const [pair, at] of pairs) this.set({ partner, pair }, (now - at) / 1000);
      },
    });
    this.storeUp.set(storeUp ? 1 : 0);
    this.on(channels.tick, (m) => {
      this.ticks.inc({ partner: m.partner, outcome: m.outcome });
      if (m.outcome !== 'accepted') return;
      let pairs = lastAccepted.get(m.partner);
      if (!pairs) lastAccepted.set(m.partner, (pairs = new Map()));
      pairs.set(m.pair, Date.now());
    });
    this.on(channels.heldOut, (m) => this.heldOut.inc({ partner: m.partner, pair: m.pair }));
    this.on(channels.snapshot, (m) => this.tickToPublish.observe(us(m.latencyUs)));
    this.on(channels.batch, (m) => this.batch.observe(us(m.durationUs)));
    this.on(channels.workerError, () => this.workerErrors.inc());
    this.on(channels.quote, (m) => {
      let outcomes = this.#quoteTally.get(m.op);
      if (!outcomes) this.#quoteTally.set(m.op, (outcomes = new Map()));
      outcomes.set(m.outcome, (outcomes.get(m.outcome) ?? 0) + 1);
      this.#quoteLatencyOf[m.op].observe(us(m.durationUs));
    });
    this.on(channels.store, (m) => {
      const key = `${m.op} ${m.outcome}`;
      let child = this.#storeOpsOf.get(key);
      if (!child) this.#storeOpsOf.set(key, (child = this.storeOps.labels(m.op, m.outcome)));
      child.observe(us(m.durationUs));
    });
    this.on(channels.storeState, (m) => this.storeUp.set(m.up ? 1 : 0));
  }

  /** Subscribes for as long as these metrics live (close() ends it). */
  on<T>(ch: Channel<T>, fn: (m: T) => void): void {
    this.#subscriptions.push(listen(ch, fn));
  }

  /**
   * An observer for one route pattern and method, bound once where the route is registered: the hot path
   * pays a small map lookup by status and one bound observe (bound-histogram.ts), never a label hash.
   */
  httpObserver(route: string, method: string): HttpObserver {
    const byStatus = new Map<number, { observe(v: number): void }>();
    return (status, seconds) => {
      let child = byStatus.get(status);
      if (!child) byStatus.set(status, (child = this.http.labels(route, method, String(status))));
      child.observe(seconds);
    };
  }

  setConfigVersion(version: string): void {
    this.configInfo.reset();
    this.configInfo.set({ version }, 1);
  }

  close(): void {
    for (const stop of this.#subscriptions) stop();
  }
}

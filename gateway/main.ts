// The composition root: reads settings, builds config, store, engine, feeds and gateway, and owns shutdown.
// The only module that reads process.env.
import { pathToFileURL } from 'node:url';
import { ConfigWatcher, defaultConfigPath, loadConfig, type Config, type LoadedConfig } from '../config/index.js';
import {
  channels, Engine, MemoryQuoteStore, parseClusterNodes, RedisQuoteStore, SnapshotBus, systemClock, type QuoteStore, type RedisTarget,
} from '../engine/index.js';
import {
  buildFeeds, defaultFeedOptions, feedChannels, recordedPartners, ReplayFeed, secretEnvName, SyntheticFeed, systemFeedClock,
  type FeedAdapter, type TickSink,
} from '../feeds/index.js';
import { ApiKeys } from './auth.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { RateLimits } from './rate-limit.js';
import { Gateway } from './server.js';
import { startupError, StartupError } from './startup-errors.js';
import { assertNative, nativeBinding } from './uws.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export interface Settings {
  configPath: string;
  /** Overrides server.port from the config when set. */
  port?: number;
  host?: string;
  /** The Redis (one node or a cluster) for quotes and snapshots; unset: the in-memory store. */
  redis?: RedisTarget;
  /** Prefix for every Redis key (tests isolate runs with it). */
  redisKeyPrefix?: string;
  role: 'all' | 'pricer' | 'gateway';
  logLevel: string;
  production: boolean;
  /** FX_ALLOW_DEMO_DATA=1: let production run on synthetic partners or the in-memory store (a demo). */
  allowDemoData?: boolean;
  /** The build's commit (FX_COMMIT), for fx_build_info. */
  commit?: string;
  /** Start the partner feeds of the config, synthetic ones included (default true). */
  feeds?: boolean;
  /** Replay this recording (every partner in it, looping) instead of the configured feeds. */
  replayPath?: string;
  /** FX_FEED_SECRET_<PARTNER> variables by name; a partner's fills ${secret} in its feed config. */
  feedSecrets?: Record<string, string>;
  logger?: Logger;
}

export interface Running {
  port: number;
  engine: Engine;
  gateway: Gateway;
  store: QuoteStore;
  config: () => LoadedConfig;
  /** Reloads the config file now (what SIGHUP does). */
  reload(): void;
  close(): Promise<void>;
}

function syntheticFeeds(config: Config, sink: TickSink): FeedAdapter[] {
  const s = config.synthetic;
  if (!s) return [];
  return Object.entries(s.partners).map(([partner, p]) => new SyntheticFeed(partner, s, p, sink, systemFeedClock));
}

/** The feeds to run: a replay of one recording, or the configured partners (synthetic and real). */
async function startFeeds(config: Config, settings: Settings, sink: TickSink): Promise<{ adapters: FeedAdapter[]; close(): Promise<void> }> {
  if (settings.feeds === false) return { adapters: [], close: async () => {} };
  if (settings.replayPath) {
    const path = settings.replayPath;
    const options = { ...defaultFeedOptions, path, speed: 1, loop: true, follow: false, followPollMs: 250, timestamps: 'replay' as const };
    const adapters = (await recordedPartners(path)).map((p) => new ReplayFeed(p, options, sink, systemFeedClock, options));
    if (!adapters.length) throw startupError('no_recorded_ticks', `no recorded ticks in ${path}`);
    return { adapters, close: async () => adapters.forEach((a) => a.stop()) };
  }
  const secrets: Record<string, string> = {};
  for (const partner of Object.keys(config.feeds)) {
    const secret = settings.feedSecrets?.[secretEnvName(partner)];
    if (secret !== undefined) secrets[partner] = secret;
  }
  const built = await buildFeeds(config.feeds, { sink, secrets });
  const adapters = [...syntheticFeeds(config, sink), ...built.adapters];
  return { adapters, close: async () => (adapters.forEach((a) => a.stop()), built.close()) };
}

/** Production runs on real prices and a durable store, unless told it is a demo. */
function refuseDemoInProduction(config: Config, settings: Settings): void {
  if (!settings.production || settings.allowDemoData) return;
  const pricing = settings.role !== 'gateway' && settings.feeds !== false;
  const synthetic = Object.keys(config.synthetic?.partners ?? {});
  if (pricing && settings.replayPath)
    throw startupError('demo_data_in_production', `NODE_ENV=production refuses to price from a replayed recording (${settings.replayPath}): unset FX_REPLAY and --replay, or set FX_ALLOW_DEMO_DATA=1 for a demo`);
  if (pricing && synthetic.length)
    throw startupError('demo_data_in_production', `NODE_ENV=production refuses synthetic partners (${synthetic.join(', ')}): point FX_CONFIG at a config whose feeds are real partners and that has no synthetic section, or set FX_ALLOW_DEMO_DATA=1 for a demo`);
  if (!settings.redis)
    throw startupError('memory_store_in_production', 'NODE_ENV=production refuses the in-memory quote store (locked quotes would die with the process): set REDIS_URL or REDIS_CLUSTER_NODES, or FX_ALLOW_DEMO_DATA=1 for a demo');
}

export async function start(settings: Settings): Promise<Running> {
  const logger = settings.logger ?? createLogger(settings.logLevel);
  const binding = nativeBinding();
  try {
    assertNative();
  } catch (err) {
    throw startupError('native_uws_missing', (err as Error).message);
  }
  if (settings.role !== 'all' && !settings.redis)
    throw startupError('role_needs_redis', `FX_ROLE=${settings.role} needs REDIS_URL or REDIS_CLUSTER_NODES: pricers and gateways meet in Redis (snapshots and quotes)`);
  const pricing = settings.role !== 'gateway';

  let initial: LoadedConfig;
  try {
    initial = loadConfig(settings.configPath);
  } catch (err) {
    throw startupError('config_invalid', (err as Error).message);
  }
  const { config } = initial;
  refuseDemoInProduction(config, settings);
  const store: QuoteStore = settings.redis
    ? new RedisQuoteStore({
        target: settings.redis, retentionMs: config.store.retentionMs, commandTimeoutMs: config.store.commandTimeoutMs,
        healthCheckIntervalMs: config.store.healthCheckIntervalMs, healthCheckTimeoutMs: config.store.healthCheckTimeoutMs,
        eventsMaxLen: config.store.eventsMaxLen, keyPrefix: settings.redisKeyPrefix,
      })
    : new MemoryQuoteStore(systemClock, config.store.retentionMs);

  const onStoreState = (m: unknown) => {
    const { up, error } = m as { up: boolean; error?: string };
    if (up) logger.info({ store: store.kind }, 'quote store reachable');
    else logger.error({ store: store.kind, error }, 'quote store unreachable: locks and redeems answer 503 store_unavailable');
  };
  const onWorkerError = (m: unknown) => logger.error({ err: (m as { error: unknown }).error }, 'pricing batch failed; its corridors are re-priced');
  const onFeedState = (m: unknown) => {
    const { partner, state, previous } = m as { partner: string; state: string; previous: string };
    const level = state === 'open' || state === 'backoff' ? 'warn' : 'info';
    logger[level]({ partner, state, previous }, `feed ${partner}: ${state}`);
  };
  const onFeedError = (m: unknown) => {
    const e = m as { partner: string; code: string; root: string; detail: string };
    // Bad data can come by the thousand: it is counted in metrics and logged at debug only.
    logger[e.root === 'retryable' ? 'warn' : 'debug'](e, `feed ${e.partner}: ${e.code}`);
  };
  subscribe(channels.storeState.name as string, onStoreState);
  subscribe(channels.workerError.name as string, onWorkerError);
  subscribe(feedChannels.state.name as string, onFeedState);
  subscribe(feedChannels.error.name as string, onFeedError);
  if (store instanceof RedisQuoteStore && !(await store.connected()))
    logger.error({ redis: store.endpoint }, 'Redis is not reachable yet; serving unready until it is');

  const engine = new Engine({ config: initial, store, pricing });
  // Pricer -> gateways: snapshots over Redis pub/sub (FX_ROLE=all keeps them in process).
  const bus = settings.role === 'all' ? undefined : new SnapshotBus(settings.redis!, settings.redisKeyPrefix);
  if (settings.role === 'pricer') engine.hub.onPriced((s) => bus!.publish(s)); // unchanged ones too: freshness
  if (settings.role === 'gateway') bus!.subscribe((s) => engine.hub.accept(s));
  let keys = new ApiKeys(config.apiKeys, { production: settings.production, limits: config.limits });
  const metrics = new Metrics(engine, { commit: settings.commit });
  const limits = new RateLimits((op) => metrics.rateLimited.inc({ limit: op }));
  metrics.setConfigVersion(initial.version);

  const watcher = new ConfigWatcher(initial, {
    onApply: (next, changes) => {
      engine.applyConfig(next);
      keys = new ApiKeys(next.config.apiKeys, { production: settings.production, limits: next.config.limits });
      limits.reset();
      metrics.setConfigVersion(next.version);
      const restart = changes.filter((c) => c.path.startsWith('server.') || c.path.startsWith('store.') || c.path.startsWith('pricing.workers') || c.path.startsWith('pricing.staleSweepMs') || c.path.startsWith('synthetic.') || c.path.startsWith('feeds.'));
      // A corridor change reads as (corridor, field, old, new): "USD-INR", "tiers.0.spreadBps", "60", "55".
      const logged = changes.map((c) => {
        if (c.path.startsWith('apiKeys')) return { path: 'apiKeys', changed: 'values not logged' };
        const corridor = /^corridors\.([A-Z]{3}-[A-Z]{3})(?:\.(.+))?$/.exec(c.path);
        return corridor ? { corridor: corridor[1], field: corridor[2] ?? '(whole corridor)', old: c.old, new: c.new } : c;
      });
      logger.info({ version: next.version, changes: logged }, 'config reloaded');
      if (restart.length) logger.warn({ paths: restart.map((c) => c.path) }, 'these settings take effect on restart');
    },
    onReject: (err) => {
      metrics.configReloadFailures.inc();
      logger.error({ error: err.message }, 'config reload refused; the last good config stays in force');
    },
  }).start();

  const gateway = new Gateway({ engine, keys: () => keys, limits, config: () => watcher.current.config, metrics, logger }, settings.role !== 'pricer');
  let port: number;
  try {
    port = await gateway.listen(settings.port ?? config.server.port, settings.host);
  } catch (err) {
    await engine.close();
    await store.close();
    watcher.stop();
    metrics.close();
    throw startupError('listen_failed', (err as Error).message);
  }

  let feeds: Awaited<ReturnType<typeof startFeeds>>;
  try {
    feeds = pricing ? await startFeeds(config, settings, (t) => engine.ingest(t)) : { adapters: [], close: async () => {} };
  } catch (err) {
    await gateway.close();
    await engine.close();
    await store.close();
    watcher.stop();
    throw err;
  }
  for (const f of feeds.adapters) f.start();

  logger.info({
    url: `http://localhost:${port}`, store: store.kind, redis: store instanceof RedisQuoteStore ? store.endpoint : undefined, role: settings.role, config: initial.path, configVersion: initial.version,
    uws: binding, partners: feeds.adapters.map((f) => f.partner), replay: settings.replayPath,
    demoKeys: keys.demoKeys().map((k) => `${k.key} (${k.scopes.join(', ')})`),
  }, `fx engine listening on http://localhost:${port} with the ${store.kind} quote store`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await feeds.close();
      watcher.stop();
      await gateway.close(watcher.current.config.server.shutdownGraceMs);
      await engine.close();
      bus?.close();
      await store.close();
      metrics.close();
      unsubscribe(channels.storeState.name as string, onStoreState);
      unsubscribe(channels.workerError.name as string, onWorkerError);
      unsubscribe(feedChannels.state.name as string, onFeedState);
      unsubscribe(feedChannels.error.name as string, onFeedError);
      logger.info('fx engine stopped');
      logger.flush();
    })());

  return { port, engine, gateway, store, config: () => watcher.current, reload: () => watcher.reload(), close };
}

function settingsFromEnv(env: NodeJS.ProcessEnv, argv: string[]): Settings {
  const role = env.FX_ROLE ?? 'all';
  if (role !== 'all' && role !== 'pricer' && role !== 'gateway') throw startupError('invalid_setting', `FX_ROLE must be all, pricer or gateway, not ${role}`);
  const port = env.PORT === undefined ? undefined : Number(env.PORT);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw startupError('invalid_setting', `PORT must be a port number, not ${env.PORT}`);
  return {
    configPath: env.FX_CONFIG ?? defaultConfigPath(),
    port,
    host: env.HOST,
    redis: redisFromEnv(env),
    redisKeyPrefix: env.REDIS_KEY_PREFIX || undefined,
    role,
    logLevel: env.LOG_LEVEL ?? 'info',
    production: env.NODE_ENV === 'production',
    allowDemoData: env.FX_ALLOW_DEMO_DATA === '1',
    commit: env.FX_COMMIT || undefined,
    replayPath: replayArg(argv) ?? (env.FX_REPLAY || undefined),
    feedSecrets: feedSecrets(env),
  };
}

/** REDIS_CLUSTER_NODES (a cluster) or REDIS_URL (one node), with REDIS_USERNAME/REDIS_PASSWORD/REDIS_TLS=1 (a secret need not sit in a URL). */
function redisFromEnv(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  if (env.REDIS_CLUSTER_NODES && env.REDIS_URL) throw startupError('invalid_setting', 'set REDIS_URL (one node) or REDIS_CLUSTER_NODES (a cluster), not both');
  const auth = { username: env.REDIS_USERNAME || undefined, password: env.REDIS_PASSWORD || undefined, tls: env.REDIS_TLS === '1' };
  if (env.REDIS_CLUSTER_NODES) {
    try {
      return { clusterNodes: parseClusterNodes(env.REDIS_CLUSTER_NODES), ...auth };
    } catch (err) {
      throw startupError('invalid_setting', (err as Error).message);
    }
  }
  return env.REDIS_URL ? { url: env.REDIS_URL, ...auth } : undefined;
}

/** `--replay path` or `--replay=path` (npm start -- --replay feeds/samples/...). */
function replayArg(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--replay' || a.startsWith('--replay='));
  if (i < 0) return undefined;
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--replay='.length) : argv[i + 1];
  if (!value) throw startupError('invalid_setting', '--replay needs a path to a recording (.ndjson or .csv)');
  return value;
}

/** Every FX_FEED_SECRET_<PARTNER> variable, by name: start() picks the configured partners' ones. */
function feedSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('FX_FEED_SECRET_') && !!e[1]));
}

async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  let running: Running;
  try {
    running = await start({ ...settingsFromEnv(process.env, process.argv.slice(2)), logger });
  } catch (err) {
    const code = err instanceof StartupError ? err.code : 'unexpected';
    logger.fatal({ code, error: (err as Error).message, docs: `docs/startup-errors.md#${code}` }, `fx engine failed to start: ${(err as Error).message}`);
    logger.flush();
    setTimeout(() => process.exit(1), 100);
    return;
  }
  process.on('SIGHUP', () => running.reload());
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 10_000).unref(); // bounded: never hang on exit
    void running.close().then(() => setTimeout(() => process.exit(0), 50));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();

// The composition root: reads settings, builds config, store, the role's core, feeds and gateway, and owns
// shutdown. The only module that reads process.env.
//
//   settings ─► config file ─► store ─► desk (its applied config over the file's) ─► core (by role: app/roles.ts)
//            ─► gateway (HTTP + WS) ─► feeds (pricing roles)
//
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config, type LoadedConfig } from '../config/index.js';
import { MemoryQuoteStore, RedisQuoteStore, SnapshotBus, systemClock, type QuoteStore } from '../engine/index.js';
import { ApiKeys, Gateway, Metrics, nativeBinding, RateLimits } from '../gateway/index.js';
import { STARTUP_ERRORS, startupError, type StartupErrorCode } from './errors.js';
import { buildPartnerFeeds, noFeeds, observeFeeds, type RunningFeeds } from './feeds.js';
import { createLogger, logEvents, type Logger } from './logging.js';
import { Desk, FileDeskStore, PartnerHealthTracker, RedisDeskStore, type DeskStore } from './desk/index.js';
import { watchConfig } from './reload.js';
import { buildCore, type Core } from './roles.js';
import { settingsFromEnv, type Settings } from './settings.js';

export interface Running {
  port: number;
  core: Core;
  gateway: Gateway;
  store: QuoteStore;
  metrics: Metrics;
  config: () => LoadedConfig;
  desk: Desk;
  /** Reloads the config file now (what SIGHUP does). */
  reload(): void;
  close(): Promise<void>;
}

/** Refuses to run on uWS's pure-JS fallback, and anything else a role cannot work without. */
function checkPlatform(settings: Settings): void {
  const { native, abi } = nativeBinding();
  if (!native)
    throw startupError('uws_not_native', `uWebSockets.js loaded its pure-JS fallback, not the native binding (Node ABI ${abi}); ` +
      'run on Node 20 (ABI 115) with the pinned package, and do not set UWS_USE_FALLBACK');
  if (settings.role !== 'all' && !settings.redis)
    throw startupError('role_needs_redis', `FX_ROLE=${settings.role} needs REDIS_URL or REDIS_CLUSTER_NODES: pricers and gateways meet in Redis (snapshots and quotes)`);
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

async function openStore({ config }: LoadedConfig, settings: Settings, logger: Logger): Promise<QuoteStore> {
  if (!settings.redis) return new MemoryQuoteStore(systemClock, config.store.retentionMs);
  const store = new RedisQuoteStore({
    target: settings.redis, retentionMs: config.store.retentionMs, commandTimeoutMs: config.store.commandTimeoutMs,
    healthCheckIntervalMs: config.store.healthCheckIntervalMs, healthCheckTimeoutMs: config.store.healthCheckTimeoutMs,
    eventsMaxLen: config.store.eventsMaxLen, keyPrefix: settings.redisKeyPrefix,
  });
  if (!(await store.connected())) logger.error({ redis: store.endpoint }, 'Redis is not reachable yet; serving unready until it is');
  return store;
}

const apiKeys = ({ config }: LoadedConfig, settings: Settings) => new ApiKeys(config.apiKeys, { production: settings.production, limits: config.limits });

export async function start(settings: Settings): Promise<Running> {
  const logger = settings.logger ?? createLogger(settings.logLevel);
  checkPlatform(settings);
  const file = loadConfig(settings.configPath);
  refuseDemoInProduction(file.config, settings);
  const store = await openStore(file, settings, logger);
  const stopLogging = logEvents(logger, store);
  const health = new PartnerHealthTracker();
  const deskStore: DeskStore = settings.redis
    ? new RedisDeskStore({ target: settings.redis, keyPrefix: settings.redisKeyPrefix, commandTimeoutMs: file.config.store.commandTimeoutMs })
    : new FileDeskStore(file.path);
  // Every change reaches every part through here: a file reload, the desk's own, another process's.
  const applyConfig = (next: LoadedConfig) => {
    current = next;
    core.applyConfig(next);
    keys = apiKeys(next, settings);
    limits.reset();
    metrics.setConfigVersion(next.version);
    logger.info({ version: next.version }, 'config in force');
  };
  const desk: Desk = new Desk({
    store: deskStore, file, apply: (next) => applyConfig(next), fileWritten: (f) => watcher.adopt(f),
    partners: () => health.report(current.config), logger,
  });
  const initial: LoadedConfig = await desk.start();
  const core = buildCore(settings.role, { config: initial, store, bus: () => new SnapshotBus(settings.redis!, settings.redisKeyPrefix) });

  let current: LoadedConfig = initial;
  let keys = apiKeys(initial, settings);
  const metrics = new Metrics(() => core.hub.tradeable(current.config.corridors), store.up, { commit: settings.commit });
  observeFeeds(metrics);
  const limits = new RateLimits((op) => metrics.rateLimited.inc({ limit: op }));
  metrics.setConfigVersion(initial.version);
  const watcher = watchConfig(file, logger, {
    apply: (next) => desk.fileReloaded(next),
    refused: () => metrics.configReloadFailures.inc(),
  });

  const gateway = new Gateway({ desk: core.desk, hub: core.hub, store, keys: () => keys, limits, config: () => current, metrics, logger, admin: desk });
  const stopCore = async () => {
    watcher.stop();
    await deskStore.close();
    health.close();
    await core.close();
    await store.close();
    metrics.close();
    stopLogging();
  };
  let port: number;
  let feeds: RunningFeeds;
  try {
    const listenOn = settings.port ?? initial.config.server.port;
    port = await gateway.listen(listenOn, settings.host).catch((err: Error) => {
      throw startupError('listen_failed', `${err.message} (set PORT or server.port to a free port)`);
    });
    feeds = core.ingest ? await buildPartnerFeeds(initial.config, settings, core.ingest) : noFeeds;
  } catch (err) {
    await gateway.close(0);
    await stopCore();
    throw err;
  }
  for (const f of feeds.adapters) f.start();

  logger.info({
    url: `http://localhost:${port}`, store: store.kind, redis: store instanceof RedisQuoteStore ? store.endpoint : undefined, role: settings.role, config: file.path, configVersion: initial.version,
    desk: deskStore.kind === 'redis' ? 'redis (the desk\'s sections win over the file\'s)' : `the config file (audit in ${file.path}.audit.ndjson)`,
    uws: nativeBinding(), partners: feeds.adapters.map((f) => f.partner), replay: settings.replayPath,
    demoKeys: keys.demoKeys().map((k) => `${k.key} (${k.scopes.join(', ')})`),
  }, `fx engine listening on http://localhost:${port} with the ${store.kind} quote store`);

  let closing: Promise<void> | undefined;
  // Feeds first (no new prices), then the gateway drains its in-flight locks, then the core and the store.
  const close = () =>
    (closing ??= (async () => {
      await feeds.close();
      await gateway.close(current.config.server.shutdownGraceMs);
      await stopCore();
      logger.info('fx engine stopped');
      logger.flush();
    })());

  return { port, core, gateway, store, metrics, config: () => current, desk, reload: () => watcher.reload(), close };
}

/** SIGHUP reloads; SIGTERM and SIGINT shut down gracefully, bounded so the process never hangs on exit. */
function handleSignals(running: Running, logger: Logger): void {
  process.on('SIGHUP', () => running.reload());
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 10_000).unref();
    void running.close().then(() => setTimeout(() => process.exit(0), 50));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  try {
    handleSignals(await start({ ...settingsFromEnv(process.env, process.argv.slice(2)), logger }), logger);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const coded = typeof code === 'string' && code in STARTUP_ERRORS;
    logger.fatal({ code: coded ? code : ('startup_failed' satisfies StartupErrorCode), error: (err as Error).message }, 'fx engine failed to start');
    logger.flush();
    setTimeout(() => process.exit(1), 100);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();

// The composition root: reads settings, builds config, store, engine, feeds and gateway, and owns shutdown.
// The only module that reads process.env.
import { pathToFileURL } from 'node:url';
import { ConfigWatcher, defaultConfigPath, loadConfig, type Config, type LoadedConfig } from '../config/index.js';
import { channels, Engine, MemoryQuoteStore, RedisQuoteStore, systemClock, type QuoteStore } from '../engine/index.js';
import { SyntheticFeed, type FeedAdapter } from '../feeds/index.js';
import { ApiKeys } from './auth.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { RateLimits } from './rate-limit.js';
import { Gateway } from './server.js';
import { assertNative, nativeBinding } from './uws.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export interface Settings {
  configPath: string;
  /** Overrides server.port from the config when set. */
  port?: number;
  host?: string;
  redisUrl?: string;
  /** Prefix for every Redis key (tests isolate runs with it). */
  redisKeyPrefix?: string;
  role: 'all' | 'pricer' | 'gateway';
  logLevel: string;
  production: boolean;
  /** Start the synthetic partners of the config (default true). */
  feeds?: boolean;
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

function syntheticFeeds(config: Config, sink: (t: Parameters<Engine['ingest']>[0]) => void): FeedAdapter[] {
  const s = config.synthetic;
  if (!s) return [];
  return Object.entries(s.partners).map(([partner, p]) => new SyntheticFeed(partner, s, p, sink, systemClock));
}

export async function start(settings: Settings): Promise<Running> {
  const logger = settings.logger ?? createLogger(settings.logLevel);
  const binding = nativeBinding();
  assertNative();
  if (settings.role !== 'all')
    throw new Error(`FX_ROLE=${settings.role} is not available yet: run FX_ROLE=all (pricer and gateway in one process)`);

  const initial = loadConfig(settings.configPath);
  const { config } = initial;
  const store: QuoteStore = settings.redisUrl
    ? new RedisQuoteStore({
        url: settings.redisUrl, retentionMs: config.store.retentionMs, commandTimeoutMs: config.store.commandTimeoutMs,
        eventsMaxLen: config.store.eventsMaxLen, keyPrefix: settings.redisKeyPrefix,
      })
    : new MemoryQuoteStore(systemClock, config.store.retentionMs);

  const onStoreState = (m: unknown) => {
    const { up, error } = m as { up: boolean; error?: string };
    if (up) logger.info({ store: store.kind }, 'quote store reachable');
    else logger.error({ store: store.kind, error }, 'quote store unreachable: locks and redeems answer 503 store_unavailable');
  };
  const onWorkerError = (m: unknown) => logger.error({ err: (m as { error: unknown }).error }, 'pricing batch failed; its corridors are re-priced');
  subscribe(channels.storeState.name as string, onStoreState);
  subscribe(channels.workerError.name as string, onWorkerError);
  if (store instanceof RedisQuoteStore && !(await store.connected()))
    logger.error({ redisUrl: settings.redisUrl }, 'Redis is not reachable yet; serving unready until it is');

  const engine = new Engine({ config: initial, store });
  let keys = new ApiKeys(config.apiKeys, { production: settings.production, limits: config.limits });
  const metrics = new Metrics(engine);
  const limits = new RateLimits((op) => metrics.rateLimited.inc({ limit: op }));
  metrics.setConfigVersion(initial.version);

  const watcher = new ConfigWatcher(initial, {
    onApply: (next, changes) => {
      engine.applyConfig(next);
      keys = new ApiKeys(next.config.apiKeys, { production: settings.production, limits: next.config.limits });
      limits.reset();
      metrics.setConfigVersion(next.version);
      const restart = changes.filter((c) => c.path.startsWith('server.') || c.path.startsWith('store.') || c.path.startsWith('pricing.workers') || c.path.startsWith('synthetic.'));
      logger.info({ version: next.version, changes: changes.map((c) => ({ ...c, path: c.path.startsWith('apiKeys') ? 'apiKeys' : c.path })) }, 'config reloaded');
      if (restart.length) logger.warn({ paths: restart.map((c) => c.path) }, 'these settings take effect on restart');
    },
    onReject: (err) => {
      metrics.configReloadFailures.inc();
      logger.error({ error: err.message }, 'config reload refused; the last good config stays in force');
    },
  }).start();

  const gateway = new Gateway({ engine, keys: () => keys, limits, config: () => watcher.current.config, metrics, logger });
  const port = await gateway.listen(settings.port ?? config.server.port, settings.host);

  const feeds = settings.feeds === false ? [] : syntheticFeeds(config, (t) => engine.ingest(t));
  for (const f of feeds) f.start();

  logger.info({
    url: `http://localhost:${port}`, store: store.kind, role: settings.role, config: initial.path, configVersion: initial.version,
    uws: binding, partners: feeds.map((f) => f.partner),
    demoKeys: keys.demoKeys().map((k) => `${k.key} (${k.scopes.join(', ')})`),
  }, `fx engine listening on http://localhost:${port} with the ${store.kind} quote store`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const f of feeds) f.stop();
      watcher.stop();
      await gateway.close(watcher.current.config.server.shutdownGraceMs);
      await engine.close();
      await store.close();
      metrics.close();
      unsubscribe(channels.storeState.name as string, onStoreState);
      unsubscribe(channels.workerError.name as string, onWorkerError);
      logger.info('fx engine stopped');
      logger.flush();
    })());

  return { port, engine, gateway, store, config: () => watcher.current, reload: () => watcher.reload(), close };
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const role = env.FX_ROLE ?? 'all';
  if (role !== 'all' && role !== 'pricer' && role !== 'gateway') throw new Error(`FX_ROLE must be all, pricer or gateway, not ${role}`);
  const port = env.PORT === undefined ? undefined : Number(env.PORT);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw new Error(`PORT must be a port number, not ${env.PORT}`);
  return {
    configPath: env.FX_CONFIG ?? defaultConfigPath(),
    port,
    host: env.HOST,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || undefined,
    role,
    logLevel: env.LOG_LEVEL ?? 'info',
    production: env.NODE_ENV === 'production',
  };
}

async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  let running: Running;
  try {
    running = await start({ ...settingsFromEnv(process.env), logger });
  } catch (err) {
    logger.fatal({ error: (err as Error).message }, 'fx engine failed to start');
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

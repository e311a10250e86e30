// Settings from the environment and the command line. The only module that reads process.env (through main.ts).
import { defaultConfigPath } from '../config/index.js';
import { parseClusterNodes, type RedisTarget } from '../engine/index.js';
import type { Logger } from 'pino';
import { startupError } from './errors.js';

export type Role = 'all' | 'pricer' | 'gateway';

export interface Settings {
  configPath: string;
  /** Overrides server.port from the config when set. */
  port?: number;
  host?: string;
  /** The Redis (one node or a cluster) for quotes and snapshots; unset: the in-memory store. */
  redis?: RedisTarget;
  /** Prefix for every Redis key (tests isolate runs with it). */
  redisKeyPrefix?: string;
  role: Role;
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

export function settingsFromEnv(env: NodeJS.ProcessEnv, argv: string[]): Settings {
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

/** Every FX_FEED_SECRET_<PARTNER> variable, by name: the feeds pick the configured partners' ones. */
function feedSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('FX_FEED_SECRET_') && !!e[1]));
}

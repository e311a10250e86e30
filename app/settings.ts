// Settings from the environment and the command line. The only module that reads process.env (through main.ts).
import { defaultConfigPath } from '../config/index.js';
import type { Logger } from 'pino';
import { startupError } from './errors.js';

export type Role = 'all' | 'pricer' | 'gateway';

export interface Settings {
  configPath: string;
  /** Overrides server.port from the config when set. */
  port?: number;
  host?: string;
  redisUrl?: string;
  /** Prefix for every Redis key (tests isolate runs with it). */
  redisKeyPrefix?: string;
  role: Role;
  logLevel: string;
  production: boolean;
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
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || undefined,
    role,
    logLevel: env.LOG_LEVEL ?? 'info',
    production: env.NODE_ENV === 'production',
    replayPath: replayArg(argv) ?? (env.FX_REPLAY || undefined),
    feedSecrets: feedSecrets(env),
  };
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

/** host:port/db of a Redis URL, for logs: never its password. */
export function redisEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

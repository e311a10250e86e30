// Start-up errors: the engine refuses to start, and says what to set. One registry, documented in
// docs/errors.md (a test checks every code is there). Branch on err.code, never on the message.
import type { ConfigError } from '../config/index.js';
import type { MissingSecretError } from '../feeds/index.js';

export const STARTUP_ERRORS = {
  config_invalid: 'The config file failed validation (the offending paths are named)',
  config_unreadable: 'The config file could not be read or parsed as YAML',
  invalid_setting: 'An environment setting (PORT, FX_ROLE, --replay ...) has a value the engine cannot use',
  role_needs_redis: 'FX_ROLE=pricer or gateway needs REDIS_URL or REDIS_CLUSTER_NODES: pricers and gateways meet in Redis',
  demo_data_in_production: 'NODE_ENV=production on synthetic partners or a replayed recording',
  memory_store_in_production: 'NODE_ENV=production with the in-memory quote store',
  uws_not_native: 'uWebSockets.js loaded its pure-JS fallback, not the native binding',
  replay_empty: 'The recording given to --replay holds no ticks',
  feed_secret_missing: 'A feed config says ${secret} and its FX_FEED_SECRET_<PARTNER> variable is not set',
  listen_failed: 'The server could not listen on its host and port',
  startup_failed: 'Start-up failed for a reason without a code of its own (the message says what)',
} as const;

export type StartupErrorCode = keyof typeof STARTUP_ERRORS;

// Errors other folders throw at start-up carry codes of this registry (checked here, at compile time).
type Registered<C extends StartupErrorCode> = C;
export type ForeignStartupCodes = Registered<ConfigError['code'] | MissingSecretError['code']>;

export class StartupError extends Error {
  constructor(readonly code: StartupErrorCode, detail: string) {
    super(detail);
  }
}

export const startupError = (code: StartupErrorCode, detail: string): StartupError => new StartupError(code, detail);

// Why the engine refused to start: one registry of codes, each documented in docs/startup-errors.md.
// The message says what to set; the code is stable for scripts and alerts.

export const STARTUP_ERRORS = {
  invalid_setting: 'An environment variable has a value the engine cannot use',
  config_invalid: 'The config file cannot be read or does not validate',
  native_uws_missing: 'uWebSockets.js loaded its pure-JS fallback, not the native binding',
  role_needs_redis: 'FX_ROLE=pricer or gateway without a Redis to meet in',
  demo_data_in_production: 'NODE_ENV=production on synthetic partners or a replayed recording',
  memory_store_in_production: 'NODE_ENV=production with the in-memory quote store',
  no_recorded_ticks: 'The recording to replay holds no ticks',
  listen_failed: 'The HTTP port cannot be bound',
  unexpected: 'A failure without a code of its own (a bug, or a dependency that failed): the message says what',
} as const;

export type StartupCode = keyof typeof STARTUP_ERRORS;

export class StartupError extends Error {
  constructor(readonly code: StartupCode, detail: string) {
    super(detail);
  }
}

export const startupError = (code: StartupCode, detail: string): StartupError => new StartupError(code, detail);

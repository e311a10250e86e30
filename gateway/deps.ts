import type { LoadedConfig } from '../config/index.js';
import type { QuoteDesk, QuoteHub, QuoteStore } from '../engine/index.js';
import type { Logger } from 'pino';
import type { ApiKeys } from './auth.js';
import type { DeskAdmin } from './desk-routes.js';
import type { Metrics } from './metrics.js';
import type { RateLimits } from './rate-limit.js';

/** What the composition root hands the HTTP and stream handlers. Getters, because a config reload swaps them. */
export interface GatewayDeps {
  /** With a quote desk the gateway serves the client API and the stream; without one (a pricer), only health, readiness and metrics. */
  desk?: QuoteDesk;
  hub: QuoteHub;
  store: QuoteStore;
  keys: () => ApiKeys;
  limits: RateLimits;
  config: () => LoadedConfig;
  metrics: Metrics;
  logger: Logger;
  /** The desk's config changes and audit (served with the client API: /v1/desk/*, /desk). */
  admin?: DeskAdmin;
}

/** What the client API and the stream need: a gateway with a quote desk. */
export type ClientDeps = GatewayDeps & { desk: QuoteDesk };

import type { Config } from '../config/index.js';
import type { Engine } from '../engine/index.js';
import type { ApiKeys } from './auth.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RateLimits } from './rate-limit.js';

/** What the composition root hands the HTTP and stream handlers. Getters, because a config reload swaps them. */
export interface GatewayDeps {
  engine: Engine;
  keys: () => ApiKeys;
  limits: RateLimits;
  config: () => Config;
  metrics: Metrics;
  logger: Logger;
}

export { Gateway } from './server.js';
export type { GatewayDeps } from './deps.js';
export type { DeskAdmin } from './desk-routes.js';
export { ApiKeys, DEMO_KEYS, sha256 } from './auth.js';
export { Metrics } from './metrics.js';
export { RateLimits } from './rate-limit.js';
export { nativeBinding } from './uws.js';
export { renderOpenApi, renderAsyncApi, openApiDocument, asyncApiDocument, ROUTES } from './wire/index.js';
export type { Wire } from './wire/index.js';

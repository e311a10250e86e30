export { wire, named, doc, idOf } from './registry.js';
export type { WireMeta } from './registry.js';
export {
  AmountQuery, Corridor, CorridorId, CorridorReason, CorridorTier, CorridorList, Decimal, ErrorCodeSchema, Health, IndicativeQuote, LockRequest, Problem, Quote,
  QuoteStatus, Readiness, RedeemRequest, RouteLeg, SpreadParts,
} from './shapes.js';
export {
  CLIENT_FRAMES, SERVER_FRAMES, MAX_CORRIDORS_PER_OP, SubscribeFrame, UnsubscribeFrame, LockFrame, QuoteFrame, LockedFrame,
  QuoteRedeemedFrame, QuoteExpiredFrame, HeartbeatFrame, ErrorFrame,
} from './frames.js';
export {
  AuditAction, AuditEntry, AuditTrail, Change, ChangeList, ChangeQuery, ChangeRequest, ChangeStatus, DeskConfig, DeskLive, LiveCorridor, PartnerHealth, PartnerPair,
} from './desk.js';
export { ROUTES, COMMON_ERRORS, AUTH_ERRORS, methodsAt, uwsPattern } from './routes.js';
export type { RouteSpec, RouteName, Method, ResponseHeader } from './routes.js';
export { openApiDocument, renderOpenApi, API_VERSION } from './openapi.js';
export { asyncApiDocument, renderAsyncApi } from './asyncapi.js';
export type * as Wire from './types.js';

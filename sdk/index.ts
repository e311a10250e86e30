// The TypeScript client of the FX pricing engine: import { FxClient } from 'fx-pricing-engine/sdk'.
// Runs in Node 20 and browsers: global fetch, an injected or global WebSocket, no server code.
export { FxClient, newIdempotencyKey } from './client.js';
export type { FxClientOptions } from './client.js';
export { FxStream } from './stream.js';
export type { StreamEvents, StreamOptions, StreamQuote, StreamState, WebSocketConstructor, WebSocketLike } from './stream.js';
export { FxApiError, CLIENT_CODES } from './errors.js';
export { Emitter } from './emitter.js';
export type { Listener } from './emitter.js';
export type { BackoffOptions } from './backoff.js';
export type {
  Amount, ClientFrame, Corridor, CorridorReason, CorridorTier, ErrorFrame, HeartbeatFrame, IndicativeQuote, LockedFrame, LockRequest, Problem,
  Quote, QuoteExpiredFrame, QuoteFrame, QuoteRedeemedFrame, QuoteStatus, RouteLeg, ServerFrame, SpreadParts,
} from './wire.js';

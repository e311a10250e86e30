// The route table of the public HTTP API: one entry per operation, with the schemas that validate its input
// and shape its answer, its scopes, limits and refusals. The gateway registers its handlers from it, and the
// OpenAPI document is generated from it, so a route cannot exist without its contract (nor the reverse).
import { z } from 'zod';
import type { Scope } from '../../config/schema.js';
import type { ErrorCode } from '../../engine/errors.js';
import {
  AmountQuery, Corridor, CorridorId, CorridorList, Health, IndicativeQuote, LockRequest, Quote, Readiness, RedeemRequest,
} from './shapes.js';
import { AuditTrail, Change, ChangeList, ChangeQuery, ChangeRequest, DeskConfig, DeskLive } from './desk.js';

export type Method = 'get' | 'post';

export interface RouteSpec {
  readonly operationId: string;
  readonly method: Method;
  /** OpenAPI style: "/v1/quotes/{id}". */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'corridors' | 'quotes' | 'operations' | 'stream' | 'desk';
  /** Any one of these scopes lets a key call it; absent: no key needed. */
  readonly scopes?: readonly Scope[];
  readonly params?: Readonly<Record<string, { description: string; schema: z.ZodType }>>;
  /** A registered strict object: each of its fields is one query parameter. */
  readonly query?: z.ZodObject;
  /** A registered schema of the JSON body. */
  readonly body?: z.ZodType;
  readonly idempotencyKey?: 'optional' | 'required';
  /** The token bucket the call takes from (RateLimit headers, 429). */
  readonly rateLimit?: 'lock' | 'redeem';
  readonly ok: { status: number; description: string; schema?: z.ZodType; contentType?: string; headers?: readonly ResponseHeader[] };
  /** Other non-error answers (readiness says 503 with its normal body). */
  readonly also?: readonly { status: number; description: string; schema: z.ZodType }[];
  /** The route's own refusals; COMMON_ERRORS (and AUTH_ERRORS with scopes) come on top. */
  readonly errors: readonly ErrorCode[];
  /** A WebSocket upgrade (the stream): documented here, served by gateway/stream.ts. */
  readonly upgrade?: boolean;
}

export type ResponseHeader = 'Idempotent-Replayed' | 'RateLimit' | 'RateLimit-Policy';

/** Every route can answer these: a malformed request, a draining instance, a bug. */
export const COMMON_ERRORS: readonly ErrorCode[] = ['invalid_request', 'shutting_down', 'internal_error'];
export const AUTH_ERRORS: readonly ErrorCode[] = ['unauthorized', 'forbidden'];
const BODY_ERRORS: readonly ErrorCode[] = ['invalid_json', 'unsupported_media_type', 'payload_too_large'];

const quoteId = { description: 'The quote id from the lock ("q_" and 23 URL-safe characters).', schema: Quote.shape.id };
const corridor = { description: 'The corridor id, SEND-RECEIVE.', schema: CorridorId };

const route = <T extends RouteSpec>(spec: T): T => spec;

const changeId = { description: 'The change id ("chg_" and 16 hex digits).', schema: Change.shape.id };
const DESK_WRITE_ERRORS: readonly ErrorCode[] = ['desk_store_unavailable'];

export const ROUTES = {
  listCorridors: route({
    operationId: 'listCorridors', method: 'get', path: '/v1/corridors', tag: 'corridors', scopes: ['stream'],
    summary: 'Every corridor with its current tier-0 rate',
    ok: { status: 200, description: 'The corridors.', schema: CorridorList },
    errors: [],
  }),
  getCorridor: route({
    operationId: 'getCorridor', method: 'get', path: '/v1/corridors/{id}', tag: 'corridors', scopes: ['stream'],
    summary: 'One corridor with its rules and current rate',
    params: { id: corridor },
    ok: { status: 200, description: 'The corridor.', schema: Corridor },
    errors: ['corridor_not_found'],
  }),
  indicativeQuote: route({
    operationId: 'indicativeQuote', method: 'get', path: '/v1/corridors/{id}/quote', tag: 'corridors', scopes: ['stream'],
    summary: 'An indicative (not binding) quote for an amount',
    description: '`?receiveAmount=` rounds the send amount up. The amount must have at most its currency\'s minor units and lie within the corridor\'s bounds.',
    params: { id: corridor }, query: AmountQuery,
    ok: { status: 200, description: 'What the amount would get now.', schema: IndicativeQuote },
    errors: ['invalid_amount', 'amount_out_of_range', 'corridor_not_found', 'corridor_unavailable', 'corridor_halted'],
  }),
  lockQuote: route({
    operationId: 'lockQuote', method: 'post', path: '/v1/quotes', tag: 'quotes', scopes: ['lock'],
    summary: 'Lock firm terms for an amount',
    description: 'The quote is in the store before the answer is sent. With an Idempotency-Key, the same key and body return the same quote (Idempotent-Replayed: true), even after the price moved; the same key with another body is refused.',
    body: LockRequest, idempotencyKey: 'optional', rateLimit: 'lock',
    ok: { status: 201, description: 'The locked quote.', schema: Quote, headers: ['Idempotent-Replayed', 'RateLimit', 'RateLimit-Policy'] },
    errors: [...BODY_ERRORS, 'invalid_amount', 'amount_out_of_range', 'corridor_not_found', 'corridor_unavailable', 'corridor_halted', 'idempotency_key_reused', 'rate_limited', 'store_unavailable'],
  }),
  getQuote: route({
    operationId: 'getQuote', method: 'get', path: '/v1/quotes/{id}', tag: 'quotes', scopes: ['lock', 'redeem'],
    summary: 'A quote and its status now',
    params: { id: quoteId },
    ok: { status: 200, description: 'The quote with its status (locked, redeemed with redeemedAt, or expired).', schema: Quote },
    errors: ['quote_not_found', 'store_unavailable'],
  }),
  redeemQuote: route({
    operationId: 'redeemQuote', method: 'post', path: '/v1/quotes/{id}/redeem', tag: 'quotes', scopes: ['redeem'],
    summary: 'Redeem a locked quote, exactly once',
    description: 'Atomic and idempotent: the same Idempotency-Key replays the identical body (200, Idempotent-Replayed: true); another key gets 409. Expiry is judged by the store\'s clock.',
    params: { id: quoteId }, body: RedeemRequest, idempotencyKey: 'required', rateLimit: 'redeem',
    ok: { status: 200, description: 'The redeemed terms (status redeemed, redeemedAt).', schema: Quote, headers: ['Idempotent-Replayed', 'RateLimit', 'RateLimit-Policy'] },
    errors: ['idempotency_key_required', ...BODY_ERRORS, 'invalid_amount', 'amount_mismatch', 'quote_not_found', 'quote_expired', 'quote_already_redeemed', 'rate_limited', 'store_unavailable'],
  }),
  stream: route({
    operationId: 'stream', method: 'get', path: '/v1/stream', tag: 'stream', scopes: ['stream'], upgrade: true,
    summary: 'The WebSocket stream of indicative quotes (AsyncAPI 3: docs/asyncapi.yaml)',
    description: 'Upgrade with the key as Authorization: Bearer or, for browsers, ?apiKey=. The messages are in docs/asyncapi.yaml.',
    ok: { status: 101, description: 'Switching to the WebSocket protocol.' },
    errors: ['rate_limited'],
  }),
  deskConfig: route({
    operationId: 'deskConfig', method: 'get', path: '/v1/desk/config', tag: 'desk', scopes: ['admin'],
    summary: 'The config the desk may edit, and its version',
    ok: { status: 200, description: 'The editable sections of the config in force.', schema: DeskConfig },
    errors: [],
  }),
  proposeChange: route({
    operationId: 'proposeChange', method: 'post', path: '/v1/desk/changes', tag: 'desk', scopes: ['admin'],
    summary: 'Propose a config change (maker); a halt-only change applies at once',
    description: 'The patched config is validated as a file reload is: a bad one is 422 invalid_config naming the path, and nothing changes. A patch that only halts (corridors `halted: true`, partners `enabled: false`) is the kill switch: it applies at once with this one key (status applied). Every other change waits for a second admin key.',
    body: ChangeRequest,
    ok: { status: 201, description: 'The change: pending, or applied for a halt.', schema: Change },
    errors: [...BODY_ERRORS, 'invalid_config', 'not_desk_editable', 'config_changed', ...DESK_WRITE_ERRORS],
  }),
  approveChange: route({
    operationId: 'approveChange', method: 'post', path: '/v1/desk/changes/{id}/approve', tag: 'desk', scopes: ['admin'],
    summary: 'Approve a pending change (checker): it applies on every process within a second',
    description: 'By another admin key than the proposer\'s (four eyes). Refused when the config moved since the change was proposed: propose it again.',
    params: { id: changeId },
    ok: { status: 200, description: 'The change, applied.', schema: Change },
    errors: ['four_eyes_required', 'change_not_found', 'change_not_pending', 'config_changed', 'invalid_config', ...DESK_WRITE_ERRORS],
  }),
  rejectChange: route({
    operationId: 'rejectChange', method: 'post', path: '/v1/desk/changes/{id}/reject', tag: 'desk', scopes: ['admin'],
    summary: 'Reject a pending change (any admin key, the proposer too)',
    params: { id: changeId },
    ok: { status: 200, description: 'The change, rejected.', schema: Change },
    errors: ['change_not_found', 'change_not_pending', ...DESK_WRITE_ERRORS],
  }),
  listChanges: route({
    operationId: 'listChanges', method: 'get', path: '/v1/desk/changes', tag: 'desk', scopes: ['admin'],
    summary: 'Config changes, newest first', query: ChangeQuery,
    ok: { status: 200, description: 'The changes.', schema: ChangeList },
    errors: [...DESK_WRITE_ERRORS],
  }),
  deskAudit: route({
    operationId: 'deskAudit', method: 'get', path: '/v1/desk/audit', tag: 'desk', scopes: ['admin'],
    summary: 'The audit trail: proposals, approvals, rejections, applications, halts and file reloads',
    ok: { status: 200, description: 'The entries, newest first.', schema: AuditTrail },
    errors: [...DESK_WRITE_ERRORS],
  }),
  deskLive: route({
    operationId: 'deskLive', method: 'get', path: '/v1/desk/live', tag: 'desk', scopes: ['admin'],
    summary: 'What the desk page shows besides the stream: routes with leg ages, partner health, the config version',
    ok: { status: 200, description: 'Corridors and partners now.', schema: DeskLive },
    errors: [],
  }),
  deskPage: route({
    operationId: 'deskPage', method: 'get', path: '/desk', tag: 'desk',
    summary: 'The desk page (static; the API key is entered on the page, or given as #apiKey= in the URL fragment)',
    ok: { status: 200, description: 'The page.', contentType: 'text/html; charset=utf-8' }, errors: [],
  }),
  deskAsset: route({
    operationId: 'deskAsset', method: 'get', path: '/desk/{file}', tag: 'desk',
    summary: 'The desk page\'s scripts and styles (uPlot among them)',
    params: { file: { description: 'A file of the page: desk.js, desk.css, uPlot.min.js, uPlot.min.css.', schema: z.string() } },
    ok: { status: 200, description: 'The file.', contentType: 'text/javascript; charset=utf-8' }, errors: [],
  }),
  health: route({
    operationId: 'health', method: 'get', path: '/healthz', tag: 'operations',
    summary: 'Liveness', ok: { status: 200, description: 'The process is alive.', schema: Health }, errors: [],
  }),
  readiness: route({
    operationId: 'readiness', method: 'get', path: '/readyz', tag: 'operations',
    summary: 'Readiness: config loaded, store reachable, a corridor tradeable',
    ok: { status: 200, description: 'Ready.', schema: Readiness },
    also: [{ status: 503, description: 'Not ready (the body says why).', schema: Readiness }],
    errors: [],
  }),
  metrics: route({
    operationId: 'metrics', method: 'get', path: '/metrics', tag: 'operations',
    summary: 'Prometheus metrics (every name starts fx_)',
    ok: { status: 200, description: 'Prometheus text exposition.', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
    errors: [],
  }),
  openapi: route({
    operationId: 'openapi', method: 'get', path: '/v1/openapi.json', tag: 'operations',
    summary: 'This document (OpenAPI 3.1)', ok: { status: 200, description: 'The OpenAPI document.', contentType: 'application/json' }, errors: [],
  }),
  errorDocs: route({
    operationId: 'errorDocs', method: 'get', path: '/docs/errors', tag: 'operations',
    summary: 'The error codes, one anchor per code (the problem type URIs point here)',
    ok: { status: 200, description: 'docs/errors.md as HTML.', contentType: 'text/html; charset=utf-8' }, errors: [],
  }),
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** The route's uWS pattern: "/v1/quotes/{id}" -> "/v1/quotes/:id". */
export const uwsPattern = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** The methods a concrete URL answers (for 405's Allow and CORS preflights); empty for an unknown URL. */
export function methodsAt(routes: readonly RouteSpec[], url: string): Method[] {
  const methods: Method[] = [];
  for (const r of routes) if (matcher(r.path).test(url) && !methods.includes(r.method)) methods.push(r.method);
  return methods;
}

const matchers = new Map<string, RegExp>();
function matcher(path: string): RegExp {
  let m = matchers.get(path);
  if (!m) matchers.set(path, (m = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`)));
  return m;
}

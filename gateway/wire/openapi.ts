// The OpenAPI 3.1 document, generated from the route table and the registered shapes: served at
// GET /v1/openapi.json and written to docs/openapi.json (npm run contract:docs; a test fails when it is stale).
import { ERRORS, type ErrorCode } from '../../engine/errors.js';
import { componentSchemas } from './json-schema.js';
import { idOf } from './registry.js';
import { AUTH_ERRORS, COMMON_ERRORS, ROUTES, type ResponseHeader, type RouteSpec } from './routes.js';
import { z } from 'zod';

type Json = Record<string, unknown>;
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

export const API_VERSION = '1.0.0';

const HEADERS: Record<string, Json> = {
  'X-Request-Id': { description: 'The request id: the client\'s X-Request-Id when sane (1-128 of A-Z a-z 0-9 . _ : -), else one generated. On every log line of the request.', schema: { type: 'string' } },
  'Idempotent-Replayed': { description: '"true" when this answer replays an earlier one with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
  'RateLimit-Policy': { description: 'draft-ietf-httpapi-ratelimit-headers: the key\'s token bucket for this operation, `"<op>";q=<burst>;w=<seconds to refill>`.', schema: { type: 'string' } },
  RateLimit: { description: 'draft-ietf-httpapi-ratelimit-headers: what is left now, `"<op>";r=<requests left>;t=<seconds until full>`.', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds until a retry can succeed.', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'RFC 6750: `Bearer realm="fx"`, with `error="invalid_token"` for a key that is not recognised.', schema: { type: 'string' } },
};

const PARAMETERS: Record<string, Json> = {
  IdempotencyKeyOptional: { name: 'Idempotency-Key', in: 'header', required: false, description: 'Same key and body: the same quote. 1-255 printable ASCII characters, scoped to the calling API key.', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } },
  IdempotencyKeyRequired: { name: 'Idempotency-Key', in: 'header', required: true, description: 'Same key: the identical answer replayed; another key after a success: 409. 1-255 printable ASCII characters, scoped to the calling API key.', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } },
  XRequestId: { name: 'X-Request-Id', in: 'header', required: false, description: 'Your id for the request, echoed on the answer and logged (else one is generated).', schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } },
};

function problemResponse(status: number, codes: ErrorCode[]): Json {
  const headers: Json = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
  if (status === 401) headers['WWW-Authenticate'] = ref('headers', 'WWW-Authenticate');
  if (status === 429) Object.assign(headers, { 'Retry-After': ref('headers', 'Retry-After'), RateLimit: ref('headers', 'RateLimit'), 'RateLimit-Policy': ref('headers', 'RateLimit-Policy') });
  return {
    description: codes.map((c) => `\`${c}\`: ${ERRORS[c].title}`).join('; '),
    headers,
    content: { 'application/problem+json': { schema: { allOf: [ref('schemas', 'Problem'), { properties: { code: { enum: codes } } }] } } },
  };
}

function operation(r: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [name, p] of Object.entries(r.params ?? {}))
    parameters.push({ name, in: 'path', required: true, description: p.description, schema: z.toJSONSchema(p.schema) });
  if (r.query) {
    const query = componentSchemas('#/components/schemas/')[idOf(r.query)]!;
    for (const [name, schema] of Object.entries(query.properties as Record<string, Json>))
      parameters.push({ name, in: 'query', required: ((query.required as string[] | undefined) ?? []).includes(name), ...(schema.description ? { description: schema.description } : {}), schema });
  }
  if (r.idempotencyKey) parameters.push(ref('parameters', r.idempotencyKey === 'required' ? 'IdempotencyKeyRequired' : 'IdempotencyKeyOptional'));
  parameters.push(ref('parameters', 'XRequestId'));

  const okHeaders: Json = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
  for (const h of r.ok.headers ?? ([] as ResponseHeader[])) okHeaders[h] = ref('headers', h);
  const content = (schema: z.ZodType | undefined, type = 'application/json') =>
    schema ? { [type]: { schema: ref('schemas', idOf(schema)) } } : r.ok.contentType ? { [r.ok.contentType]: {} } : undefined;
  const responses: Json = { [r.ok.status]: { description: r.ok.description, headers: okHeaders, ...(content(r.ok.schema) ? { content: content(r.ok.schema) } : {}) } };
  for (const a of r.also ?? []) responses[a.status] = { description: a.description, headers: okHeaders, content: content(a.schema) };

  const codes = [...COMMON_ERRORS, ...(r.scopes ? AUTH_ERRORS : []), ...r.errors];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERRORS[c].status, [...(byStatus.get(ERRORS[c].status) ?? []), c]);
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    if (responses[status]) continue; // readiness's own 503 body comes first; shutting_down there is a not_ready body too
    responses[status] = problemResponse(status, list);
  }

  return {
    operationId: r.operationId,
    tags: [r.tag],
    summary: r.summary,
    description: [r.description, r.scopes ? `API key scope: ${r.scopes.map((s) => `\`${s}\``).join(' or ')}.` : 'No API key needed.',
      r.rateLimit ? `Takes a token from the key's \`${r.rateLimit}\` bucket (RateLimit headers; 429 rate_limited when empty).` : undefined].filter(Boolean).join('\n\n'),
    security: r.scopes ? [{ bearer: [] }] : [],
    ...(r.scopes ? { 'x-scopes': r.scopes } : {}),
    parameters,
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref('schemas', idOf(r.body)) } } } } : {}),
    responses,
  };
}

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const r of Object.values(ROUTES) as RouteSpec[]) (paths[r.path] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'FX pricing engine API',
      version: API_VERSION,
      description: 'Streaming indicative FX quotes, firm locks with a TTL, and exactly-once redeems. Money, rates and bps are decimal strings. '
        + 'Errors are RFC 9457 problem+json with a stable `code` (see /docs/errors). The WebSocket stream is described in AsyncAPI 3 (docs/asyncapi.yaml).',
    },
    servers: [{ url: '/', description: 'The server that serves this document' }],
    tags: [
      { name: 'corridors', description: 'Corridors and indicative quotes' },
      { name: 'quotes', description: 'Lock, read and redeem' },
      { name: 'stream', description: 'The WebSocket stream' },
      { name: 'operations', description: 'Health, readiness, metrics, contract and docs' },
      { name: 'desk', description: 'The trading desk: maker-checker config changes, the kill switch, the audit trail, the live view and page (scope admin)' },
    ],
    paths,
    components: {
      schemas: componentSchemas('#/components/schemas/'),
      headers: HEADERS,
      parameters: PARAMETERS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`. Its scopes (stream, lock, redeem, admin) decide what it may call.' } },
    },
  };
}

/** As written to docs/openapi.json and served (two-space indent, a trailing newline). */
export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

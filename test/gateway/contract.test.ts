// The contract documents are generated from the wire schemas, committed under docs/, valid, and what the
// server serves; and the checks the test helpers run on every response and frame can fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config/index.js';
import { ERRORS } from '../../engine/index.js';
import { renderAsyncApi, renderOpenApi } from '../../gateway/index.js';
import { checkResponse, checkServerFrame, openapi } from '../helpers/contract.js';
import { http, startServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const docsFile = (name: string) => readFileSync(join(projectRoot(), 'docs', name), 'utf8');

describe('the contract documents', () => {
  it('docs/openapi.json and docs/asyncapi.yaml are what the schemas generate (npm run contract:docs when this fails)', () => {
    expect(docsFile('openapi.json')).toBe(renderOpenApi());
    expect(docsFile('asyncapi.yaml')).toBe(renderAsyncApi());
  });

  it('AsyncAPI 3.0 passes @asyncapi/parser with no error or warning, and names every stream message', async () => {
    const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');
    const { document, diagnostics } = await new Parser().parse(docsFile('asyncapi.yaml'));
    const serious = diagnostics.filter((d: any) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
    expect(serious.map((d: any) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document.version()).toBe('3.0.0');
    expect(document.messages().all().map((m: any) => m.id()).sort()).toEqual(
      ['error', 'heartbeat', 'lock', 'locked', 'quote', 'quote_expired', 'quote_redeemed', 'subscribe', 'unsubscribe']);
  });

  it('OpenAPI 3.1 documents every route, the bearer scheme, Idempotency-Key and every error code it can answer', () => {
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths).sort()).toEqual(['/desk', '/desk/{file}', '/docs/errors', '/healthz', '/metrics', '/readyz', '/v1/corridors', '/v1/corridors/{id}', '/v1/corridors/{id}/quote',
      '/v1/desk/audit', '/v1/desk/changes', '/v1/desk/changes/{id}/approve', '/v1/desk/changes/{id}/reject', '/v1/desk/config', '/v1/desk/live',
      '/v1/openapi.json', '/v1/quotes', '/v1/quotes/{id}', '/v1/quotes/{id}/redeem', '/v1/stream']);
    expect(openapi.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const lock = openapi.paths['/v1/quotes'].post;
    expect(lock.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKeyOptional' });
    expect(openapi.paths['/v1/quotes/{id}/redeem'].post.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKeyRequired' });
    expect(lock.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/LockRequest' });
    expect(lock.responses['429'].headers).toHaveProperty('RateLimit');
    const documented = new Set<string>();
    for (const ops of Object.values<any>(openapi.paths))
      for (const op of Object.values<any>(ops))
        for (const r of Object.values<any>(op.responses)) for (const c of r.content?.['application/problem+json']?.schema.allOf[1].properties.code.enum ?? []) documented.add(c);
    // Route-less codes: no route (404), wrong method (405), stream-only ones.
    expect(Object.keys(ERRORS).filter((c) => !documented.has(c)).sort()).toEqual(['method_not_allowed', 'not_found', 'unknown_op']);
  });

  it('the checks on responses and frames refuse what drifts from the documents', () => {
    const quote = { id: 'q_0AAAAAAAAAAAAAAAAAAAAAA', corridor: 'USD-INR', sendCurrency: 'USD', receiveCurrency: 'INR', sendAmount: '1.00', receiveAmount: '83.00',
      rate: '83.0000', fee: '0.00', createdAt: '2026-11-21T10:00:00.000Z', expiresAt: '2026-11-21T10:00:30.000Z', configVersion: 'c_1', route: [], status: 'locked' };
    expect(() => checkResponse('GET', '/v1/quotes/q_x', 200, 'application/json', JSON.stringify(quote))).not.toThrow();
    expect(() => checkResponse('GET', '/v1/quotes/q_x', 200, 'application/json', JSON.stringify({ ...quote, rate: 83 }))).toThrow(/rate/);
    expect(() => checkResponse('GET', '/v1/quotes/q_x', 200, 'application/json', JSON.stringify({ ...quote, extra: 1 }))).toThrow(/additional/);
    expect(() => checkResponse('GET', '/v1/quotes/q_x', 418, 'application/json', '{}')).toThrow(/declares no 418/);
    const problem = { type: 'http://x/docs/errors#quote_expired', title: 't', status: 410, detail: 'd', code: 'quote_expired' };
    expect(() => checkResponse('GET', '/v1/quotes/q_x', 404, 'application/problem+json', JSON.stringify(problem))).toThrow(/enum|allowed/);
    expect(() => checkServerFrame({ type: 'heartbeat', ts: 1 })).not.toThrow();
    expect(() => checkServerFrame({ type: 'heartbeat', ts: '1' })).toThrow(/ts/);
    expect(() => checkServerFrame({ type: 'gossip' })).toThrow(/no server message/);
  });
});

describe('GET /v1/openapi.json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ store: 'memory' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the committed document without a key', async () => {
    const res = await http(server.base, 'GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.text).toBe(docsFile('openapi.json'));
  });
});

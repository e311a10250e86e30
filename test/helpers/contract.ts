// The published contract documents as validators, so every end-to-end test checks what it receives against
// them: http() validates each response body against docs/openapi.json (its operation and status), and
// StreamClient each frame against the payloads of docs/asyncapi.yaml. A drift fails the test that saw it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { projectRoot } from '../../config/index.js';

/**
 * On for every test file; off only where the server under test is not this engine (the bench peer, a plain
 * second implementation that keeps the same assertions but not every additive field).
 */
export const contractChecks = { enabled: true };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const root = projectRoot();
export const openapi = JSON.parse(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8'));
export const asyncapi = parse(readFileSync(join(root, 'docs', 'asyncapi.yaml'), 'utf8'));

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema(openapi, 'openapi');
ajv.addSchema(asyncapi, 'asyncapi');

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const compiled = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) compiled.set(ref, (v = ajv.compile({ $ref: ref })));
  return v;
}

const routes = Object.entries(openapi.paths as Record<string, Record<string, any>>).map(([path, ops]) => ({
  path, ops, re: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** Throws unless the body is what the published OpenAPI says this method, path and status answer. */
export function checkResponse(method: string, url: string, status: number, contentType: string | null, text: string): void {
  if (!contractChecks.enabled || method === 'HEAD' || method === 'OPTIONS' || status === 204) return; // no body
  const path = new URL(url, 'http://x').pathname;
  const route = routes.find((r) => r.re.test(path));
  const op = route?.ops[method.toLowerCase()];
  const where = `${method} ${path} ${status}`;
  if (!route || !op || (status === 404 && !op.responses[404]) || status === 405) {
    // No operation: only a problem can come back (not_found, method_not_allowed).
    return validate('openapi#/components/schemas/Problem', JSON.parse(text), where);
  }
  const response = op.responses[status];
  if (!response) throw new Error(`${where}: the OpenAPI document declares no ${status} for this operation (body ${text.slice(0, 200)})`);
  const types = Object.keys(response.content ?? {});
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (!types.some((t) => t.split(';')[0] === type)) throw new Error(`${where}: content-type ${contentType} is not one of ${types.join(', ')}`);
  const media = response.content[types.find((t) => t.split(';')[0] === type)!];
  if (!media.schema) return;
  validate(`openapi#/${pointer('paths', route.path, method.toLowerCase(), 'responses', String(status), 'content', types.find((t) => t.split(';')[0] === type)!, 'schema')}`, JSON.parse(text), where);
}

/** Throws unless the frame is one of the server messages of the published AsyncAPI document. */
export function checkServerFrame(frame: any): void {
  if (!contractChecks.enabled) return;
  const name = typeof frame?.type === 'string' ? frame.type : undefined;
  const message = name && asyncapi.components.messages[name];
  if (!message || !asyncapi.operations.sendServerFrames.messages.some((m: any) => m.$ref.endsWith(`/${name}`)))
    throw new Error(`stream frame of type ${JSON.stringify(name)} is no server message of docs/asyncapi.yaml: ${JSON.stringify(frame).slice(0, 200)}`);
  validate(`asyncapi#${message.payload.$ref.slice(1)}`, frame, `stream ${name} frame`);
}

/** Throws unless the value is a client message of the published AsyncAPI document (for tests that send valid frames). */
export function checkClientFrame(frame: any): void {
  const message = asyncapi.components.messages[frame?.op];
  if (!message) throw new Error(`no client message ${frame?.op}`);
  validate(`asyncapi#${message.payload.$ref.slice(1)}`, frame, `client ${frame.op} frame`);
}

function validate(ref: string, value: unknown, where: string): void {
  const v = validator(ref);
  if (!v(value)) throw new Error(`${where} does not match the published contract (${ref}): ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 400)}`);
}

// Client requests (REST bodies and queries, stream frames) validated with the wire schemas, so the published
// contract is the check itself; zod's issues become our coded refusals, the same on REST and the stream.
import type { z } from 'zod';
import { fxError, type AmountSide, type ErrorCode } from '../engine/index.js';
import { excerpt } from './excerpt.js';
import { MAX_CORRIDORS_PER_OP } from './wire/index.js';

/** What a refused field is called by code: amounts are invalid_amount, a corridor that is none is corridor_not_found. */
const FIELD_CODES: Record<string, ErrorCode> = { sendAmount: 'invalid_amount', receiveAmount: 'invalid_amount', corridor: 'corridor_not_found' };

/** The value as the schema gives it, or the coded refusal of its first problem (unknown fields first). */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: 'body' | 'query' | 'frame'): z.output<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fxError('invalid_request', `the ${what} must be a JSON object`);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const keys = unknown.keys.slice(0, 5).map(excerpt).join(', ') + (unknown.keys.length > 5 ? ` and ${unknown.keys.length - 5} more` : '');
    throw fxError('invalid_request', `unknown field${unknown.keys.length > 1 ? 's' : ''}: ${keys}`);
  }
  const issue = issues[0]!;
  const field = String(issue.path[0] ?? '');
  if (issue.path.length === 0) throw fxError(issue.code === 'custom' ? 'invalid_amount' : 'invalid_request', issue.message);
  const code = FIELD_CODES[field];
  if (code === 'corridor_not_found') throw fxError(code, `no corridor ${excerpt((value as Record<string, unknown>)[field])}`);
  if (code) throw fxError(code, `${field} ${issue.code === 'invalid_type' ? 'must be a decimal string such as "1000.00"' : issue.message}`);
  if (field === 'corridors') throw fxError('invalid_request', `corridors must be a list of 1 to ${MAX_CORRIDORS_PER_OP} corridor ids`);
  if (field === 'reqId') throw fxError('invalid_request', 'reqId must be a string of 1-128 characters');
  throw fxError('invalid_request', `${issue.path.join('.')}: ${issue.message}`);
}

/** The one side of an amount a parsed request carries. */
export function amountOf(fields: { sendAmount?: string | undefined; receiveAmount?: string | undefined }): { side: AmountSide; amount: string } {
  return fields.sendAmount !== undefined ? { side: 'send', amount: fields.sendAmount } : { side: 'receive', amount: fields.receiveAmount! };
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKey(value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw fxError('idempotency_key_required', 'send an Idempotency-Key header (1-255 printable characters)');
    return undefined;
  }
  if (!IDEMPOTENCY_KEY.test(value)) throw fxError('invalid_request', 'Idempotency-Key must be 1-255 printable ASCII characters');
  return value;
}

// Every refusal the SDK reports is an FxApiError with a stable code: the server's (from the problem+json
// body or the stream's error frame), or one of the SDK's own below when no server answer could be read.
import type { Problem } from './wire.js';

/** Codes the SDK itself gives, when there is no coded server answer. */
export const CLIENT_CODES = {
  /** A body that is not the JSON (or problem+json) the contract promises: a proxy's error page, say. */
  unexpected_response: 'unexpected_response',
  /** No answer: connection refused or dropped, DNS, TLS (after the retries, where the call retries). */
  network_error: 'network_error',
  /** No answer within timeoutMs (after the retries, where the call retries). */
  timeout: 'timeout',
  /** The stream socket closed before the server answered a stream lock: the lock may have happened. */
  connection_lost: 'connection_lost',
  /** A stream lock while the socket is not open. */
  not_connected: 'not_connected',
  /** The stream was closed by close(). */
  stream_closed: 'stream_closed',
} as const;

export class FxApiError extends Error {
  override readonly name = 'FxApiError';
  /** The HTTP status; undefined for stream error frames and for calls that got no answer. */
  readonly status: number | undefined;
  /** Stable snake_case code: branch on this. */
  readonly code: string;
  /** Human detail; may change between versions. */
  readonly detail: string;
  /** Seconds the server asked to wait (rate_limited). */
  readonly retryAfterSec: number | undefined;
  /** The Idempotency-Key the call was sent with, so a caller can retry it later with the same one. */
  readonly idempotencyKey: string | undefined;
  /** The stream lock's reqId, for stream errors that answer one. */
  readonly reqId: string | undefined;

  constructor(init: { status?: number; code: string; detail: string; retryAfterSec?: number; idempotencyKey?: string; reqId?: string; cause?: unknown }) {
    super(`${init.code}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.retryAfterSec = init.retryAfterSec;
    this.idempotencyKey = init.idempotencyKey;
    this.reqId = init.reqId;
  }

  /** An error from an HTTP answer that is not a success: the problem body's code, or unexpected_response. */
  static fromResponse(status: number, text: string, idempotencyKey?: string): FxApiError {
    const problem = parseProblem(text);
    if (!problem) return new FxApiError({ status, code: CLIENT_CODES.unexpected_response, detail: `HTTP ${status}: ${snippet(text)}`, idempotencyKey });
    return new FxApiError({ status, code: problem.code, detail: problem.detail ?? problem.title ?? problem.code, retryAfterSec: problem.retryAfterSec, idempotencyKey });
  }
}

function parseProblem(text: string): Partial<Problem> & { code: string } | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && typeof (body as Problem).code === 'string') return body as Problem;
  } catch {
    // not JSON: handled by the caller
  }
  return undefined;
}

export const snippet = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
};

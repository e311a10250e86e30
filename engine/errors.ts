// One registry of coded errors. The code statically and permanently identifies the error; the detail may
// change. Branch on err.code, never on instanceof: errors cross worker threads and lose their class.

export const ERRORS = {
  invalid_request: { status: 400, title: 'The request is malformed' },
  invalid_json: { status: 400, title: 'The body is not strict JSON' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'The API key lacks the scope for this' },
  not_found: { status: 404, title: 'No such route' },
  corridor_not_found: { status: 404, title: 'No such corridor' },
  quote_not_found: { status: 404, title: 'No such quote' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  quote_already_redeemed: { status: 409, title: 'The quote was already redeemed' },
  quote_expired: { status: 410, title: 'The quote has expired' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The body must be application/json in UTF-8' },
  invalid_amount: { status: 422, title: 'The amount is not valid' },
  amount_out_of_range: { status: 422, title: 'The amount is outside the corridor limits' },
  amount_mismatch: { status: 422, title: 'The amount does not match the locked quote' },
  idempotency_key_required: { status: 400, title: 'An Idempotency-Key header is required' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with another request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  corridor_unavailable: { status: 503, title: 'The corridor has no fresh price' },
  corridor_halted: { status: 503, title: 'The desk has halted the corridor' },
  invalid_config: { status: 422, title: 'The patched config is not valid' },
  not_desk_editable: { status: 403, title: 'The desk may not change this part of the config' },
  four_eyes_required: { status: 403, title: 'Another admin key must approve this change' },
  change_not_found: { status: 404, title: 'No such config change' },
  config_changed: { status: 409, title: 'The config moved since the change was proposed' },
  change_not_pending: { status: 409, title: 'The change was already decided' },
  desk_store_unavailable: { status: 503, title: 'The desk\'s store cannot be reached or written' },
  store_unavailable: { status: 503, title: 'The quote store cannot be reached' },
  shutting_down: { status: 503, title: 'The server is shutting down' },
  unknown_op: { status: 400, title: 'Unknown stream operation' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class FxError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string = ERRORS[code].title,
    /** Extra fields for the problem body (retryAfterSec for rate_limited). */
    readonly extra?: Record<string, string | number>,
  ) {
    super(`${code}: ${detail}`);
    this.status = ERRORS[code].status;
  }
}

export const fxError = (code: ErrorCode, detail?: string, extra?: Record<string, string | number>): FxError =>
  new FxError(code, detail, extra);

export function isFxError(err: unknown): err is FxError {
  return !!err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERRORS;
}

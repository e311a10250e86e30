// The peer's coded errors: the same codes and statuses as the v1 contract (docs/errors.md).
const STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  idempotency_key_required: 400,
  unknown_op: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  corridor_not_found: 404,
  quote_not_found: 404,
  method_not_allowed: 405,
  quote_already_redeemed: 409,
  quote_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_amount: 422,
  amount_out_of_range: 422,
  amount_mismatch: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  corridor_unavailable: 503,
  store_unavailable: 503,
  internal_error: 500,
} as const;

export type PeerErrorCode = keyof typeof STATUS;

export class PeerError extends Error {
  readonly status: number;
  constructor(readonly code: PeerErrorCode, readonly detail: string, readonly retryAfterSec?: number) {
    super(detail);
    this.status = STATUS[code];
  }
}

/** RFC 9457 problem details. */
export function problemBody(err: PeerError): string {
  return JSON.stringify({ type: `/docs/errors.md#${err.code}`, title: err.code.replace(/_/g, ' '), status: err.status, detail: err.detail, code: err.code,
    ...(err.retryAfterSec ? { retryAfterSec: err.retryAfterSec } : {}) });
}

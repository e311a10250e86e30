// Feed errors have two roots: `retryable` (the transport failed: reconnect with backoff, count towards the
// circuit breaker) and `rejected` (the partner sent bad data: count it, drop it, keep the connection).
// The code statically and permanently identifies the error; branch on err.code and err.root, never instanceof.

export const FEED_ERRORS = {
  feed_connect_failed: { root: 'retryable', title: 'Could not connect to the partner' },
  feed_disconnected: { root: 'retryable', title: 'The partner closed the connection' },
  feed_timeout: { root: 'retryable', title: 'The partner did not answer in time (connect, request or heartbeat)' },
  feed_http_status: { root: 'retryable', title: 'The partner answered with an HTTP error status' },
  feed_session_ended: { root: 'retryable', title: 'The partner refused or ended the session (FIX Logout, Reject, bad sequence)' },
  feed_clock_skew: { root: 'retryable', title: "A FIX message's SendingTime is too far from our clock (Reject 373=10, then Logout)" },
  feed_unparseable: { root: 'rejected', title: 'A message could not be parsed' },
  feed_unmapped: { root: 'rejected', title: 'A message lacks a field the mapping needs, or has one of the wrong type' },
  feed_unknown_pair: { root: 'rejected', title: 'A tick for a pair this feed is not configured for' },
  feed_out_of_sequence: { root: 'rejected', title: 'A tick whose sequence is not above the last one in this session (duplicate or reordered)' },
} as const satisfies Record<string, { root: 'retryable' | 'rejected'; title: string }>;

export type FeedErrorCode = keyof typeof FEED_ERRORS;
export type FeedErrorRoot = (typeof FEED_ERRORS)[FeedErrorCode]['root'];

export class FeedError extends Error {
  readonly root: FeedErrorRoot;
  constructor(
    readonly code: FeedErrorCode,
    readonly detail: string = FEED_ERRORS[code].title,
  ) {
    super(`${code}: ${detail}`);
    this.root = FEED_ERRORS[code].root;
  }
}

export const feedError = (code: FeedErrorCode, detail?: string): FeedError => new FeedError(code, detail);

export function isFeedError(err: unknown): err is FeedError {
  return !!err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code in FEED_ERRORS;
}

/** Anything thrown by a parser is bad data; anything else an adapter did not code is a transport failure. */
export function asFeedError(err: unknown, fallback: FeedErrorCode): FeedError {
  if (isFeedError(err)) return err;
  return feedError(fallback, err instanceof Error ? err.message : String(err));
}

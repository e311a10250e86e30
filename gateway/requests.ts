// Shapes of client requests, shared by REST and the stream so both refuse the same things the same way.
import { fxError, type AmountSide } from '../engine/index.js';

/** Exactly one of sendAmount / receiveAmount. */
export function amountOf(fields: Record<string, unknown>): { side: AmountSide; amount: unknown } {
  const hasSend = fields.sendAmount !== undefined;
  const hasReceive = fields.receiveAmount !== undefined;
  if (hasSend === hasReceive) throw fxError('invalid_amount', 'give exactly one of sendAmount or receiveAmount');
  return hasSend ? { side: 'send', amount: fields.sendAmount } : { side: 'receive', amount: fields.receiveAmount };
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

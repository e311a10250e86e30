// The REST wire shapes (v1), as zod schemas: the gateway validates requests with them, the OpenAPI document
// is generated from them, and the SDK takes its types from them (gateway/wire/types.ts, `import type` only).
// This file imports nothing that needs Node, so the types it yields are usable from a browser build.
// Money, rates and bps are decimal strings; ts/tickTs are epoch microseconds; the rest of the times ISO 8601.
import { z } from 'zod';
import { CORRIDOR_ID, DECIMAL, PAIR } from '../../config/patterns.js';
import { ERRORS, type ErrorCode } from '../../engine/errors.js';
import { doc, named } from './registry.js';

export const decimal = z.string().regex(DECIMAL);
export const corridorId = z.string().regex(CORRIDOR_ID);
const currency = z.string().regex(/^[A-Z]{3}$/);
const timestamp = z.iso.datetime();
const epochUs = z.number().int().nonnegative();
/** Either side of an amount, as the client gave it: the currency's decimals are checked against the corridor. */
export const amount = z.string().regex(DECIMAL, 'must be a plain positive decimal string such as "1000.00"');

export const Decimal = named('Decimal', 'A plain non-negative decimal string ("83.0123", "1000.00"): money, rates and bps are never JSON numbers.', decimal);
export const CorridorId = named('CorridorId', 'A corridor, SEND-RECEIVE: the customer sends SEND and receives RECEIVE ("USD-INR").', corridorId);

export const SpreadParts = named('SpreadParts', 'Which parts made the spread, in bps: totalBps = clamp(tierBps + marketClosedBps + volatilityBps + skewBps, min, max).', z.strictObject({
  tierBps: Decimal,
  marketClosedBps: Decimal,
  volatilityBps: Decimal,
  skewBps: z.string().regex(/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/),
  totalBps: Decimal,
}));

export const RouteLeg = named('RouteLeg', 'One leg of the route a rate came from: the partner, its pair, the leg rate in the corridor\'s direction (fee included) and how old its price was.', z.strictObject({
  partner: z.string(),
  pair: z.string().regex(PAIR),
  rate: Decimal,
  ageMs: doc('How old the leg\'s partner price was, ms (absent on quotes locked before it was recorded).', z.number().int().nonnegative().optional()),
}));

export const CorridorTier = named('CorridorTier', 'A spread tier of a corridor: its bounds, and its spread and customer rate now (null while it has no price).', z.strictObject({
  tier: z.number().int().nonnegative(),
  upTo: doc('Send amount up to and including which this tier applies; absent on the last tier.', Decimal.optional()),
  maxAmount: doc('Present while a partner limit caps this tier below its top: larger amounts are refused (amount_out_of_range).', Decimal.optional()),
  spreadBps: Decimal.nullable(),
  rate: Decimal.nullable(),
}));

export const CorridorReason = named('CorridorReason', 'Why a corridor is not tradeable: no_price (nothing priced yet), no_route (no fresh eligible partner route), stale (no price fresher than maxStalenessMs), not_configured (the pricer does not hold it yet), halted (the desk\'s kill switch: locks answer 503 corridor_halted).',
  z.enum(['no_price', 'no_route', 'stale', 'not_configured', 'halted']));

export const Corridor = named('Corridor', 'A corridor, its rules (amount bounds, fee, decimals, quote TTL, tiers) and its current tier-0 customer rate; rate, mid and updatedAt are null while it is not tradeable, and reason says why.', z.strictObject({
  id: CorridorId,
  send: currency,
  receive: currency,
  tradeable: z.boolean(),
  rate: Decimal.nullable(),
  mid: Decimal.nullable(),
  updatedAt: timestamp.nullable(),
  minAmount: doc('Smallest send amount, fee included, in the send currency.', Decimal),
  maxAmount: doc('Largest send amount, fee included, in the send currency.', Decimal),
  fee: doc('Fixed fee in the send currency, taken off the send amount before conversion.', Decimal),
  sendDecimals: doc('Minor units of the send currency (ISO 4217): the most decimals a send amount may have.', z.number().int().nonnegative()),
  receiveDecimals: doc('Minor units of the receive currency.', z.number().int().nonnegative()),
  quoteTtlMs: doc('How long a locked quote holds, ms.', z.number().int().positive()),
  tiers: z.array(CorridorTier),
  reason: CorridorReason.optional(),
  reasonDetail: doc('The reason in a sentence, for people.', z.string().optional()),
}));

export const CorridorList = named('CorridorList', 'Every configured corridor.', z.strictObject({ corridors: z.array(Corridor) }));

export const IndicativeQuote = named('IndicativeQuote', 'What an amount would get now; not binding (lock to get firm terms).', z.strictObject({
  corridor: CorridorId,
  sendCurrency: currency,
  receiveCurrency: currency,
  sendAmount: Decimal,
  receiveAmount: Decimal,
  rate: Decimal,
  mid: Decimal,
  spreadBps: Decimal,
  spread: SpreadParts,
  tier: z.number().int().nonnegative(),
  fee: Decimal,
  configVersion: z.string(),
  tickTs: doc('When the newest partner tick behind the price arrived, epoch microseconds.', epochUs),
  route: z.array(RouteLeg),
}));

export const QuoteStatus = named('QuoteStatus', 'locked until redeemed or past expiresAt (by the quote store\'s clock).', z.enum(['locked', 'redeemed', 'expired']));

export const Quote = named('Quote', 'A locked quote: firm terms with an id, valid until expiresAt.', z.strictObject({
  id: z.string().regex(/^q_[0-9a-f][A-Za-z0-9_-]{22}$/),
  corridor: CorridorId,
  sendCurrency: currency,
  receiveCurrency: currency,
  sendAmount: Decimal,
  receiveAmount: Decimal,
  rate: Decimal,
  fee: Decimal,
  createdAt: timestamp,
  expiresAt: timestamp,
  configVersion: z.string(),
  route: z.array(RouteLeg),
  spread: SpreadParts.optional(),
  status: QuoteStatus,
  redeemedAt: doc('When it was redeemed (status redeemed only).', timestamp.optional()),
}));

/** "Exactly one of" in JSON Schema terms, beside the refinement that enforces it. */
const exactlyOne = (a: string, b: string) => ({ oneOf: [{ required: [a] }, { required: [b] }] });
const oneAmount = (v: { sendAmount?: unknown; receiveAmount?: unknown }) => (v.sendAmount === undefined) !== (v.receiveAmount === undefined);
const ONE_AMOUNT = 'give exactly one of sendAmount or receiveAmount';

const sendAmount = doc('What the customer sends, in the send currency, at most its minor units (fee included).', amount.optional());
const receiveAmount = doc('What the recipient gets, in the receive currency, at most its minor units.', amount.optional());

export const LockRequest = named('LockRequest', 'Lock firm terms for exactly one of sendAmount or receiveAmount.', z.strictObject({
  corridor: CorridorId,
  sendAmount,
  receiveAmount,
}).refine(oneAmount, { message: ONE_AMOUNT }), exactlyOne('sendAmount', 'receiveAmount'));

export const AmountQuery = named('AmountQuery', 'Exactly one of sendAmount or receiveAmount.', z.strictObject({
  sendAmount,
  receiveAmount,
}).refine(oneAmount, { message: ONE_AMOUNT }), exactlyOne('sendAmount', 'receiveAmount'));

export const RedeemRequest = named('RedeemRequest', 'The amount (either side) must equal the locked one, compared as a number; corridor, when given, must match too.', z.strictObject({
  sendAmount,
  receiveAmount,
  corridor: CorridorId.optional(),
}).refine((v) => v.sendAmount !== undefined || v.receiveAmount !== undefined, { message: 'sendAmount or receiveAmount is required' }),
{ anyOf: [{ required: ['sendAmount'] }, { required: ['receiveAmount'] }] });

export const ErrorCodeSchema = named('ErrorCode', 'A stable code: it never changes meaning (the detail text may). See /docs/errors.', z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]));

export const Problem = named('Problem', 'RFC 9457 problem details (application/problem+json). Branch on code.', z.strictObject({
  type: doc('An absolute URI of the code\'s entry in the error docs (…/docs/errors#<code>).', z.url()),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  code: ErrorCodeSchema,
  retryAfterSec: doc('With rate_limited: seconds until a retry can succeed (also in Retry-After).', z.number().int().positive().optional()),
  path: doc('With invalid_config: the dot path of the first offending setting ("corridors.USD-INR.skewBps").', z.string().optional()),
}));

export const Health = named('Health', 'Liveness.', z.strictObject({ status: z.literal('ok') }));

export const Readiness = named('Readiness', 'Ready only with the config loaded, the store reachable and at least one corridor tradeable (200), else 503 with the same body.', z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  config: z.string(),
  store: z.enum(['up', 'down']),
  tradeableCorridors: z.number().int().nonnegative(),
}));

import { z } from 'zod';
import currencyCodes from 'currency-codes';

// Every number here that is money, a rate or bps is a decimal string; counts, times and sizes are numbers.
const decimal = z.string().regex(/^(?:0|[1-9]\d*)(?:\.\d+)?$/, 'must be a plain decimal string such as "25" or "83.40"');
const currency = z.string().refine((c) => currencyCodes.code(c) !== undefined, 'must be an ISO 4217 currency code');
const pair = z.string().regex(/^[A-Z]{3}\/[A-Z]{3}$/, 'must look like "USD/INR"');
const corridorId = z.string().regex(/^[A-Z]{3}-[A-Z]{3}$/, 'must look like "USD-INR"');
const ms = z.number().int().positive();

const tier = z.strictObject({
  /** Send amount up to and including which this tier applies; the last tier has none. */
  upTo: decimal.optional(),
  spreadBps: decimal,
});

const corridor = z
  .strictObject({
    quoteTtlMs: ms.default(30_000),
    maxStalenessMs: ms.default(5_000),
    /** Decimals of the customer rate, which is rounded down to them. */
    ratePrecision: z.number().int().min(0).max(12).default(4),
    /** Bounds of the send amount, in the send currency. */
    minAmount: decimal,
    maxAmount: decimal,
    tiers: z.array(tier).min(1),
  })
  .superRefine((c, ctx) => {
    c.tiers.forEach((t, i) => {
      const last = i === c.tiers.length - 1;
      if (last && t.upTo !== undefined) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'the last tier must not have upTo' });
      if (!last && t.upTo === undefined) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'every tier but the last needs upTo' });
      const prev = c.tiers[i - 1]?.upTo;
      if (prev !== undefined && t.upTo !== undefined && Number(t.upTo) <= Number(prev))
        ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'tiers must be in increasing upTo order' });
    });
    if (Number(c.minAmount) >= Number(c.maxAmount))
      ctx.addIssue({ code: 'custom', path: ['minAmount'], message: 'minAmount must be below maxAmount' });
  });

const partner = z.strictObject({
  enabled: z.boolean().default(true),
  /** Partner fee in bps, applied to every leg priced from this partner. */
  feeBps: decimal.default('0'),
});

const syntheticPartner = z.strictObject({
  /** Where this partner's mid sits against the market mid. */
  offsetBps: z.string().regex(/^-?\d+(\.\d+)?$/).default('0'),
  halfSpreadBps: decimal.default('5'),
  /** Step size of the random walk, per tick. */
  noiseBps: decimal.default('1'),
  pairs: z.array(pair).min(1),
});

/** Per API key, per gateway process: token buckets for lock and redeem (REST and stream share them), and caps. */
const limits = z.strictObject({
  lockPerSecond: z.number().positive().default(20),
  lockBurst: z.number().int().positive().default(40),
  redeemPerSecond: z.number().positive().default(50),
  redeemBurst: z.number().int().positive().default(100),
  connections: z.number().int().positive().default(20_000),
  subscriptions: z.number().int().positive().default(200_000),
});

const apiKey = z.strictObject({
  name: z.string().min(1),
  /** Hex SHA-256 of the key; the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
  scopes: z.array(z.enum(['stream', 'lock', 'redeem', 'admin'])).min(1),
  /** Overrides of the default limits for this key. */
  limits: limits.partial().optional(),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65_535).default(8080),
        /** Bound on HTTP bodies and WS messages. */
        maxPayloadBytes: z.number().int().positive().max(1_048_576).default(16_384),
        heartbeatMs: ms.default(15_000),
        wsIdleTimeoutSec: z.number().int().min(8).max(960).default(60),
        /** Bytes a socket may have queued; past it the socket is closed as a slow consumer (4008). */
        wsMaxBackpressureBytes: z.number().int().positive().default(256 * 1024),
        /** How often sockets are checked for slow consumers. */
        wsSlowConsumerCheckMs: ms.default(100),
        /** At most one frame per corridor per this interval (the latest wins); 0 publishes as soon as priced. */
        streamMinIntervalMs: z.number().int().min(0).default(0),
        /** How long shutdown waits for in-flight locks and redeems. */
        shutdownGraceMs: ms.default(5_000),
      })
      .prefault({}),
    store: z
      .strictObject({
        /** How long a quote stays readable after it expires (410, not 404). */
        retentionMs: ms.default(86_400_000),
        /** Bound on every Redis command; past it the request answers 503 store_unavailable. */
        commandTimeoutMs: ms.default(500),
        eventsMaxLen: z.number().int().positive().default(1_000_000),
      })
      .prefault({}),
    pricing: z
      .strictObject({
        workers: z.number().int().min(1).max(64).default(1),
        pivots: z.array(currency).default(['USD', 'EUR']),
        /** How often corridors are re-checked for legs going stale while no ticks arrive. */
        staleSweepMs: ms.default(250),
      })
      .prefault({}),
    partners: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), partner),
    synthetic: z
      .strictObject({
        seed: z.number().int().default(42),
        ticksPerSecond: z.number().positive().max(10_000).default(4),
        mids: z.record(pair, decimal),
        partners: z.record(z.string(), syntheticPartner),
      })
      .optional(),
    corridors: z.record(corridorId, corridor),
    apiKeys: z.array(apiKey).default([]),
    /** Default limits for every API key. */
    limits: limits.prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const id of Object.keys(c.corridors)) {
      const [send, receive] = id.split('-') as [string, string];
      for (const [field, code] of [['send', send], ['receive', receive]] as const)
        if (!currencyCodes.code(code)) ctx.addIssue({ code: 'custom', path: ['corridors', id], message: `${field} currency ${code} is not ISO 4217` });
    }
    for (const name of Object.keys(c.synthetic?.partners ?? {}))
      if (!c.partners[name]) ctx.addIssue({ code: 'custom', path: ['synthetic', 'partners', name], message: 'is not a partner in partners' });
    for (const [name, p] of Object.entries(c.synthetic?.partners ?? {}))
      p.pairs.forEach((pr, i) => {
        if (!c.synthetic?.mids[pr]) ctx.addIssue({ code: 'custom', path: ['synthetic', 'partners', name, 'pairs', i], message: `${pr} has no mid in synthetic.mids` });
      });
  });

export type Config = z.output<typeof configSchema>;
export type CorridorConfig = Config['corridors'][string];
export type ApiKeyConfig = Config['apiKeys'][number];
export type Scope = ApiKeyConfig['scopes'][number];
export type Limits = Config['limits'];

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

// Partner feeds (feeds/): one entry per partner id, by protocol. Secrets never sit here: a string may say
// ${secret}, filled from the env variable FX_FEED_SECRET_<PARTNER> (upper case, dashes as underscores).
const feedCommon = {
  /** Every tick this feed forwards is also appended here (NDJSON, or CSV for a .csv path), for replay. */
  recordPath: z.string().min(1).optional(),
  /** A connection (with logon and subscribe) not up by then counts as a failure. */
  connectTimeoutMs: ms.default(5_000),
  /** After this much silence the partner is probed (WS ping, FIX TestRequest). */
  heartbeatMs: ms.default(5_000),
  /** After this much silence the connection is declared hung and replaced. */
  idleTimeoutMs: ms.default(15_000),
  /** Reconnect delays: full jitter under min(backoffMaxMs, backoffInitialMs * 2^failures). */
  backoffInitialMs: ms.default(250),
  backoffMaxMs: ms.default(30_000),
  /** Consecutive failures that open the circuit, and how long it stays open before one probe. */
  circuitFailures: z.number().int().min(1).default(5),
  circuitOpenMs: ms.default(30_000),
  /** A pair without an accepted tick for this long is marked stale in metrics and logs. */
  staleAfterMs: ms.default(5_000),
};

const fieldMapping = {
  /** Dot paths into one tick object ("data.b", "px.0"). */
  pair: z.string().min(1).default('pair'),
  bid: z.string().min(1).default('bid'),
  ask: z.string().min(1).default('ask'),
  ts: z.string().min(1).default('ts'),
  /** The partner's sequence per pair; without it there is no gap detection. */
  seq: z.string().min(1).optional(),
  tsUnit: z.enum(['ms', 's', 'us', 'iso']).default('ms'),
  /** Partner symbol -> pair ("USDINR": "USD/INR"); without an entry "USDINR", "usd_inr" and "USD-INR" all read as USD/INR. */
  symbols: z.record(z.string(), pair).optional(),
};

const headers = z.record(z.string(), z.string()).optional();

const wsJsonFeed = z.strictObject({
  type: z.literal('ws-json'),
  ...feedCommon,
  url: z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL'),
  pairs: z.array(pair).min(1),
  headers,
  /** Sent once connected; a string "${pairs}" becomes the list of symbols. */
  subscribe: z.unknown().optional(),
  mapping: z
    .strictObject({
      ...fieldMapping,
      /** Path of an array of ticks in a message; without it a message is one tick. */
      items: z.string().min(1).optional(),
      /** Only messages with this value at this path carry ticks; the rest (heartbeats, acks) only show life. */
      where: z.strictObject({ path: z.string().min(1), equals: z.string() }).optional(),
    })
    .prefault({}),
});

const httpPollFeed = z.strictObject({
  type: z.literal('http-poll'),
  ...feedCommon,
  url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'),
  pairs: z.array(pair).min(1),
  intervalMs: ms.default(1_000),
  requestTimeoutMs: ms.default(2_000),
  headers,
  mapping: z.discriminatedUnion('shape', [
    z.strictObject({
      shape: z.literal('base-rates'),
      base: z.string().min(1).default('base'),
      rates: z.string().min(1).default('rates'),
      ts: z.string().min(1).default('timestamp'),
      tsUnit: z.enum(['ms', 's', 'us', 'iso']).default('s'),
    }),
    z.strictObject({ shape: z.literal('pair-list'), items: z.string().min(1).default('data'), ...fieldMapping }),
  ]),
});

const fix44Feed = z.strictObject({
  type: z.literal('fix44'),
  ...feedCommon,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  senderCompId: z.string().min(1),
  targetCompId: z.string().min(1),
  /** HeartBtInt (108) proposed at Logon. */
  heartBtIntSec: z.number().int().min(1).max(300).default(30),
  pairs: z.array(pair).min(1),
  symbols: z.record(z.string(), pair).optional(),
  username: z.string().min(1).optional(),
  /** Use "${secret}": the password comes from the environment. */
  password: z.string().min(1).optional(),
});

const replayFeed = z.strictObject({
  type: z.literal('replay'),
  ...feedCommon,
  path: z.string().min(1),
  format: z.enum(['ndjson', 'csv']).optional(),
  /** 1 = the recorded pace, 10 = ten times faster. */
  speed: z.number().positive().max(1_000_000).default(1),
  loop: z.boolean().default(false),
  /** Keep reading as the file grows. */
  follow: z.boolean().default(false),
  followPollMs: ms.default(250),
  /** Recorded partners whose ticks this feed replays (default: its own id). */
  from: z.array(z.string().min(1)).optional(),
  /** 'replay' stamps ticks with the replay time (old recordings price as fresh); 'recorded' keeps the recorded time. */
  timestamps: z.enum(['replay', 'recorded']).default('replay'),
});

export const feedSchema = z
  .discriminatedUnion('type', [wsJsonFeed, httpPollFeed, fix44Feed, replayFeed])
  .superRefine((f, ctx) => {
    if (f.idleTimeoutMs <= f.heartbeatMs) ctx.addIssue({ code: 'custom', path: ['idleTimeoutMs'], message: 'idleTimeoutMs must be above heartbeatMs' });
    if (f.backoffMaxMs < f.backoffInitialMs) ctx.addIssue({ code: 'custom', path: ['backoffMaxMs'], message: 'backoffMaxMs must be at least backoffInitialMs' });
  });

const apiKey = z.strictObject({
  name: z.string().min(1),
  /** Hex SHA-256 of the key; the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
  scopes: z.array(z.enum(['stream', 'lock', 'redeem', 'admin'])).min(1),
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
        /** Bytes a socket may have queued before it is cut off as a slow consumer. */
        wsMaxBackpressureBytes: z.number().int().positive().default(256 * 1024),
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
    feeds: z.record(z.string(), feedSchema).default({}),
    corridors: z.record(corridorId, corridor),
    apiKeys: z.array(apiKey).default([]),
  })
  .superRefine((c, ctx) => {
    for (const id of Object.keys(c.corridors)) {
      const [send, receive] = id.split('-') as [string, string];
      for (const [field, code] of [['send', send], ['receive', receive]] as const)
        if (!currencyCodes.code(code)) ctx.addIssue({ code: 'custom', path: ['corridors', id], message: `${field} currency ${code} is not ISO 4217` });
    }
    for (const name of Object.keys(c.synthetic?.partners ?? {}))
      if (!c.partners[name]) ctx.addIssue({ code: 'custom', path: ['synthetic', 'partners', name], message: 'is not a partner in partners' });
    for (const name of Object.keys(c.feeds))
      if (!c.partners[name]) ctx.addIssue({ code: 'custom', path: ['feeds', name], message: 'is not a partner in partners' });
    for (const [name, p] of Object.entries(c.synthetic?.partners ?? {}))
      p.pairs.forEach((pr, i) => {
        if (!c.synthetic?.mids[pr]) ctx.addIssue({ code: 'custom', path: ['synthetic', 'partners', name, 'pairs', i], message: `${pr} has no mid in synthetic.mids` });
      });
  });

export type Config = z.output<typeof configSchema>;
export type CorridorConfig = Config['corridors'][string];
export type FeedConfig = Config['feeds'][string];
export type ApiKeyConfig = Config['apiKeys'][number];
export type Scope = ApiKeyConfig['scopes'][number];

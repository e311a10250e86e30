import { z } from 'zod';
import currencyCodes from 'currency-codes';
import { compareDecimals as cmp, CORRIDOR_ID, DECIMAL, PAIR, PARTNER_ID, places, SIGNED_DECIMAL } from './patterns.js';

// Every number here that is money, a rate or bps is a decimal string; counts, times and sizes are numbers.
const decimal = z.string().regex(DECIMAL, 'must be a plain decimal string such as "25" or "83.40"');
const currency = z.string().refine((c) => currencyCodes.code(c) !== undefined, 'must be an ISO 4217 currency code');
const pair = z.string().regex(PAIR, 'must look like "USD/INR"');
const corridorId = z.string().regex(CORRIDOR_ID, 'must look like "USD-INR"');
const signedDecimal = z.string().regex(SIGNED_DECIMAL, 'must be a decimal string such as "-2.5" or "3"');
const ms = z.number().int().positive();
const partnerId = z.string().regex(PARTNER_ID, 'must be lowercase letters, digits and dashes');

/** Marks a setting that a live reload cannot change: it takes effect on restart (see restartOnlyPaths). */
const restartOnly = <T extends z.ZodType>(schema: T): T => schema.meta({ restartOnly: true });

/** Widening while the corridor's realised volatility is high (sampled mid returns, decayed over the window). */
const volatility = z
  .strictObject({
    /** The mid is sampled at most this often; a return is taken between samples. */
    sampleMs: ms.default(1_000),
    /** Squared returns decay by (1 - sampleMs/windowMs) per sample: about one window's worth is remembered. */
    windowMs: ms.default(60_000),
    /** Realised volatility over the window above which the spread widens. */
    thresholdBps: decimal,
    widenBps: decimal,
  })
  .refine((v) => v.windowMs > v.sampleMs, { path: ['windowMs'], message: 'windowMs must be above sampleMs' });

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
    /** Bounds of the total spread (tier + market closed + volatility + skew). */
    minSpreadBps: decimal.default('0'),
    maxSpreadBps: decimal.default('500'),
    /** Added while the FX market is closed (Friday 17:00 to Sunday 17:00 America/New_York). */
    marketClosedBps: decimal.default('0'),
    /** Desk skew, added to every tier's spread; negative tightens (never below minSpreadBps). */
    skewBps: signedDecimal.default('0'),
    volatility: volatility.optional(),
    /** Fixed fee in the send currency, taken from the send amount before conversion. */
    fixedFee: decimal.default('0'),
    /** Largest send amount a partner takes on this corridor; a route is eligible only within all its partners' limits. */
    partnerMaxAmounts: z.record(partnerId, decimal).default({}),
    /** The desk's kill switch: a halted corridor is not tradeable (reason halted) and refuses locks (503 corridor_halted). */
    halted: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    c.tiers.forEach((t, i) => {
      const last = i === c.tiers.length - 1;
      if (last && t.upTo !== undefined) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'the last tier must not have upTo' });
      if (!last && t.upTo === undefined) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'every tier but the last needs upTo' });
      const prev = c.tiers[i - 1]?.upTo;
      if (prev !== undefined && t.upTo !== undefined && cmp(t.upTo, prev) <= 0)
        ctx.addIssue({ code: 'custom', path: ['tiers', i, 'upTo'], message: 'tiers must be in increasing upTo order' });
    });
    if (cmp(c.minAmount, c.maxAmount) >= 0)
      ctx.addIssue({ code: 'custom', path: ['minAmount'], message: 'minAmount must be below maxAmount' });
    if (cmp(c.minSpreadBps, c.maxSpreadBps) > 0)
      ctx.addIssue({ code: 'custom', path: ['maxSpreadBps'], message: 'maxSpreadBps must not be below minSpreadBps' });
    if (cmp(c.maxSpreadBps, '10000') >= 0)
      ctx.addIssue({ code: 'custom', path: ['maxSpreadBps'], message: 'maxSpreadBps must be below 10000' });
    if (cmp(c.fixedFee, c.minAmount) >= 0)
      ctx.addIssue({ code: 'custom', path: ['fixedFee'], message: 'fixedFee must be below minAmount' });
  });

const partner = z.strictObject({
  enabled: z.boolean().default(true),
  /** Partner fee in bps, applied to every leg priced from this partner. */
  feeBps: decimal.default('0'),
});

const syntheticPartner = z.strictObject({
  /** Where this partner's mid sits against the market mid. */
  offsetBps: signedDecimal.default('0'),
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

// Partner feeds (feeds/): one entry per partner id, by protocol. Secrets never sit here: a string may say
// ${secret}, filled from the env variable FX_FEED_SECRET_<PARTNER> (upper case, dashes as underscores).
const feedTiming = {
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
const feedTimings = z.strictObject(feedTiming);

const feedCommon = {
  /** Every tick this feed forwards is also appended here (NDJSON, or CSV for a .csv path), for replay. */
  recordPath: z.string().min(1).optional(),
  ...feedTiming,
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
  /** A message whose SendingTime (52) is further than this from our clock: Reject (373=10), Logout, reconnect. */
  maxSendingTimeSkewMs: ms.default(120_000),
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
  /** Overrides of the default limits for this key. */
  limits: limits.partial().optional(),
});

export const configSchema = z
  .strictObject({
    server: restartOnly(z
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
        /** Browser origins allowed to call the API (CORS), e.g. "https://app.example.com"; "*" for any. None by default. */
        corsOrigins: z.array(z.string().regex(/^(?:\*|https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?)$/, 'must be "*" or an origin such as "https://app.example.com"')).default([]),
        /** Base of the problem type URIs (`<publicUrl>/docs/errors#<code>`); without it, http://<Host of the request>. */
        publicUrl: z.string().regex(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/, 'must be an absolute http(s) URL without query or fragment').transform((u) => u.replace(/\/+$/, '')).optional(),
      })
      .prefault({})),
    store: restartOnly(z
      .strictObject({
        /** How long a quote stays readable after it expires (410, not 404). */
        retentionMs: ms.default(86_400_000),
        /** Bound on every Redis command; past it the request answers 503 store_unavailable. */
        commandTimeoutMs: ms.default(500),
        /** How often the store's health probe runs (PING; on a cluster one EXISTS per shard). */
        healthCheckIntervalMs: ms.default(250),
        /** A probe unanswered this long calls the store down (/readyz 503) until one answers. */
        healthCheckTimeoutMs: ms.default(500),
        eventsMaxLen: z.number().int().positive().default(1_000_000),
      })
      .prefault({})),
    pricing: z
      .strictObject({
        workers: restartOnly(z.number().int().min(1).max(64).default(1)),
        pivots: z.array(currency).default(['USD', 'EUR']),
        /** How often corridors are re-checked for legs going stale while no ticks arrive. */
        staleSweepMs: restartOnly(ms.default(250)),
        /** A partner timestamp this far ahead of our clock is refused. */
        maxFutureSkewMs: ms.default(2_000),
        /** A partner timestamp this far behind our clock is refused. */
        maxTickAgeMs: ms.default(60_000),
        /** A tick wider than this ((ask - bid) / mid) is refused. */
        maxTickWidthBps: decimal.default('200'),
        /** A leg further than this from the median of the other fresh partners on its pair is held out of routing. */
        outlierBps: decimal.default('50'),
      })
      .prefault({}),
    partners: z.record(partnerId, partner),
    synthetic: restartOnly(z
      .strictObject({
        seed: z.number().int().default(42),
        ticksPerSecond: z.number().positive().max(10_000).default(4),
        mids: z.record(pair, decimal),
        partners: z.record(z.string(), syntheticPartner),
      })
      .optional()),
    feeds: restartOnly(z.record(z.string(), feedSchema).default({})),
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
    for (const [id, cc] of Object.entries(c.corridors)) {
      const send = id.slice(0, 3);
      const minor = currencyCodes.code(send)?.digits ?? 2;
      if (places(cc.fixedFee) > minor)
        ctx.addIssue({ code: 'custom', path: ['corridors', id, 'fixedFee'], message: `must have at most ${minor} decimals for ${send}` });
      for (const p of Object.keys(cc.partnerMaxAmounts))
        if (!c.partners[p]) ctx.addIssue({ code: 'custom', path: ['corridors', id, 'partnerMaxAmounts', p], message: 'is not a partner in partners' });
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

/** Dot paths (`*` for any key) of the settings marked restartOnly, e.g. "server", "pricing.workers". */
function restartOnlyPathsOf(schema: z.ZodType, path = ''): string[] {
  if (schema.meta()?.restartOnly) return [path];
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType };
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (def.innerType) return restartOnlyPathsOf(def.innerType, path);
  if (def.type === 'pipe' && def.in) return restartOnlyPathsOf(def.in, path);
  if (def.type === 'object' && def.shape) return Object.entries(def.shape).flatMap(([k, v]) => restartOnlyPathsOf(v, at(k)));
  if (def.type === 'record' && def.valueType) return restartOnlyPathsOf(def.valueType, at('*'));
  if (def.type === 'array' && def.element) return restartOnlyPathsOf(def.element, at('*'));
  return [];
}

const restartOnlyPaths = restartOnlyPathsOf(configSchema);

/** Whether a changed setting ("pricing.workers", "feeds.lp-x.url") takes effect only on restart. */
export function takesEffectOnRestart(changedPath: string): boolean {
  const parts = changedPath.split('.');
  return restartOnlyPaths.some((p) => p.split('.').every((seg, i) => seg === '*' ? parts[i] !== undefined : seg === parts[i]));
}

/** Feed timing defaults (connect, heartbeat, backoff, circuit, staleness), for feeds built without a config entry (synthetic, replay). */
export const defaultFeedTimings = (): FeedTimings => feedTimings.parse({});

/** A looping replay of one recording at the recorded pace (`npm start -- --replay path`), every other field at its default. */
export const replayFeedSpec = (path: string): z.output<typeof replayFeed> => replayFeed.parse({ type: 'replay', path, loop: true });

export type Config = z.output<typeof configSchema>;
export type FeedTimings = z.output<typeof feedTimings>;
export type CorridorConfig = Config['corridors'][string];
export type ApiKeyConfig = Config['apiKeys'][number];
export type Scope = ApiKeyConfig['scopes'][number];
export type Limits = Config['limits'];

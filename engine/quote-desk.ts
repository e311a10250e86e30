// The quote desk: what clients see of the hub's snapshots (corridors, tiers, indicative quotes) and firm
// terms locked into, and redeemed from, the quote store. It never prices: the hub's latest fresh snapshot
// is the only price it knows.
//
//   QuoteHub (latest snapshot per corridor) ──► corridors() / indicative() / lock() ──► QuoteStore ◄── redeem()
//
// A lock is the hot path: amounts on scaled integers (firm-amounts.ts), the body from a per-snapshot template
// (only id, amounts, times and leg ages are filled in), and callbacks rather than promises to the store.
// Leg ages are taken here, when the quote is made, from each leg's tick time: on a gateway too.
//
import { isDecimal, type CorridorConfig, type LoadedConfig } from '../config/index.js';
import { systemClock, type Clock } from './clock.js';
import { channels } from './diagnostics.js';
import { fxError, isFxError, type FxError } from './errors.js';
import { canonical, compare, formatMoney, minorUnits, parseAmount } from './decimal.js';
import { formatUnits, receiveUnits, scaledOf, sendUnits, unitsOf, type Scaled } from './firm-amounts.js';
import type { QuoteHub } from './quote-hub.js';
import { isQuoteId, type LockOutcome, type QuoteStore, type RedeemOutcome } from './quote-store.js';
import type { AmountSide, CorridorSnapshot, IndicativeQuote, QuoteLeg, TierPrice, UnavailableReason } from './types.js';

/** A corridor's rules: what a client needs to know before it quotes (amounts in the send currency). */
export interface CorridorRules {
  minAmount: string;
  maxAmount: string;
  /** Fixed fee, in the send currency, taken off the send amount before conversion. */
  fee: string;
  sendDecimals: number;
  receiveDecimals: number;
  quoteTtlMs: number;
}

export interface CorridorTierView {
  tier: number;
  /** Send amount up to which this tier applies (none on the last tier). */
  upTo?: string;
  /** Set while a partner limit caps this tier below its top: larger amounts are refused. */
  maxAmount?: string;
  /** The spread and customer rate in force now; null while the corridor (or this tier) has no price. */
  spreadBps: string | null;
  rate: string | null;
}

export interface CorridorView extends CorridorRules {
  id: string;
  send: string;
  receive: string;
  tradeable: boolean;
  /** Tier 0's rate. */
  rate: string | null;
  mid: string | null;
  updatedAt: string | null;
  tiers: CorridorTierView[];
  /** Why it is not tradeable (absent when it is): a stable code, and a sentence for people. */
  reason?: CorridorReason;
  reasonDetail?: string;
}

/** no_price: nothing priced yet (start-up, or a gateway that has not heard from its pricer). */
export type CorridorReason = UnavailableReason | 'no_price';

export interface LockRequest {
  corridor: unknown;
  side: AmountSide;
  /** As the client gave it, not yet validated. */
  amount: unknown;
}

export interface RedeemRequest {
  id: string;
  /** The redeeming key's name: its Idempotency-Key is scoped to it. */
  caller: string;
  idempotencyKey: string;
  sendAmount?: unknown;
  receiveAmount?: unknown;
  corridor?: unknown;
}

/** What a lock needs of a corridor's config, worked out once per config. */
interface Rules {
  config: CorridorConfig;
  send: string;
  receive: string;
  sendPlaces: number;
  receivePlaces: number;
  /** The fixed fee as the wire shows it ("0.00") and in send minor units. */
  fee: string;
  feeUnits: bigint;
  /** The rules and tier bounds as the API shows them. */
  view: CorridorRules & { tiers: { upTo?: string }[] };
}

/**
 * One tier of one snapshot, made once on its first lock: the lock body's fixed text around the few fields
 * that differ per lock (id, amounts, times, leg ages), and the tier's rate as a scaled integer.
 */
interface TierTemplate {
  tier: TierPrice & { rate: string; route: number };
  rate: Scaled;
  /** After the id, up to the send amount's value. */
  head: string;
  /** After the receive amount, up to createdAt's value. */
  terms: string;
  /** After expiresAt, up to the first leg's ageMs value. */
  route: string;
  /** Each leg's tick time (µs), the text after each ageMs but the last (up to the next leg's), and after the last (the spread, without the terms' closing brace). */
  legTicks: number[];
  afterLeg: string[];
  lastLeg: string;
}

interface Firm {
  corridor: string;
  rules: Rules;
  snapshot: CorridorSnapshot;
  template: TierTemplate;
  sendAmount: string;
  receiveAmount: string;
}

/** How a lock answers: once, with an error (coded, unless a bug) or the outcome (and, for a quote locked now, its id and expiry). */
export type LockCallback = (err: unknown, outcome?: LockOutcome & { id?: string; expiresAtMs?: number }) => void;

/** Publishes a lock or redeem outcome (ok, or the error code) and how long it took since `start` (performance.now()), for metrics. */
function count(op: 'lock' | 'redeem', err: unknown, start: number): void {
  if (!channels.quote.hasSubscribers) return;
  channels.quote.publish({ op, outcome: err === undefined ? 'ok' : isFxError(err) ? err.code : 'internal_error', durationUs: (performance.now() - start) * 1000 });
}

const split = (id: string) => id.split('-') as [string, string];
const J = JSON.stringify;

/** What an Idempotency-Key remembers of a lock request, so a retry is told apart from another request. */
const fingerprint = (corridor: string, side: AmountSide, amount: string) => `${corridor}|${side}|${canonical(amount)}`;

/** A leg's age in ms at `nowMs`, from its tick time in µs. */
const ageOf = (tickTsUs: number, nowMs: number) => Math.max(0, Math.round(nowMs - tickTsUs / 1000));

/** epoch ms -> ISO 8601, remembering the last answer (a busy desk asks for the same millisecond many times). */
class IsoCache {
  #ms = Number.NaN;
  #iso = '';
  at(ms: number): string {
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }
}

/** The tier a send amount falls in. */
export function tierFor<T extends { upTo?: string | undefined }>(tiers: readonly T[], sendAmount: string): T {
  return tiers.find((t) => t.upTo === undefined || compare(sendAmount, t.upTo) <= 0) ?? tiers[tiers.length - 1]!;
}

/** The index of the tier a send amount falls in, as tierFor finds it (a loop: no closure per lock). */
function tierIndexFor(tiers: readonly { upTo?: string | undefined }[], sendAmount: string): number {
  for (let k = 0; k < tiers.length; k++) {
    const upTo = tiers[k]!.upTo;
    if (upTo === undefined || compare(sendAmount, upTo) <= 0) return k;
  }
  return tiers.length - 1;
}

/**
 * The tier a receive amount is priced in: the best-rate tier whose send amount, priced at that tier's rate,
 * still falls in that tier or above. So a customer never gets a better tier than the send amount earns.
 */
export function tierForReceive<T extends { upTo?: string; rate: string | null }>(tiers: readonly T[], sendAt: (t: T) => string): T | undefined {
  for (let k = tiers.length - 1; k >= 0; k--) {
    const t = tiers[k]!;
    if (t.rate === null) continue;
    if (k === 0 || compare(sendAt(t), tiers[k - 1]!.upTo!) > 0) return t;
  }
  return undefined;
}

export interface QuoteDeskOptions {
  config: LoadedConfig;
  hub: QuoteHub;
  store: QuoteStore;
  clock?: Clock;
}

export class QuoteDesk {
  readonly hub: QuoteHub;
  readonly store: QuoteStore;
  readonly #clock: Clock;
  #loaded!: LoadedConfig;
  #rules = new Map<string, Rules>();
  /** Per snapshot (and the config it was made under), its tiers' lock templates, made on first use. */
  #templates = new WeakMap<CorridorSnapshot, { version: string; tiers: (TierTemplate | undefined)[] }>();
  readonly #createdAt = new IsoCache();
  readonly #expiresAt = new IsoCache();

  constructor(opts: QuoteDeskOptions) {
    this.hub = opts.hub;
    this.store = opts.store;
    this.#clock = opts.clock ?? systemClock;
    this.applyConfig(opts.config);
  }

  get config(): LoadedConfig {
    return this.#loaded;
  }

  applyConfig(next: LoadedConfig): void {
    const rules = new Map<string, Rules>();
    for (const [id, c] of Object.entries(next.config.corridors)) {
      const [send, receive] = split(id);
      const sendPlaces = minorUnits(send) ?? 2;
      const receivePlaces = minorUnits(receive) ?? 2;
      const fee = formatMoney(c.fixedFee, send);
      rules.set(id, {
        config: c, send, receive, sendPlaces, receivePlaces, fee, feeUnits: unitsOf(fee, sendPlaces),
        view: {
          minAmount: formatMoney(c.minAmount, send), maxAmount: formatMoney(c.maxAmount, send), fee,
          sendDecimals: sendPlaces, receiveDecimals: receivePlaces, quoteTtlMs: c.quoteTtlMs,
          tiers: c.tiers.map((t) => (t.upTo === undefined ? {} : { upTo: formatMoney(t.upTo, send) })),
        },
      });
    }
    this.#rules = rules;
    this.#loaded = next;
  }

  /** A configured corridor by id; never an Object.prototype name ("constructor", "__proto__"). */
  #corridor(id: string): CorridorConfig | undefined {
    return this.#rules.get(id)?.config;
  }

  #fresh(corridor: string): CorridorSnapshot | undefined {
    const c = this.#corridor(corridor);
    return c && !c.halted ? this.hub.fresh(corridor, c.maxStalenessMs) : undefined;
  }

  corridors(): CorridorView[] {
    return Object.keys(this.#loaded.config.corridors).map((id) => this.#view(id));
  }

  /** One corridor as the API shows it; corridor_not_found for an id not in the config in force. */
  corridor(id: string): CorridorView {
    if (!this.#corridor(id)) throw fxError('corridor_not_found', `no corridor ${id}`);
    return this.#view(id);
  }

  #view(id: string): CorridorView {
    const [send, receive] = split(id);
    const { tiers: bounds, ...rules } = this.#rules.get(id)!.view;
    const s = this.#fresh(id);
    const tiers = bounds.map((b, tier): CorridorTierView => {
      const t = s?.tiers[tier];
      const priced = t?.rate != null;
      return { tier, ...b, ...(priced && t.maxAmount !== undefined ? { maxAmount: t.maxAmount } : {}), spreadBps: priced ? t.spreadBps : null, rate: priced ? t.rate : null };
    });
    const view: CorridorView = {
      id, send, receive,
      tradeable: s !== undefined,
      rate: s?.tiers[0]?.rate ?? null,
      mid: s?.mid ?? null,
      updatedAt: s ? new Date(s.ts / 1000).toISOString() : null,
      ...rules,
      tiers,
    };
    if (!s) Object.assign(view, this.#whyNot(id));
    return view;
  }

  #whyNot(id: string): { reason: CorridorReason; reasonDetail: string } {
    const s = this.hub.get(id);
    // Tradeable but not fresh: its legs aged past the bound and nothing has re-priced it yet.
    // Halted in the config this process holds, whatever its pricer has said yet.
    const reason: CorridorReason = this.#corridor(id)!.halted ? 'halted' : !s ? 'no_price' : s.tradeable ? 'stale' : (s.reason ?? 'no_route');
    const detail: Record<CorridorReason, string> = {
      no_price: 'no price has been made for this corridor yet',
      no_route: 'no partner route has a fresh, eligible price',
      stale: `no price fresher than ${this.#corridor(id)!.maxStalenessMs} ms (maxStalenessMs) has arrived`,
      not_configured: 'the pricer does not hold this corridor in its config yet',
      halted: 'the desk halted this corridor (corridors.' + id + '.halted); resuming needs a change approved by a second admin key',
    };
    return { reason, reasonDetail: detail[reason] };
  }

  /** The spread tier a stream subscription carries: by send amount, or tier 0 without one. */
  tierOf(corridor: string, sendAmount: unknown): number {
    const c = this.#corridor(corridor);
    if (!c) throw fxError('corridor_not_found', `no corridor ${corridor}`);
    if (sendAmount === undefined) return 0;
    const parsed = parseAmount(sendAmount, split(corridor)[0], 'sendAmount');
    if ('error' in parsed) throw fxError('invalid_amount', parsed.error);
    return c.tiers.indexOf(tierFor(c.tiers, parsed.amount));
  }

  /** How many spread tiers a corridor has (0 for an unknown corridor). */
  tierCount(corridor: string): number {
    return this.#corridor(corridor)?.tiers.length ?? 0;
  }

  /** The templates of a snapshot's tiers under the config in force (a tier with no rate or route has none). */
  #templatesOf(snapshot: CorridorSnapshot, r: Rules): (TierTemplate | undefined)[] {
    const version = this.#loaded.version;
    const held = this.#templates.get(snapshot);
    if (held && held.version === version) return held.tiers;
    const tiers = snapshot.tiers.map((tier): TierTemplate | undefined => {
      if (tier.rate === null || tier.route === null) return undefined;
      const legs = snapshot.routes[tier.route]!.legs;
      const legText = (i: number) => `${i ? ',' : ''}{"partner":${J(legs[i]!.partner)},"pair":${J(legs[i]!.pair)},"rate":${J(legs[i]!.rate)},"ageMs":`;
      return {
        tier: tier as TierTemplate['tier'],
        rate: scaledOf(tier.rate),
        head: `","corridor":${J(snapshot.corridor)},"sendCurrency":${J(r.send)},"receiveCurrency":${J(r.receive)},"sendAmount":"`,
        terms: `","rate":${J(tier.rate)},"fee":${J(r.fee)},"createdAt":"`,
        route: `","configVersion":${J(snapshot.configVersion)},"route":[${legText(0)}`,
        legTicks: legs.map((l) => l.tickTs),
        afterLeg: legs.slice(1).map((_, i) => `}${legText(i + 1)}`),
        lastLeg: `}],"spread":${J(tier.spread)}`,
      };
    });
    this.#templates.set(snapshot, { version, tiers });
    return tiers;
  }

  /** Firm terms for an amount from the latest fresh snapshot, or a coded refusal. */
  #firm(corridor: unknown, side: AmountSide, amount: unknown): Firm {
    const r = typeof corridor === 'string' ? this.#rules.get(corridor) : undefined;
    if (typeof corridor !== 'string' || !r) throw fxError('corridor_not_found', `no corridor ${String(corridor)}`);
    const { config: c, send, receive } = r;
    const parsed = parseAmount(amount, side === 'send' ? send : receive, side === 'send' ? 'sendAmount' : 'receiveAmount');
    if ('error' in parsed) throw fxError('invalid_amount', parsed.error);
    if (c.halted) throw fxError('corridor_halted', `the desk halted ${corridor}; nothing is locked until it is resumed`);
    const snapshot = this.hub.fresh(corridor, c.maxStalenessMs);
    if (!snapshot) throw fxError('corridor_unavailable', `${corridor} has no fresh price right now`);
    const templates = this.#templatesOf(snapshot, r);
    let template: TierTemplate | undefined;
    let sendAmount: string;
    let receiveAmount: string;
    if (side === 'send') {
      sendAmount = parsed.amount;
      const k = tierIndexFor(snapshot.tiers, sendAmount);
      template = templates[k];
      receiveAmount = template ? formatUnits(receiveUnits(unitsOf(sendAmount, r.sendPlaces), r.feeUnits, r.sendPlaces, template.rate, r.receivePlaces), r.receivePlaces) : '0';
    } else {
      receiveAmount = parsed.amount;
      const units = unitsOf(receiveAmount, r.receivePlaces);
      const sendAt = (t: TierTemplate) => formatUnits(sendUnits(units, r.feeUnits, r.receivePlaces, t.rate, r.sendPlaces), r.sendPlaces);
      // The best-rate tier whose send amount, priced at that tier's rate, still falls in that tier or above.
      sendAmount = '0';
      for (let k = templates.length - 1; k >= 0; k--) {
        const t = templates[k];
        if (!t) continue;
        const at = sendAt(t);
        if (k === 0 || compare(at, snapshot.tiers[k - 1]!.upTo!) > 0) {
          template = t;
          sendAmount = at;
          break;
        }
      }
    }
    if (!template) throw fxError('corridor_unavailable', `${corridor} has no eligible partner route for this amount right now`);
    if (compare(sendAmount, c.minAmount) < 0 || compare(sendAmount, c.maxAmount) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is outside ${c.minAmount}..${c.maxAmount} ${send} for ${corridor}`);
    const max = template.tier.maxAmount;
    if (max !== undefined && compare(sendAmount, max) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is above ${max} ${send}, the most the partners on ${corridor} take right now`);
    if (receiveAmount.startsWith('-') || compare(receiveAmount, '0') <= 0)
      throw fxError('amount_out_of_range', `receiveAmount would be 0 ${receive}`);
    return { corridor, rules: r, snapshot, template, sendAmount, receiveAmount };
  }

  /** The legs as a quote made at `nowMs` shows them: each with its tick's age then. */
  #route(f: Firm, nowMs: number): QuoteLeg[] {
    return f.snapshot.routes[f.template.tier.route]!.legs.map((l) => ({ partner: l.partner, pair: l.pair, rate: l.rate, ageMs: ageOf(l.tickTs, nowMs) }));
  }

  indicative(corridor: unknown, side: AmountSide, amount: unknown): IndicativeQuote {
    const f = this.#firm(corridor, side, amount);
    const { tier } = f.template;
    return {
      corridor: f.corridor, sendCurrency: f.rules.send, receiveCurrency: f.rules.receive, sendAmount: f.sendAmount, receiveAmount: f.receiveAmount,
      rate: tier.rate, mid: f.snapshot.mid!, spreadBps: tier.spreadBps, spread: tier.spread, tier: tier.tier, fee: f.rules.fee,
      configVersion: f.snapshot.configVersion, tickTs: f.snapshot.tickTs, route: this.#route(f, this.#clock.nowMs()),
    };
  }

  /**
   * Locks firm terms for the key `owner`: one store round trip, and the store holds the quote before `done`
   * hears of it, so a client only ever hears of a quote that exists. With an idempotency key (scoped to the
   * owner), the same request answers the same quote: the key names the quote's id, and the store's lock step
   * finds an earlier one there; a retry the desk cannot price now (stale, moved out of range) asks the store
   * what the key locked before. `done` may be
   * called before this returns.
   */
  lock(req: LockRequest, opts: { owner: string; idempotencyKey?: string }, done: LockCallback): void {
    const start = performance.now();
    // The owner's name by its length, so no name and key pair reads as another's ("a" + "b:c" is not "a:b" + "c").
    const scopedKey = opts.idempotencyKey === undefined ? undefined : `${opts.owner.length}:${opts.owner}:${opts.idempotencyKey}`;
    let f: Firm;
    try {
      f = this.#firm(req.corridor, req.side, req.amount);
    } catch (err) {
      if (scopedKey === undefined || !isFxError(err)) return answer(done, start, err);
      return void this.#replay(scopedKey, req, err).then((outcome) => answer(done, start, undefined, outcome), (e: unknown) => answer(done, start, e));
    }
    const c = f.rules.config;
    const now = this.#clock.nowMs();
    const expiresAtMs = now + c.quoteTtlMs;
    let id: string;
    try {
      id = this.store.newId(scopedKey);
    } catch (err) {
      return answer(done, start, err);
    }
    const t = f.template;
    // The terms up to their closing brace: the stored terms close it, the answer adds its status first.
    let open = `{"id":"${id}${t.head}${f.sendAmount}","receiveAmount":"${f.receiveAmount}${t.terms}${this.#createdAt.at(now)}","expiresAt":"${this.#expiresAt.at(expiresAtMs)}${t.route}`;
    const legs = t.legTicks.length;
    for (let i = 0; i < legs - 1; i++) open += ageOf(t.legTicks[i]!, now) + t.afterLeg[i]!;
    open += ageOf(t.legTicks[legs - 1]!, now) + t.lastLeg;
    const body = `${open},"status":"locked"}`;
    this.store.lock({
      id, terms: `${open}}`, body, owner: opts.owner, corridor: f.corridor, sendAmount: f.sendAmount, receiveAmount: f.receiveAmount, expiresAtMs,
      idempotency: scopedKey === undefined ? undefined : { key: scopedKey, fingerprint: fingerprint(f.corridor, req.side, req.side === 'send' ? f.sendAmount : f.receiveAmount) },
    }, (err, outcome) => {
      count('lock', err, start);
      if (err || outcome!.replayed) return done(err, outcome);
      done(undefined, { body: outcome!.body, replayed: false, id, expiresAtMs });
    });
  }

  /** A retry the desk cannot price: the quote this key locked before, if it was this request; else the refusal. */
  async #replay(scopedKey: string, req: LockRequest, refusal: FxError): Promise<LockOutcome> {
    const seen = await this.store.lockedWith(scopedKey);
    if (!seen) throw refusal;
    const sameRequest = isDecimal(req.amount) && seen.fingerprint === fingerprint(String(req.corridor), req.side, req.amount);
    if (!sameRequest) throw fxError('idempotency_key_reused', 'this Idempotency-Key was used to lock a different request');
    return { body: seen.body, replayed: true };
  }

  /** The quote as `viewer` may see it: with `owner`, only a quote that key locked (any other is quote_not_found). */
  async getQuote(id: string, viewer: { owner?: string } = {}): Promise<string> {
    if (!isQuoteId(id)) throw fxError('quote_not_found', `no quote ${id}`);
    return this.store.get(id, viewer.owner);
  }

  async redeem(req: RedeemRequest): Promise<RedeemOutcome> {
    const start = performance.now();
    try {
      const outcome = await this.#redeem(req);
      count('redeem', undefined, start);
      return outcome;
    } catch (err) {
      count('redeem', err, start);
      throw err;
    }
  }

  #redeem(req: RedeemRequest): Promise<RedeemOutcome> {
    if (!isQuoteId(req.id)) throw fxError('quote_not_found', `no quote ${req.id}`);
    const amount = (v: unknown, name: string): string | undefined => {
      if (v === undefined) return undefined;
      // The currency is not known before the quote is read: check the form here, compare canonically in the store.
      if (!isDecimal(v) || compare(v, '0') <= 0) throw fxError('invalid_amount', `${name} must be a positive decimal string such as "1000.00"`);
      return canonical(v);
    };
    const sendAmount = amount(req.sendAmount, 'sendAmount');
    const receiveAmount = amount(req.receiveAmount, 'receiveAmount');
    if (sendAmount === undefined && receiveAmount === undefined) throw fxError('invalid_amount', 'sendAmount or receiveAmount is required');
    if (req.corridor !== undefined && typeof req.corridor !== 'string') throw fxError('invalid_request', 'corridor must be a string');
    return this.store.redeem({
      id: req.id, caller: req.caller, idempotencyKey: req.idempotencyKey, sendAmount, receiveAmount, corridor: req.corridor as string | undefined,
    });
  }
}

/** Counts a refusal the desk made itself (or a replay), then answers. */
function answer(done: LockCallback, start: number, err: unknown, outcome?: LockOutcome): void {
  count('lock', err, start);
  done(err, outcome);
}

// The quote desk: what clients see of the hub's snapshots (corridors, tiers, indicative quotes) and firm
// terms locked into, and redeemed from, the quote store. It never prices: the hub's latest fresh snapshot
// is the only price it knows.
//
//   QuoteHub (latest snapshot per corridor) ──► corridors() / indicative() / lock() ──► QuoteStore ◄── redeem()
//
import { isDecimal, type CorridorConfig, type LoadedConfig } from '../config/index.js';
import { systemClock, type Clock } from './clock.js';
import { channels } from './diagnostics.js';
import { fxError, isFxError } from './errors.js';
import { canonical, compare, formatMoney, minorUnits, parseAmount, receiveFor, sendFor } from './decimal.js';
import type { QuoteHub } from './quote-hub.js';
import { isQuoteId, type LockOutcome, type QuoteStore, type RedeemOutcome } from './quote-store.js';
import type { AmountSide, CorridorSnapshot, IndicativeQuote, QuoteTerms, RouteLeg, TierPrice, UnavailableReason } from './types.js';

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
  idempotencyKey: string;
  sendAmount?: unknown;
  receiveAmount?: unknown;
  corridor?: unknown;
}

interface Firm {
  corridor: string;
  send: string;
  receive: string;
  snapshot: CorridorSnapshot;
  tier: TierPrice & { rate: string; route: number };
  sendAmount: string;
  receiveAmount: string;
  fee: string;
}

/** Runs a lock or redeem and publishes its outcome (ok, or the error code) for metrics. */
async function counted<T>(op: 'lock' | 'redeem', fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    const result = await fn();
    channels.quote.publish({ op, outcome: 'ok', durationUs: (performance.now() - start) * 1000 });
    return result;
  } catch (err) {
    channels.quote.publish({ op, outcome: isFxError(err) ? err.code : 'internal_error', durationUs: (performance.now() - start) * 1000 });
    throw err;
  }
}

const split = (id: string) => id.split('-') as [string, string];

/** What an Idempotency-Key remembers of a lock request, so a retry is told apart from another request. */
const fingerprint = (corridor: string, side: AmountSide, amount: string) => `${corridor}|${side}|${canonical(amount)}`;

/** The tier a send amount falls in. */
export function tierFor<T extends { upTo?: string | undefined }>(tiers: readonly T[], sendAmount: string): T {
  return tiers.find((t) => t.upTo === undefined || compare(sendAmount, t.upTo) <= 0) ?? tiers[tiers.length - 1]!;
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
  /** corridor -> its fixed fee in send-currency minor units ("0.00"), formatted once per config */
  readonly #fees = new Map<string, string>();
  /** corridor -> its rules and tier bounds as the API shows them, formatted once per config */
  readonly #rules = new Map<string, CorridorRules & { tiers: { upTo?: string }[] }>();

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
    this.#fees.clear();
    this.#rules.clear();
    for (const [id, cc] of Object.entries(next.config.corridors)) {
      const [send, receive] = split(id);
      const fee = formatMoney(cc.fixedFee, send);
      this.#fees.set(id, fee);
      this.#rules.set(id, {
        minAmount: formatMoney(cc.minAmount, send), maxAmount: formatMoney(cc.maxAmount, send), fee,
        sendDecimals: minorUnits(send) ?? 2, receiveDecimals: minorUnits(receive) ?? 2, quoteTtlMs: cc.quoteTtlMs,
        tiers: cc.tiers.map((t) => (t.upTo === undefined ? {} : { upTo: formatMoney(t.upTo, send) })),
      });
    }
    this.#loaded = next;
  }

  /** A configured corridor by id; never an Object.prototype name ("constructor", "__proto__"). */
  #corridor(id: string): CorridorConfig | undefined {
    const all = this.#loaded.config.corridors;
    return Object.hasOwn(all, id) ? all[id] : undefined;
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
    const { tiers: bounds, ...rules } = this.#rules.get(id)!;
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

  /** Firm terms for an amount from the latest fresh snapshot, or a coded refusal. */
  #firm(corridor: unknown, side: AmountSide, amount: unknown): Firm {
    const c = typeof corridor === 'string' ? this.#corridor(corridor) : undefined;
    if (typeof corridor !== 'string' || !c) throw fxError('corridor_not_found', `no corridor ${String(corridor)}`);
    const [send, receive] = split(corridor);
    const parsed = parseAmount(amount, side === 'send' ? send : receive, side === 'send' ? 'sendAmount' : 'receiveAmount');
    if ('error' in parsed) throw fxError('invalid_amount', parsed.error);
    if (c.halted) throw fxError('corridor_halted', `the desk halted ${corridor}; nothing is locked until it is resumed`);
    const snapshot = this.hub.fresh(corridor, c.maxStalenessMs);
    if (!snapshot) throw fxError('corridor_unavailable', `${corridor} has no fresh price right now`);
    const fee = this.#fees.get(corridor)!;
    let tier: TierPrice | undefined;
    let sendAmount: string;
    let receiveAmount: string;
    if (side === 'send') {
      sendAmount = parsed.amount;
      tier = tierFor(snapshot.tiers, sendAmount);
      receiveAmount = tier.rate === null ? '0' : receiveFor(sendAmount, tier.rate, receive, fee);
    } else {
      receiveAmount = parsed.amount;
      tier = tierForReceive(snapshot.tiers, (t) => sendFor(receiveAmount, t.rate!, send, fee));
      sendAmount = tier ? sendFor(receiveAmount, tier.rate!, send, fee) : '0';
    }
    if (!tier || tier.rate === null || tier.route === null)
      throw fxError('corridor_unavailable', `${corridor} has no eligible partner route for this amount right now`);
    if (compare(sendAmount, c.minAmount) < 0 || compare(sendAmount, c.maxAmount) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is outside ${c.minAmount}..${c.maxAmount} ${send} for ${corridor}`);
    if (tier.maxAmount !== undefined && compare(sendAmount, tier.maxAmount) > 0)
      throw fxError('amount_out_of_range', `sendAmount ${sendAmount} ${send} is above ${tier.maxAmount} ${send}, the most the partners on ${corridor} take right now`);
    if (compare(receiveAmount, '0') <= 0)
      throw fxError('amount_out_of_range', `receiveAmount would be 0 ${receive}`);
    return { corridor, send, receive, snapshot, tier: tier as Firm['tier'], sendAmount, receiveAmount, fee };
  }

  #route(f: Firm): RouteLeg[] {
    return f.snapshot.routes[f.tier.route]!.legs.map((l) => ({ partner: l.partner, pair: l.pair, rate: l.rate, ageMs: l.ageMs }));
  }

  indicative(corridor: unknown, side: AmountSide, amount: unknown): IndicativeQuote {
    const f = this.#firm(corridor, side, amount);
    return {
      corridor: f.corridor, sendCurrency: f.send, receiveCurrency: f.receive, sendAmount: f.sendAmount, receiveAmount: f.receiveAmount,
      rate: f.tier.rate, mid: f.snapshot.mid!, spreadBps: f.tier.spreadBps, spread: f.tier.spread, tier: f.tier.tier, fee: f.fee,
      configVersion: f.snapshot.configVersion, tickTs: f.snapshot.tickTs, route: this.#route(f),
    };
  }

  /**
   * Locks firm terms. The store holds the quote before this resolves, so a client only ever hears of a
   * quote that exists. With an idempotency key (scoped to the caller), the same request answers the same quote.
   */
  lock(req: LockRequest, opts: { principal: string; idempotencyKey?: string }): Promise<LockOutcome> {
    return counted('lock', () => this.#lock(req, opts));
  }

  async #lock(req: LockRequest, opts: { principal: string; idempotencyKey?: string }): Promise<LockOutcome> {
    const scopedKey = opts.idempotencyKey === undefined ? undefined : `${opts.principal}:${opts.idempotencyKey}`;
    // A retry answers with the quote it locked before, even if the price has moved or gone stale since.
    // (The lock script still decides a race between two first tries atomically.)
    const seen = scopedKey === undefined ? undefined : await this.store.lockedWith(scopedKey);
    if (seen) {
      const sameRequest = isDecimal(req.amount) && seen.fingerprint === fingerprint(String(req.corridor), req.side, req.amount);
      if (!sameRequest) throw fxError('idempotency_key_reused', 'this Idempotency-Key was used to lock a different request');
      return { body: seen.body, replayed: true };
    }
    const f = this.#firm(req.corridor, req.side, req.amount);
    const c = this.#corridor(f.corridor)!;
    const now = this.#clock.nowMs();
    const expiresAtMs = now + c.quoteTtlMs;
    const terms: QuoteTerms = {
      id: this.store.newId(scopedKey),
      corridor: f.corridor,
      sendCurrency: f.send,
      receiveCurrency: f.receive,
      sendAmount: f.sendAmount,
      receiveAmount: f.receiveAmount,
      rate: f.tier.rate,
      fee: f.fee,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      configVersion: f.snapshot.configVersion,
      route: this.#route(f),
      spread: f.tier.spread,
    };
    return this.store.lock({
      terms,
      expiresAtMs,
      idempotency: scopedKey === undefined ? undefined : { key: scopedKey, fingerprint: fingerprint(f.corridor, req.side, req.side === 'send' ? f.sendAmount : f.receiveAmount) },
    });
  }

  async getQuote(id: string): Promise<string> {
    if (!isQuoteId(id)) throw fxError('quote_not_found', `no quote ${id}`);
    return this.store.get(id);
  }

  redeem(req: RedeemRequest): Promise<RedeemOutcome> {
    return counted('redeem', () => this.#redeem(req));
  }

  async #redeem(req: RedeemRequest): Promise<RedeemOutcome> {
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
    return this.store.redeem({ id: req.id, idempotencyKey: req.idempotencyKey, sendAmount, receiveAmount, corridor: req.corridor as string | undefined });
  }
}

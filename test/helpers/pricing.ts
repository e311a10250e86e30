// A small desk config and tick builders for pricing tests that run the worker's code in-process.
import { validateConfig, type LoadedConfig } from '../../config/index.js';
import { tickLines, priceBatch, pricingConfig, type BookTick, type PricedCorridor, type PricingConfig, type VolatilityState } from '../../engine/index.js';

/** Wednesday 2026-11-18 10:00 in New York: the FX market is open. */
export const OPEN = Date.parse('2026-11-18T15:00:00Z');
/** Saturday 2026-11-21 07:00 in New York: the FX market is closed. */
export const CLOSED = Date.parse('2026-11-21T12:00:00Z');

export function deskDoc(): any {
  return {
    pricing: { pivots: ['USD', 'EUR'], outlierBps: '50' },
    partners: { 'lp-a': { feeBps: '0' }, 'lp-b': { feeBps: '0' }, 'lp-c': { feeBps: '10' } },
    corridors: {
      'USD-INR': { ratePrecision: 4, minAmount: '10', maxAmount: '50000', tiers: [{ upTo: '1000', spreadBps: '50' }, { spreadBps: '20' }] },
      'GBP-EUR': { ratePrecision: 6, minAmount: '10', maxAmount: '50000', tiers: [{ spreadBps: '30' }] },
      'AED-INR': { ratePrecision: 4, minAmount: '10', maxAmount: '50000', tiers: [{ spreadBps: '50' }] },
      'USD-JPY': { ratePrecision: 3, minAmount: '10', maxAmount: '50000', tiers: [{ spreadBps: '20' }] },
      'KWD-INR': { ratePrecision: 4, minAmount: '5', maxAmount: '15000', tiers: [{ spreadBps: '25' }] },
    },
  };
}

export function desk(edit: (doc: any) => void = () => {}): LoadedConfig {
  const doc = deskDoc();
  edit(doc);
  return validateConfig(doc);
}

let seq = 0;
/** A tick that arrived `ageMs` before `nowMs`. */
export function tick(partner: string, pair: string, bid: string, ask: string, opts: { nowMs?: number; ageMs?: number; seq?: number } = {}): BookTick {
  const at = (opts.nowMs ?? OPEN) - (opts.ageMs ?? 0);
  return { partner, pair, bid, ask, ts: at, seq: opts.seq ?? ++seq, receivedAtUs: at * 1000, asOfUs: at * 1000 };
}

export function price(
  cfg: LoadedConfig | PricingConfig, ticks: BookTick[] | string, corridor: string,
  opts: { nowMs?: number; volatility?: Record<string, VolatilityState> } = {},
): PricedCorridor & { heldOut: string[] } {
  const pc = 'corridors' in cfg ? cfg : pricingConfig(cfg);
  const { corridors, heldOut } = priceBatch(
    { nowMs: opts.nowMs ?? OPEN, configVersion: pc.version, corridors: [corridor], ticks: typeof ticks === 'string' ? ticks : tickLines(ticks), volatility: opts.volatility ?? {} }, pc,
  );
  return { ...corridors[0]!, heldOut };
}

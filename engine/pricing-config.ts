// The slice of the config the pricing workers need, as plain strings and numbers (it crosses threads).
import type { LoadedConfig } from '../config/index.js';
import type { PricingConfig } from './pricing-messages.js';

export function pricingConfig({ config: c, version }: LoadedConfig): PricingConfig {
  return {
    version,
    pivots: [...c.pricing.pivots],
    outlierBps: c.pricing.outlierBps,
    partners: Object.fromEntries(Object.entries(c.partners).map(([id, p]) => [id, { enabled: p.enabled, feeBps: p.feeBps }])),
    corridors: Object.fromEntries(Object.entries(c.corridors).map(([id, cc]) => {
      const [send, receive] = id.split('-') as [string, string];
      return [id, {
        send, receive, maxStalenessMs: cc.maxStalenessMs, ratePrecision: cc.ratePrecision, maxAmount: cc.maxAmount,
        tiers: cc.tiers.map((t) => ({ ...t })), minSpreadBps: cc.minSpreadBps, maxSpreadBps: cc.maxSpreadBps,
        marketClosedBps: cc.marketClosedBps, skewBps: cc.skewBps, partnerMaxAmounts: { ...cc.partnerMaxAmounts }, halted: cc.halted,
        ...(cc.volatility ? { volatility: { ...cc.volatility } } : {}),
      }];
    })),
  };
}

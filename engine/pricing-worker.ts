// Piscina worker entry: prices one batch. No I/O here. The config travels only when asked for: a batch
// names its config version, and a worker that does not hold that version answers needConfig.
import { performance } from 'node:perf_hooks';
import { configFor, priceBatch } from './pricing.js';
import type { PricingBatch, PricingResult } from './pricing-messages.js';

export default function price(batch: PricingBatch): PricingResult {
  const start = performance.now();
  const cfg = configFor(batch);
  if (!cfg) return { kind: 'needConfig' };
  const { corridors, heldOut } = priceBatch(batch, cfg);
  return { kind: 'priced', corridors, heldOut, workUs: Math.round((performance.now() - start) * 1000) };
}

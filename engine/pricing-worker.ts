// Piscina worker entry: prices one batch. No I/O here.
import { performance } from 'node:perf_hooks';
import { priceBatch } from './pricing.js';
import type { PricingBatch, PricingResult } from './pricing-messages.js';

export default function price(batch: PricingBatch): PricingResult {
  const start = performance.now();
  const corridors = priceBatch(batch);
  return { corridors, workUs: Math.round((performance.now() - start) * 1000) };
}

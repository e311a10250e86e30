// A pricing worker entry that ends its thread (a crash, not a thrown error) on the first batch it sees
// while the marker file named by FX_TEST_CRASH_MARKER exists, and removes the marker so it happens once.
import { existsSync, rmSync } from 'node:fs';
import type { PricingBatch } from '../../engine/pricing-messages.js';
import price from '../../engine/pricing-worker.js';

export default function crashOnce(batch: PricingBatch) {
  const marker = process.env.FX_TEST_CRASH_MARKER;
  if (marker && existsSync(marker)) {
    rmSync(marker);
    process.exit(1);
  }
  return price(batch);
}

// The corridor gauges follow the config in force: a halted corridor reads halted, and one the config no longer
// has leaves the exposition instead of staying at its last value (a stale 0 would page forever).
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../gateway/metrics.js';

describe('the corridor gauges', () => {
  it('say tradeable and halted per configured corridor, and drop a corridor the config drops', async () => {
    let corridors = [{ id: 'USD-INR', tradeable: true, halted: false }, { id: 'GBP-INR', tradeable: false, halted: true }];
    const metrics = new Metrics(() => corridors, true);
    try {
      const text = async () => (await metrics.registry.getSingleMetricAsString('fx_corridor_tradeable')) + '\n' + (await metrics.registry.getSingleMetricAsString('fx_corridor_halted'));
      expect(await text()).toMatch(/fx_corridor_tradeable\{corridor="USD-INR"\} 1\nfx_corridor_tradeable\{corridor="GBP-INR"\} 0/);
      expect(await text()).toMatch(/fx_corridor_halted\{corridor="USD-INR"\} 0\nfx_corridor_halted\{corridor="GBP-INR"\} 1/);
      corridors = [{ id: 'USD-INR', tradeable: true, halted: false }];
      expect(await text()).not.toMatch(/GBP-INR/);
    } finally {
      metrics.close();
    }
  });
});

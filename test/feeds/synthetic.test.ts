// Synthetic partners tick each pair on its own jittered schedule, and a seed still fixes every tick.
import { describe, expect, it } from 'vitest';
import { defaultFeedTimings } from '../../config/index.js';
import type { PartnerTick } from '../../engine/index.js';
import { SyntheticFeed } from '../../feeds/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

const mids = { 'USD/INR': '84.50', 'GBP/INR': '107.30', 'EUR/INR': '91.40' };
const START = Date.parse('2026-11-18T15:00:00Z');

/** `ms` of fake time of one synthetic partner at 20 ticks/s per pair. */
function record(seed: number, ms: number): PartnerTick[] {
  const clock = new ManualClock(START);
  const ticks: PartnerTick[] = [];
  const feed = new SyntheticFeed('lp-a', { seed, ticksPerSecond: 20, mids }, { offsetBps: '0', halfSpreadBps: '4', noiseBps: '1', pairs: Object.keys(mids) }, (t) => void ticks.push(t), clock, defaultFeedTimings());
  feed.start();
  clock.advance(ms);
  feed.stop();
  return ticks;
}

describe('synthetic partners', () => {
  it('give the same ticks, prices and times, for the same seed, and other ones for another seed', () => {
    expect(record(42, 5_000)).toEqual(record(42, 5_000));
    expect(record(43, 5_000).map((t) => t.bid)).not.toEqual(record(42, 5_000).map((t) => t.bid));
  });

  it('tick each pair on its own schedule: jittered intervals around 1/ticksPerSecond, pairs out of step', () => {
    const ticks = record(42, 20_000);
    const byPair = Object.keys(mids).map((pair) => ticks.filter((t) => t.pair === pair));
    for (const own of byPair) {
      // 20 ticks/s for 20 s, one at connect: about 400 each
      expect(own.length).toBeGreaterThan(360);
      expect(own.length).toBeLessThan(440);
      const gaps = own.slice(2).map((t, i) => t.ts - own[i + 1]!.ts); // from the first scheduled tick on
      expect(new Set(gaps).size).toBeGreaterThan(20); // not one fixed interval
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25 - 1);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(75 + 1);
    }
    // after the first round (all at connect), pairs seldom tick in the same millisecond
    const later = ticks.filter((t) => t.ts > START);
    const sameInstant = later.filter((t, i) => i > 0 && t.ts === later[i - 1]!.ts).length;
    expect(sameInstant / later.length).toBeLessThan(0.1);
  });
});

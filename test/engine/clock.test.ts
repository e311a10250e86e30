import { describe, expect, it } from 'vitest';
import { systemClock } from '../../engine/index.js';

describe('system clock', () => {
  it('gives microseconds on the wall clock, never going backwards', () => {
    let prev = 0;
    for (let i = 0; i < 100_000; i++) {
      const us = systemClock.nowUs();
      expect(us > prev).toBe(true);
      prev = us;
    }
    expect(Math.abs(systemClock.nowUs() / 1000 - Date.now())).toBeLessThan(5);
  });
});

import { describe, expect, it } from 'vitest';
import { marketClosed } from '../../engine/index.js';

const at = (iso: string) => marketClosed(Date.parse(iso));

describe('the FX market', () => {
  it('closes Friday 17:00 and opens Sunday 17:00 in New York (EST, UTC-5, in November)', () => {
    expect(at('2026-11-20T21:59:59Z')).toBe(false); // Fri 16:59:59
    expect(at('2026-11-20T22:00:00Z')).toBe(true); // Fri 17:00
    expect(at('2026-11-21T12:00:00Z')).toBe(true); // Sat
    expect(at('2026-11-22T21:59:59Z')).toBe(true); // Sun 16:59:59
    expect(at('2026-11-22T22:00:00Z')).toBe(false); // Sun 17:00
    expect(at('2026-11-18T15:00:00Z')).toBe(false); // Wed
  });

  it('follows daylight saving time (EDT, UTC-4, in July)', () => {
    expect(at('2026-07-10T20:59:00Z')).toBe(false); // Fri 16:59 EDT
    expect(at('2026-07-10T21:00:00Z')).toBe(true); // Fri 17:00 EDT
    expect(at('2026-07-12T20:59:00Z')).toBe(true); // Sun 16:59 EDT
    expect(at('2026-07-12T21:00:00Z')).toBe(false); // Sun 17:00 EDT
  });
});

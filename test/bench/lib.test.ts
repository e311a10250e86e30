import { describe, expect, it } from 'vitest';
import { histogramQuantile, rows, table, type RunRecord, type Scrape } from '../../bench/lib/index.js';

const histogram = (counts: Record<string, number>, name = 'fx_t_seconds'): Scrape =>
  new Map(Object.entries(counts).map(([le, n]) => [`${name}_bucket{le="${le}"}`, n]));

describe('histogramQuantile', () => {
  it('reads only what was observed between the two scrapes, interpolating inside the bucket', () => {
    const before = histogram({ '0.001': 100, '0.002': 100, '+Inf': 100 });
    const after = histogram({ '0.001': 150, '0.002': 200, '+Inf': 200 });
    // 100 new observations: 50 up to 1 ms, 50 between 1 and 2 ms; the median is the 1 ms bound.
    expect(histogramQuantile(before, after, 'fx_t_seconds', 0.5)).toBeCloseTo(0.001);
    expect(histogramQuantile(before, after, 'fx_t_seconds', 0.75)).toBeCloseTo(0.0015);
  });

  it('answers the last finite bound for ranks past it, and NaN with nothing observed', () => {
    const after = histogram({ '0.001': 1, '0.002': 1, '+Inf': 10 });
    expect(histogramQuantile(new Map(), after, 'fx_t_seconds', 0.99)).toBe(0.002);
    expect(histogramQuantile(after, after, 'fx_t_seconds', 0.5)).toBeNaN();
  });
});

describe('the bench table', () => {
  const runs: RunRecord[] = [
    { round: 1, system: 'engine', figures: { rps: 300, p99: 2 } },
    { round: 1, system: 'peer', figures: { rps: 100, p99: Number.NaN } },
    { round: 2, system: 'engine', figures: { rps: 500, p99: 4 } },
    { round: 2, system: 'peer', figures: { rps: 100, p99: 8 } },
    { round: 1, system: 'limit', figures: { rps: 1000 } },
  ];
  const metrics = [{ key: 'rps', label: 'throughput', better: 'higher' as const }, { key: 'p99', label: 'p99', better: 'lower' as const }];

  it('gives each system its median over the runs that have the figure, and the first system over each other', () => {
    const [rps, p99] = rows(metrics, runs, ['engine', 'peer', 'limit']);
    expect(rps).toMatchObject({ values: [400, 100, 1000], ratios: { 'engine/peer': 4, 'engine/limit': 0.4 }, runs: 2 });
    expect(p99!.values.slice(0, 2)).toEqual([3, 8]);
    expect(p99!.values[2]).toBeNaN();
  });

  it('prints a dash where a system has no figure', () => {
    const text = table(rows(metrics, runs, ['engine', 'peer', 'limit']), ['engine', 'peer', 'limit']);
    expect(text.split('\n')[0]).toContain('ratio engine/limit');
    expect(text.split('\n').at(-1)).toMatch(/\| p99 \(lower is better\) +\| +3 \| +8 \| +— \| +0\.38 \| +— \| +2 \|/);
  });
});

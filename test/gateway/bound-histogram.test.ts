// The bound histogram writes what prom-client's Histogram writes for the same observations.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../gateway/bound-histogram.js';

const BUCKETS = [100e-6, 250e-6, 1e-3, 2.5];

describe('BoundHistogram', () => {
  it('exposes the same text as prom-client for the same observations, bounds and +Inf included', async () => {
    const [ours, theirs] = [new Registry(), new Registry()];
    const bound = new BoundHistogram('x_seconds', 'help "quoted"\\ and\nnewline', ['route', 'status'], BUCKETS, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'help "quoted"\\ and\nnewline', labelNames: ['route', 'status'], buckets: BUCKETS, registers: [theirs] });
    const seen: [string, string, number][] = [
      ['/v1/quotes', '201', 100e-6], ['/v1/quotes', '201', 100.1e-6], ['/v1/quotes', '201', 0], ['/v1/quotes', '201', 3],
      ['/v1/quotes', '409', 2.5], ['/a "b"\\c', '200', 0.0009],
    ];
    const children = new Map<string, { observe(v: number): void }>();
    for (const [route, status, v] of seen) {
      const k = `${route} ${status}`;
      if (!children.has(k)) children.set(k, bound.labels(route, status));
      children.get(k)!.observe(v);
      reference.labels(route, status).observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());

    ours.resetMetrics();
    reference.reset();
    for (const [route, status] of seen) reference.labels(route, status).observe(0);
    for (const [route, status] of seen) children.get(`${route} ${status}`)!.observe(0);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

// A Prometheus histogram for the per-request paths: a child is bound to its label values once, and an observe
// is a bucket search and three additions. prom-client's own child re-checks and hashes its labels on every
// observe, which cost more than the rest of a lock's metrics. Exposed through a prom-client registry, in the
// text prom-client's Histogram writes (the same lines, in the same order).
import type { Registry } from 'prom-client';

interface Child {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), the last one above every bound (+Inf). */
  counts: Float64Array;
  sum: number;
}

export class BoundHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #children = new Map<string, Child>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child for these label values (in labelNames' order), made on first use. */
  labels(...values: string[]): { observe(seconds: number): void } {
    const key = values.join('\u0000');
    let child = this.#children.get(key);
    if (!child) {
      const labels = Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] ?? '']));
      this.#children.set(key, (child = { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0 }));
    }
    const c = child;
    const bounds = this.buckets;
    return {
      observe(seconds: number): void {
        let i = 0;
        while (i < bounds.length && seconds > bounds[i]!) i++;
        c.counts[i]!++;
        c.sum += seconds;
      },
    };
  }

  /** Zeroes every child (the bound ones stay bound): the registry's resetMetrics. */
  reset(): void {
    for (const c of this.#children.values()) {
      c.counts.fill(0);
      c.sum = 0;
    }
  }

  /** What the registry writes out (prom-client's shape: cumulative buckets, then sum and count, per child). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { value: number; metricName: string; labels: Record<string, string | number> }[] }> {
    const values = [];
    for (const { labels, counts, sum } of this.#children.values()) {
      let seen = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        seen += counts[i]!;
        values.push({ value: seen, metricName: `${this.name}_bucket`, labels: { le: i < this.buckets.length ? this.buckets[i]! : '+Inf', ...labels } });
      }
      values.push({ value: sum, metricName: `${this.name}_sum`, labels }, { value: seen, metricName: `${this.name}_count`, labels });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

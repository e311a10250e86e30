// Reading a server's /metrics (Prometheus text) from the bench: counters, gauges and histogram quantiles over a
// window (the difference of two scrapes), so any server that exports the same names can be measured, one started
// by the bench or one already running.

/** Every sample of one scrape, keyed as printed: `name` or `name{labels}`. */
export type Scrape = Map<string, number>;

export async function scrape(base: string): Promise<Scrape> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** A sample's value, NaN when the server does not export it. */
export const sample = (s: Scrape, name: string): number => s.get(name) ?? Number.NaN;

/** How much a counter grew between two scrapes. */
export const grew = (before: Scrape, after: Scrape, name: string): number => sample(after, name) - sample(before, name);

/**
 * The q-quantile (0..1) of what a histogram observed between two scrapes, in its own unit, interpolated linearly
 * inside the bucket the rank falls in (as PromQL's histogram_quantile does); NaN with no observations. Past the
 * last finite bucket it answers that bucket's bound: read such a figure as "at least".
 */
export function histogramQuantile(before: Scrape, after: Scrape, name: string, q: number): number {
  const prefix = `${name}_bucket{le="`;
  const buckets = [...after.keys()].filter((k) => k.startsWith(prefix))
    .map((k) => ({ le: k.slice(prefix.length, -2) === '+Inf' ? Infinity : Number(k.slice(prefix.length, -2)), count: after.get(k)! - (before.get(k) ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      return lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** The mean of what a histogram observed between two scrapes (its _sum over its _count). */
export const histogramMean = (before: Scrape, after: Scrape, name: string): number =>
  grew(before, after, `${name}_sum`) / grew(before, after, `${name}_count`);

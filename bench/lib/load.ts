// HTTP load with autocannon, from this process (the load generator), reduced to the figures a bench reports.
import autocannon, { type Options, type Result } from 'autocannon';

export interface LoadFigures {
  /** 2xx responses per second over the whole run. */
  rps: number;
  /** Latency of 2xx responses, ms (autocannon records whole milliseconds). */
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  /** Count per status code, to say what the non-2xx were. */
  statuses: Record<string, number>;
}

export async function load(opts: Options): Promise<LoadFigures> {
  // A run bounded by `amount` ends at autocannon's next sample tick after the last response, and its duration is
  // taken then: with the default 1 s ticks that adds up to a second to a redeem run. Ticks every 20 ms keep it exact.
  const r: Result = await autocannon({ timeout: 10, ...(opts.amount ? { sampleInt: 20 } : {}), ...opts });
  return {
    rps: Math.round(r['2xx'] / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    seconds: Math.round(r.duration * 100) / 100,
    statuses: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

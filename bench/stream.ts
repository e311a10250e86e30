// npm run bench:stream: fan-out of the quote stream, the engine next to the peer, at 1k / 5k / 10k subscribers
// held by several client processes. Per measurement: publish-to-receive p50/p99/p99.9 from each frame's `ts`
// (epoch µs), frames/s delivered, server RSS per subscriber, server CPU per frame delivered, and the engine's
// tick-to-publish from its fx_tick_to_publish_seconds histogram.
//
//   this process (load core) ──spawn──► engine | peer (a fresh one per measurement, server core)
//        │                    ──spawn──► K × stream-clients.js (N/K sockets each, on the load core like this process)
//        └── stdin: measure / report / exit; each client answers one JSON line (frames, latency histogram)
//
// Both systems read the same YAML (the shipped config with the synthetic partners' tick rate set by --updates),
// so they are offered the same price changes. `--url=` measures a server that is already running instead.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { defaultConfigPath, projectRoot } from '../config/index.js';
import {
  dropPrefix, ENTRIES, histogramMean, histogramQuantile, machine, pinLoadGenerator, processCpuMs, sample, scrape, series, spawnServer,
  table, rows, writeResults, grew, type Figures, type Metric, type Pinning, type Series,
} from './lib/index.js';

const CLIENTS = fileURLToPath(new URL('./stream-clients.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Price changes per second offered to both systems (see streamConfig). */
export const DEFAULT_UPDATES = 30;

/** The stream rows of a table, for the figures measured at `subscribers`. */
export function streamMetrics(subscribers: number): Metric[] {
  const at = `at ${subscribers >= 1000 && subscribers % 1000 === 0 ? `${subscribers / 1000}k` : subscribers} subscribers`;
  return [
    { key: 'streamP50Us', label: `stream publish-to-receive p50 ${at} (µs)`, better: 'lower' },
    { key: 'streamP99Us', label: `stream publish-to-receive p99 ${at} (µs)`, better: 'lower' },
    { key: 'streamP999Us', label: `stream publish-to-receive p99.9 ${at} (µs)`, better: 'lower' },
    { key: 'streamEarlyFrames', label: `stream frames received before their own ts ${at} (must be 0)`, better: 'lower' },
    { key: 'streamFramesPerSec', label: `stream frames/s delivered ${at}`, better: 'higher' },
    { key: 'streamPublishedPerSec', label: `stream topic publishes/s (price changes sent) ${at}`, better: 'higher' },
    { key: 'streamRssPerSubKb', label: `server RSS per subscriber ${at} (KiB)`, better: 'lower' },
    { key: 'streamCpuPerFrameUs', label: `server CPU per frame delivered ${at} (µs)`, better: 'lower' },
    { key: 'tickToPublishP50Us', label: `tick-to-publish p50, engine histogram ${at} (µs)`, better: 'lower' },
    { key: 'tickToPublishP99Us', label: `tick-to-publish p99, engine histogram ${at} (µs)`, better: 'lower' },
  ];
}

export interface StreamOptions {
  subscribers: number;
  /** Length of the measured window. */
  seconds: number;
  clientProcesses: number;
  corridor: string;
  /** The WebSocket path (default /v1/stream). */
  path?: string;
}

/**
 * The shipped config with the synthetic partners ticking so the corridor changes price about `updates` times a
 * second (USD/INR has three partners and any of them can move the best price), and the per-key connection and
 * subscription caps out of the way (one demo key holds every socket). Both systems read this one file.
 */
export function streamConfig(dir: string, updates: number): { path: string; ticksPerSecond: number } {
  const doc = parse(readFileSync(defaultConfigPath(), 'utf8'));
  const ticksPerSecond = Math.max(1, Math.round(updates / 3));
  doc.synthetic.ticksPerSecond = ticksPerSecond;
  doc.limits = { ...doc.limits, connections: 1_000_000, subscriptions: 10_000_000 };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'stream-config.yaml');
  writeFileSync(path, stringify(doc));
  return { path, ticksPerSecond };
}

interface ClientReport { frames: number; early: number; bucketUs: number; histogram: [number, number][]; closedEarly: number }

/** One client process holding `count` subscribers; its stdout is one JSON line per answer. */
function clientProcess(url: string, count: number, corridor: string) {
  const child = spawn(process.execPath, [CLIENTS, url, String(count), corridor], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    pid: child.pid!,
    tell: (command: string) => child.stdin!.write(`${command}\n`),
    async answer<T>(): Promise<T> {
      const line = await lines.next();
      if (line.done) throw new Error(`a stream client process ended early (exit ${child.exitCode}); see its error above`);
      return JSON.parse(line.value) as T;
    },
    stop: () => (child.exitCode === null && child.signalCode === null ? child.kill('SIGKILL') : true),
  };
}

/** The p-quantile of merged [bucket, count] histograms, at the bucket's middle. */
function quantile(merged: Map<number, number>, bucketUs: number, p: number): number {
  const total = [...merged.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  let seen = 0;
  for (const [bucket, count] of [...merged].sort((a, b) => a[0] - b[0])) {
    seen += count;
    if (seen >= total * p) return Math.round((bucket + 0.5) * bucketUs);
  }
  return Number.NaN;
}

/**
 * Measures the stream of a running server at `base`: once its RSS has settled, opens the subscribers, lets them settle for a second, then
 * counts every quote frame they receive for `seconds`. RSS and CPU come from the server's own /metrics
 * (Node's standard process_* metrics), so a server the bench did not start is measured the same way.
 */
export async function measureStream(base: string, o: StreamOptions): Promise<{ figures: Figures; detail: unknown }> {
  const url = `${base.replace(/^http/, 'ws')}${o.path ?? '/v1/stream'}`;
  const settled = await settledRss(base);
  const clients = Array.from({ length: o.clientProcesses }, (_, i) =>
    clientProcess(url, Math.floor(o.subscribers / o.clientProcesses) + (i < o.subscribers % o.clientProcesses ? 1 : 0), o.corridor));
  try {
    const opened = await Promise.all(clients.map((c) => c.answer<{ ready: number }>()));
    await sleep(1_000);
    const start = await scrape(base);
    const clientCpu0 = clients.reduce((a, c) => a + processCpuMs(c.pid), 0);
    const t0 = performance.now();
    for (const c of clients) c.tell('measure');
    await sleep(o.seconds * 1000);
    for (const c of clients) c.tell('report');
    const reports = await Promise.all(clients.map((c) => c.answer<ClientReport>()));
    const elapsedMs = performance.now() - t0;
    const clientCores = (clients.reduce((a, c) => a + processCpuMs(c.pid), 0) - clientCpu0) / elapsedMs;
    const end = await scrape(base);

    const merged = new Map<number, number>();
    for (const r of reports) for (const [bucket, count] of r.histogram) merged.set(bucket, (merged.get(bucket) ?? 0) + count);
    const bucketUs = reports[0]!.bucketUs;
    const frames = reports.reduce((a, r) => a + r.frames, 0);
    const cpuSeconds = grew(start, end, 'process_cpu_seconds_total');
    const rssGrowth = sample(start, 'process_resident_memory_bytes') - settled.rss;
    const tickToPublish = (q: number) => Math.round(histogramQuantile(start, end, 'fx_tick_to_publish_seconds', q) * 1e6);
    return {
      figures: {
        streamP50Us: quantile(merged, bucketUs, 0.5),
        streamP99Us: quantile(merged, bucketUs, 0.99),
        streamP999Us: quantile(merged, bucketUs, 0.999),
        streamEarlyFrames: reports.reduce((a, r) => a + r.early, 0),
        streamFramesPerSec: Math.round(frames / o.seconds),
        streamPublishedPerSec: Math.round((grew(start, end, 'fx_ws_frames_published_total') / o.seconds) * 10) / 10,
        streamRssPerSubKb: Math.round((rssGrowth / 1024 / o.subscribers) * 100) / 100,
        streamCpuPerFrameUs: Math.round(((cpuSeconds * 1e6) / Math.max(1, frames)) * 100) / 100,
        tickToPublishP50Us: tickToPublish(0.5),
        tickToPublishP99Us: tickToPublish(0.99),
      },
      detail: {
        subscribers: opened.reduce((a, r) => a + r.ready, 0), frames, closedEarly: reports.reduce((a, r) => a + r.closedEarly, 0),
        // A server near 1 core, or clients near 1 core, sets the pace: the latency then includes its queue.
        serverCores: Math.round((cpuSeconds / o.seconds) * 100) / 100, clientCores: Math.round(clientCores * 100) / 100,
        tickToPublishMeanUs: Math.round(histogramMean(start, end, 'fx_tick_to_publish_seconds') * 1e6),
        // How long the server's RSS took to settle before the clients came, and how much it still moved (the error bar of RSS per subscriber).
        rssSettleMs: settled.ms, rssBaselineSpreadKb: Math.round(settled.spread / 1024),
      },
    };
  } finally {
    for (const c of clients) {
      c.tell('exit');
      c.stop();
    }
  }
}

const RSS_SETTLE_SAMPLES = 5;
const RSS_SETTLE_SPREAD_BYTES = 2 * 1024 * 1024;
const RSS_SETTLE_MAX_MS = 45_000;

/**
 * The server's resident memory once it has stopped growing on its own: a fresh server's pricing worker, JIT and
 * heaps grow by tens of MB over its first ~15 s whether or not anyone is subscribed (about 20 MB for the engine at
 * 30 price changes/s), which read as 15-20 KiB per subscriber at 1k when the baseline was taken at /readyz. One
 * scrape a second until the last RSS_SETTLE_SAMPLES are within RSS_SETTLE_SPREAD_BYTES (at most
 * RSS_SETTLE_MAX_MS); the baseline is their median, the spread what the figure cannot tell apart.
 */
async function settledRss(base: string): Promise<{ rss: number; spread: number; ms: number }> {
  const t0 = performance.now();
  const window: number[] = [];
  for (;;) {
    window.push(sample(await scrape(base), 'process_resident_memory_bytes'));
    if (window.length > RSS_SETTLE_SAMPLES) window.shift();
    const spread = Math.max(...window) - Math.min(...window);
    const ms = Math.round(performance.now() - t0);
    if ((window.length === RSS_SETTLE_SAMPLES && spread <= RSS_SETTLE_SPREAD_BYTES) || ms > RSS_SETTLE_MAX_MS)
      return { rss: [...window].sort((a, b) => a - b)[Math.floor(window.length / 2)]!, spread, ms };
    await sleep(1_000);
  }
}

export interface StreamRig {
  /** Starts a fresh `system` (engine or peer) on the stream config, measures it, stops it. */
  measure(system: 'engine' | 'peer', o: StreamOptions): Promise<{ figures: Figures; detail: unknown }>;
  config: { path: string; ticksPerSecond: number };
  close(): Promise<void>;
}

export function streamRig(opts: { pinning: Pinning; redisUrl: string; updates: number; tmp: string; log: (line: string) => void }): StreamRig {
  const config = streamConfig(opts.tmp, opts.updates);
  const prefix = `bench:${randomUUID().slice(0, 8)}:stream:`;
  return {
    config,
    async measure(system, o) {
      // Fresh per measurement: RSS per subscriber is growth from a server that never held sockets before.
      const server = await spawnServer({
        name: system, script: ENTRIES[system], pinning: opts.pinning, logFile: join(opts.tmp, `stream-${system}.log`),
        env: { FX_CONFIG: config.path, REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: `${prefix}${system}:`, LOG_LEVEL: 'warn' },
      });
      try {
        return await measureStream(server.base, o);
      } finally {
        await server.stop();
      }
    },
    async close() {
      const dropped = await dropPrefix(opts.redisUrl, prefix);
      if (dropped) opts.log(`removed ${dropped} Redis keys under ${prefix}`);
    },
  };
}

export const STREAM_NOTES = [
  'Stream: a fresh server per measurement; the subscribers (one corridor, USD-INR tier 0) are opened by several client processes (ws), settle for 1 s, then every quote frame is counted for the window.',
  'Publish-to-receive is the client\'s clock at receipt (the engine\'s true clock, engine/clock.ts) minus the frame\'s `ts` (epoch µs, when the server published it); a frame received before its `ts` is counted (streamEarlyFrames: a clock error, 0 when both sides read the wall clock to a few µs). In 10 µs buckets merged across the client processes. The clients share the load core: `clientCores` in each run\'s detail near 1 means they set the pace, and their queue is in the latency.',
  'Frames/s delivered counts frames received by all subscribers; topic publishes/s is the server\'s fx_ws_frames_published_total (one per price change per topic). Both systems read one YAML, so the synthetic partners offer both the same ticks; the engine prices in batches on a worker and publishes only changes, the peer re-prices on every tick.',
  'RSS per subscriber: growth of the server\'s resident memory (its /metrics) from before the clients connected to 1 s after, over the subscribers; the baseline is taken once the server\'s RSS has settled (the median of 5 scrapes 1 s apart within 2 MiB, at most 45 s: a fresh server grows by tens of MB in its first seconds with no subscriber at all), and each run\'s detail has rssSettleMs and rssBaselineSpreadKb. CPU per frame: the server\'s CPU time over the window over the frames delivered.',
  'Tick-to-publish (engine only): quantiles of its fx_tick_to_publish_seconds histogram over the window, interpolated inside the buckets (50, 100, 200, 500 µs, 1, 2, 5 ms ...), so coarse.',
];

/** npm run bench:stream: one table per subscriber level, and one results file with every level. */
export async function streamBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      subscribers: { type: 'string', default: '1000,5000,10000' },
      seconds: { type: 'string', default: '5' },
      updates: { type: 'string', default: String(DEFAULT_UPDATES) },
      clients: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '2' },
      url: { type: 'string' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    },
  });
  const levels = args.subscribers!.split(',').map(Number);
  const options = { seconds: Number(args.seconds), clientProcesses: Number(args.clients), corridor: 'USD-INR' };
  const rounds = Number(args.rounds);
  const host = machine();
  const pinning = pinLoadGenerator();
  const tmp = join(projectRoot(), 'bench', 'results', 'tmp');
  const log = (line: string) => console.log(`[bench:stream] ${line}`);
  const rig = args.url ? undefined : streamRig({ pinning, redisUrl: args['redis-url']!, updates: Number(args.updates), tmp, log });
  const systems = args.url ? ['server'] : ['engine', 'peer'];
  log(`${args.url ? `the server at ${args.url}` : `engine and peer alternately, ${rounds} rounds, about ${args.updates} price changes/s offered (synthetic ticksPerSecond ${rig!.config.ticksPerSecond})`}; subscribers ${levels.join(', ')}; ${options.clientProcesses} client processes; ${options.seconds} s windows`);
  log(`machine: ${host.cpuModel}, ${host.cores} cores, load average ${host.loadAverage.join(' ')}; cores: ${pinning.note}`);
  let result: Series;
  try {
    result = await series({
      level: 'subscribers', levels, systems, rounds, log,
      measure: (system, _round, subscribers) => (rig ? rig.measure(system as 'engine' | 'peer', { ...options, subscribers }) : measureStream(args.url!, { ...options, subscribers })),
    });
  } finally {
    await rig?.close();
  }
  for (const point of result.points) console.log(`\n${point.level} subscribers:\n${table(rows(streamMetrics(point.level), point.runs, systems), systems)}`);
  const { path } = writeResults({
    name: 'stream', pinning, machine: host, systems, metrics: streamMetrics(levels[0]!), runs: result.points[0]!.runs, series: { stream: result },
    settings: { ...options, rounds, levels, updates: Number(args.updates), ticksPerSecond: rig?.config.ticksPerSecond, url: args.url },
    notes: [`The table is at ${levels[0]} subscribers; series.stream has every level.`, ...STREAM_NOTES],
  });
  log(`results: ${path}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await streamBench();

// Pricing hot path: ticks in on the main thread -> rate book -> one batch per turn -> worker pool -> snapshot.
//
//   load phase:       20 corridors x 3 partners x 500 ticks/s (30 000 ticks/s), each run RUN_MS long
//   saturation phase: ticks as fast as the main thread can offer them, to see what the pool keeps up with
//   idle baseline:    the event-loop measurement with nothing running (the machine is shared)
//
// pricingStageUs is the time a worker spends pricing one batch (every dirty corridor, here all 20);
// tickToSnapshotUs runs from the arrival of the first tick that dirtied a corridor to its snapshot's publish.
//
//   stage phase:      the worker's code (priceBatch) in this thread, batch after batch over a live book (30 of
//                     the 60 streams tick between batches), at 20, 50, 100 and 200 corridors: time and heap
//                     bytes allocated per batch (used-heap growth across the call; batches a GC cut through
//                     are left out), plotted as bench/results/plots/pricing-p99.png. Allocation is the mean:
//                     the streams alternate, so batches come in two kinds some 25 KB apart, and a median
//                     lands on one kind or the other from run to run
//
// Figures per run, then the median of every figure over the runs, written to bench/results/pricing.json with
// the machine and the commit. Run from dist (`npm run bench:pricing`): the workers load compiled JS.
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { projectRoot, validateConfig, type LoadedConfig } from '../config/index.js';
import { channels, priceBatch, PricingLoop, pricingConfig, QuoteHub, RateBook, systemClock, type PartnerTick, type VolatilityState } from '../engine/index.js';
import { fromScaled, prng, toScaled } from '../feeds/index.js';
import { plot } from './lib/index.js';

const RUNS = Number(process.argv[2] ?? 5) || 5;
/** `node dist/bench/pricing.js 3 stage`: the stage phase alone, printed, nothing written (for development). */
const STAGE_ONLY = process.argv[3] === 'stage';
/** `node dist/bench/pricing.js 9 ab <another build's dist>`: this build's 20-corridor stage against another's (abRuns). */
const AB_WITH = process.argv[3] === 'ab' ? process.argv[4] : undefined;
const RUN_MS = 4_000;
const WARMUP_MS = 1_500;
const SATURATION_MS = 2_000;
const PARTNERS = ['lp-a', 'lp-b', 'lp-c'];
const TICKS_PER_STREAM_PER_S = 500;

// Corridor -> the pair partners quote for it (direct, inverted, or the legs of a pivot route are all among these).
const MIDS: Record<string, string> = {
  'USD/INR': '84.50', 'USD/PHP': '58.20', 'USD/MXN': '19.80', 'USD/JPY': '151.30', 'USD/KWD': '0.3075', 'GBP/INR': '107.30',
  'EUR/INR': '91.40', 'USD/AED': '3.6725', 'EUR/GBP': '0.8520', 'USD/CNY': '7.2400', 'USD/BRL': '5.4200', 'USD/NGN': '1550.00',
  'USD/PKR': '278.50', 'USD/BDT': '119.70', 'USD/CAD': '1.3900', 'AUD/USD': '0.6550', 'USD/SGD': '1.3400', 'EUR/USD': '1.0820',
  'GBP/USD': '1.2700', 'USD/VND': '25400',
};
const CORRIDORS = [
  'USD-INR', 'USD-PHP', 'USD-MXN', 'USD-JPY', 'USD-KWD', 'GBP-INR', 'EUR-INR', 'AED-INR', 'GBP-EUR', 'USD-CNY',
  'USD-BRL', 'USD-NGN', 'USD-PKR', 'USD-BDT', 'CAD-INR', 'AUD-INR', 'SGD-INR', 'EUR-PHP', 'GBP-PHP', 'USD-VND',
];

/** Corridors beyond the first 20, for the growth series: every other pair of these currencies (all route via USD or EUR). */
function corridorIds(n: number): string[] {
  const ccys = [...new Set(Object.keys(MIDS).flatMap((p) => p.split('/')))];
  const more = ccys.flatMap((a) => ccys.filter((b) => b !== a).map((b) => `${a}-${b}`)).filter((id) => !CORRIDORS.includes(id));
  return [...CORRIDORS, ...more].slice(0, n);
}

function benchConfig(corridors = CORRIDORS): LoadedConfig {
  const tiers = [{ upTo: '1000', spreadBps: '60' }, { upTo: '10000', spreadBps: '40' }, { spreadBps: '25' }];
  return validateConfig({
    pricing: { workers: 1, pivots: ['USD', 'EUR'] },
    partners: { 'lp-a': { feeBps: '0' }, 'lp-b': { feeBps: '1.5' }, 'lp-c': { feeBps: '0' } },
    corridors: Object.fromEntries(corridors.map((id) => [id, {
      minAmount: '10', maxAmount: '50000', ratePrecision: 4, tiers, marketClosedBps: '15', skewBps: '2', minSpreadBps: '10', maxSpreadBps: '200',
      volatility: { thresholdBps: '30', widenBps: '10' }, partnerMaxAmounts: { 'lp-c': '20000' },
    }])),
  }, '<bench>');
}

/** Pre-made prices per partner and pair (a seeded walk, 8 bps wide), so making ticks costs the loop nothing. */
export function priceRings(): { partner: string; pair: string; ring: { bid: string; ask: string }[] }[] {
  const streams = [];
  for (const partner of PARTNERS)
    for (const [pair, mid] of Object.entries(MIDS)) {
      const random = prng(partner.length * 7919 + pair.charCodeAt(0) * 31 + pair.charCodeAt(4));
      const m = toScaled(mid, 6);
      let walk = 0n;
      const ring = Array.from({ length: 512 }, () => {
        walk += BigInt(Math.round((random() * 2 - 1) * 10)); // in 0.1 bps
        walk -= walk / 20n;
        const at = (tenths: bigint) => (m * (100_000n + walk + tenths)) / 100_000n;
        return { bid: fromScaled(at(-40n), 6), ask: fromScaled(at(40n), 6) };
      });
      streams.push({ partner, pair, ring });
    }
  return streams;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : Number.NaN);
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const round = (x: number, dp = 1) => Math.round(x * 10 ** dp) / 10 ** dp;

interface Collect {
  snapshotUs: number[];
  workUs: number[];
  roundTripUs: number[];
  batchSizes: number[];
  errors: number;
}

function collector(): { data: Collect; stop: () => void } {
  const data: Collect = { snapshotUs: [], workUs: [], roundTripUs: [], batchSizes: [], errors: 0 };
  const onSnapshot = (m: any) => data.snapshotUs.push(m.latencyUs);
  const onBatch = (m: any) => (data.workUs.push(m.workUs), data.roundTripUs.push(m.durationUs), data.batchSizes.push(m.size));
  const onError = () => data.errors++;
  subscribe(channels.snapshot.name as string, onSnapshot);
  subscribe(channels.batch.name as string, onBatch);
  subscribe(channels.workerError.name as string, onError);
  return {
    data,
    stop: () => {
      unsubscribe(channels.snapshot.name as string, onSnapshot);
      unsubscribe(channels.batch.name as string, onBatch);
      unsubscribe(channels.workerError.name as string, onError);
    },
  };
}

class Feed {
  readonly #seq = new Map<string, number>();
  #i = 0;
  accepted = 0;
  offered = 0;
  constructor(private readonly engine: PricingLoop, private readonly streams: ReturnType<typeof priceRings>) {}

  /** Offers n ticks, round-robin over the streams. */
  offer(n: number): void {
    const ts = Date.now();
    for (let k = 0; k < n; k++) {
      const s = this.streams[this.#i++ % this.streams.length]!;
      const key = `${s.partner} ${s.pair}`;
      const seq = (this.#seq.get(key) ?? 0) + 1;
      this.#seq.set(key, seq);
      const p = s.ring[seq % s.ring.length]!;
      const tick: PartnerTick = { partner: s.partner, pair: s.pair, bid: p.bid, ask: p.ask, ts, seq };
      this.offered++;
      if (this.engine.ingest(tick) === 'accepted') this.accepted++;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Offers ticks at `perSecond` for `ms`, topping up on a 1 ms timer (as feeds' sockets would, in small bursts). */
async function paced(feed: Feed, perSecond: number, ms: number): Promise<void> {
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.floor((Math.min(elapsed, ms) / 1000) * perSecond) - sent;
      if (due > 0) feed.offer(due);
      sent += Math.max(0, due);
      if (elapsed >= ms) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

async function loadRun(engine: PricingLoop, streams: ReturnType<typeof priceRings>) {
  const feed = new Feed(engine, streams);
  const target = streams.length * TICKS_PER_STREAM_PER_S;
  await paced(feed, target, WARMUP_MS);
  const { data, stop } = collector();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const before = { offered: feed.offered, accepted: feed.accepted };
  const cpu = process.cpuUsage();
  const start = performance.now();
  await paced(feed, target, RUN_MS);
  const seconds = (performance.now() - start) / 1000;
  const cpuMs = process.cpuUsage(cpu);
  loop.disable();
  stop();
  await sleep(50);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const snap = sorted(data.snapshotUs);
  const work = sorted(data.workUs);
  const trip = sorted(data.roundTripUs);
  return {
    targetTicksPerS: target,
    offeredTicksPerS: round((feed.offered - before.offered) / seconds, 0),
    acceptedTicksPerS: round((feed.accepted - before.accepted) / seconds, 0),
    batchesPerS: round(data.batchSizes.length / seconds, 0),
    corridorsPerBatchMedian: median(data.batchSizes),
    snapshotsPerS: round(snap.length / seconds, 0),
    tickToSnapshotUs: { p50: round(percentile(snap, 50), 0), p99: round(percentile(snap, 99), 0) },
    pricingStageUs: { p50: round(percentile(work, 50), 0), p99: round(percentile(work, 99), 0) },
    pricingStagePerCorridorUs: round(percentile(work, 50) / Math.max(1, median(data.batchSizes)), 1),
    batchRoundTripUs: { p50: round(percentile(trip, 50), 0), p99: round(percentile(trip, 99), 0) },
    mainEventLoopDelayMs: delays(loop),
    /** Main thread and worker together (process.cpuUsage counts every thread), % of one core. */
    processCpuPercent: round(((cpuMs.user + cpuMs.system) / 1000 / (seconds * 1000)) * 100, 0),
    workerErrors: data.errors,
  };
}

// The histogram records the whole interval between 1 ms timer wake-ups: the delay is what exceeds the 1 ms.
const delays = (h: ReturnType<typeof monitorEventLoopDelay>) => ({
  p50: round(Math.max(0, h.percentile(50) / 1e6 - 1), 2),
  p99: round(Math.max(0, h.percentile(99) / 1e6 - 1), 2),
  max: round(Math.max(0, h.max / 1e6 - 1), 2),
});

/** The same event-loop measurement with nothing running: what the machine itself adds (it is shared). */
async function idleRun() {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await sleep(RUN_MS);
  loop.disable();
  return { mainEventLoopDelayMs: delays(loop) };
}

async function saturationRun(engine: PricingLoop, streams: ReturnType<typeof priceRings>) {
  const feed = new Feed(engine, streams);
  const { data, stop } = collector();
  const start = performance.now();
  // 200 ticks per turn, then yield, so batches go out between bursts as they would under a real flood.
  while (performance.now() - start < SATURATION_MS) {
    feed.offer(200);
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  stop();
  await sleep(50);
  return {
    acceptedTicksPerS: round(feed.accepted / seconds, 0),
    batchesPerS: round(data.batchSizes.length / seconds, 0),
    corridorsPricedPerS: round(data.batchSizes.reduce((a, b) => a + b, 0) / seconds, 0),
    tickToSnapshotUs: { p50: round(percentile([...data.snapshotUs].sort((a, b) => a - b), 50), 0), p99: round(percentile([...data.snapshotUs].sort((a, b) => a - b), 99), 0) },
  };
}

/**
 * What reading the heap statistics itself allocates between two readings, which a batch's figure leaves out: the
 * least of many pairs, warm. (The first reading of a process allocates some 9 KB more than later ones; taken from a
 * single cold pair, that made a fresh process's first stage run read 9 KB a batch too little.)
 */
function readingCost(): number {
  let least = Infinity;
  for (let i = 0; i < 50; i++) {
    const before = getHeapStatistics().used_heap_size;
    const grown = getHeapStatistics().used_heap_size - before;
    if (grown >= 0) least = Math.min(least, grown);
  }
  return Number.isFinite(least) ? least : 0; // every pair cut by a GC: take nothing off rather than everything
}

/** The pricing stage in this thread: priceBatch over a live book, `batches` times; time and allocation per batch. */
export function stageRun(corridors: number, streams: ReturnType<typeof priceRings>, batches = 3_000) {
  const config = benchConfig(corridorIds(corridors));
  const pc = pricingConfig(config);
  const book = new RateBook(config.config.pricing);
  const seq = new Map<string, number>();
  let i = 0;
  const tickSome = (n: number) => {
    const ts = Date.now();
    for (let k = 0; k < n; k++) {
      const s = streams[i++ % streams.length]!;
      const key = `${s.partner} ${s.pair}`;
      const next = (seq.get(key) ?? 0) + 1;
      seq.set(key, next);
      book.offer({ partner: s.partner, pair: s.pair, ...s.ring[next % s.ring.length]!, ts, seq: next }, ts, systemClock.nowUs());
    }
  };
  tickSome(streams.length);
  const ids = Object.keys(pc.corridors);
  const pairs = Object.keys(MIDS);
  let volatility: Record<string, VolatilityState> = {};
  const us: number[] = [];
  const bytes: number[] = [];
  const probeCost = readingCost();
  for (let b = 0; b < batches + 500; b++) {
    tickSome(streams.length / 2);
    const batch = { nowMs: Date.now(), configVersion: pc.version, corridors: ids, ticks: book.linesFor(pairs), volatility };
    const heap = getHeapStatistics().used_heap_size;
    const start = performance.now();
    const result = priceBatch(batch, pc);
    const elapsed = performance.now() - start;
    const grown = getHeapStatistics().used_heap_size - heap - probeCost;
    volatility = {};
    for (const p of result.corridors) if (p.volatility) volatility[p.corridor] = p.volatility;
    if (b < 500) continue; // warm-up: JIT and memos
    us.push(elapsed * 1000);
    if (grown >= 0) bytes.push(grown);
  }
  us.sort((a, b) => a - b);
  bytes.sort((a, b) => a - b);
  return {
    corridors,
    stageUs: { p50: round(percentile(us, 50), 0), p99: round(percentile(us, 99), 0) },
    allocatedKbPerBatch: {
      mean: round(bytes.reduce((sum, x) => sum + x, 0) / bytes.length / 1024, 1), p50: round(percentile(bytes, 50) / 1024, 1), p99: round(percentile(bytes, 99) / 1024, 1),
    },
    batchesWithoutGc: bytes.length,
  };
}

export const STAGE_LEVELS = [20, 50, 100, 200];

/** The pricing rows of npm run bench's table (engine only: the peer prices per tick, inline). */
export const PRICING_METRICS = [
  { key: 'pricingStageP50Us', label: 'pricing stage p50 per 20-corridor batch, in-process (µs)', better: 'lower' },
  { key: 'pricingStageP99Us', label: 'pricing stage p99 per 20-corridor batch, in-process (µs)', better: 'lower' },
  { key: 'pricingAllocKbPerBatch', label: 'pricing allocation per 20-corridor batch, mean (KB)', better: 'lower' },
] as const;

/** The stage at every corridor level, `rounds` times: figures at 20 corridors as run records, and the series for the plot. */
export function pricingStageSeries(rounds: number, batches = 2_000) {
  const streams = priceRings();
  const points = STAGE_LEVELS.map((level) => {
    const runs = Array.from({ length: rounds }, (_, round) => {
      const r = stageRun(level, streams, batches);
      return { round, system: 'engine', figures: { pricingStageP50Us: r.stageUs.p50, pricingStageP99Us: r.stageUs.p99, pricingAllocKbPerBatch: r.allocatedKbPerBatch.mean }, detail: r };
    });
    return { level, runs };
  });
  return { at20: points[0]!.runs, points };
}

function medians<T extends Record<string, unknown>>(runs: T[]): T {
  const first = runs[0]!;
  return Object.fromEntries(Object.entries(first).map(([k, v]) => {
    if (typeof v === 'number') return [k, median(runs.map((r) => r[k] as number))];
    if (v && typeof v === 'object') return [k, medians(runs.map((r) => r[k] as Record<string, unknown>))];
    return [k, v];
  })) as T;
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: projectRoot(), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * This build's and another build's 20-corridor stage (stageRun, 3 000 batches), alternately, a fresh process per
 * run and the order swapped every round, so drift on the shared host hits both alike; prints the medians. The
 * other build is a dist folder of another commit (a worktree's `npm run build`).
 */
function abRuns(rounds: number, other: string): void {
  const dirs = [fileURLToPath(new URL('..', import.meta.url)), resolve(other)];
  const once = (dir: string): ReturnType<typeof stageRun> => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e',
    `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'bench', 'pricing.js')).href)}); console.log(JSON.stringify(m.stageRun(20, m.priceRings(), 3000)))`,
  ], { encoding: 'utf8' }));
  const runs = dirs.map(() => [] as ReturnType<typeof stageRun>[]);
  for (let r = 0; r < rounds; r++) for (const i of r % 2 ? [1, 0] : [0, 1]) runs[i]!.push(once(dirs[i]!));
  dirs.forEach((dir, i) => {
    const of = (f: (x: ReturnType<typeof stageRun>) => number) => median(runs[i]!.map(f));
    process.stdout.write(`${dir}: p50 ${of((x) => x.stageUs.p50)} µs, p99 ${of((x) => x.stageUs.p99)} µs, ${of((x) => x.allocatedKbPerBatch.mean)} KB a batch (mean) (medians of ${rounds}; p50 by run ${runs[i]!.map((x) => x.stageUs.p50).join(' ')})\n`);
  });
}

async function main(): Promise<void> {
  if (AB_WITH !== undefined) return abRuns(RUNS, AB_WITH);
  const config = benchConfig();
  const streams = priceRings();
  if (STAGE_ONLY) {
    for (const n of STAGE_LEVELS) process.stdout.write(`stage ${n} corridors: ${JSON.stringify(medians(Array.from({ length: RUNS }, () => stageRun(n, streams))))}\n`);
    return;
  }
  const load = [];
  const saturation = [];
  const idle = [];
  const loadBefore = loadavg();
  for (let i = 0; i < RUNS; i++) {
    // A fresh engine per run: one run's book, volatility and JIT state do not flatter the next.
    idle.push(await idleRun());
    const engine = new PricingLoop({ config, hub: new QuoteHub(systemClock) });
    await sleep(300);
    load.push(await loadRun(engine, streams));
    saturation.push(await saturationRun(engine, streams));
    await engine.close();
    process.stdout.write(`run ${i + 1}/${RUNS}: ${JSON.stringify(load.at(-1))}\n`);
  }
  const stage = STAGE_LEVELS.map((n) => {
    const runs = Array.from({ length: RUNS }, () => stageRun(n, streams));
    process.stdout.write(`stage ${n} corridors: ${JSON.stringify(medians(runs))}\n`);
    return { median: medians(runs), runs };
  });
  const stage20 = stage[0]!.median;
  const m = medians(load);
  const result = {
    bench: 'pricing',
    date: new Date().toISOString(),
    commit: git('rev-parse', 'HEAD'),
    dirty: git('status', '--porcelain') !== '',
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30, 0), node: process.version, loadavgAtStart: loadBefore.map((x) => round(x, 2)) },
    setup: { corridors: CORRIDORS.length, partners: PARTNERS.length, pairs: Object.keys(MIDS).length, ticksPerStreamPerS: TICKS_PER_STREAM_PER_S, workers: config.config.pricing.workers, runs: RUNS, runMs: RUN_MS },
    goals: {
      pricingStageP99Us: { goal: 200, median: m.pricingStageUs.p99, met: m.pricingStageUs.p99 <= 200 },
      pricingStageP50Us: { goal: 50, median: m.pricingStageUs.p50, met: m.pricingStageUs.p50 <= 50 },
      allocatedKbPerBatch: { goal: 20, median: stage20.allocatedKbPerBatch.mean, met: stage20.allocatedKbPerBatch.mean <= 20 },
      mainEventLoopDelayP99Ms: { goal: 2, median: m.mainEventLoopDelayMs.p99, met: m.mainEventLoopDelayMs.p99 <= 2 },
    },
    idleBaseline: { median: medians(idle), runs: idle },
    load: { median: m, runs: load },
    saturation: { median: medians(saturation), runs: saturation },
    stage: Object.fromEntries(stage.map((s) => [s.median.corridors, s])),
  };
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pricing.json');
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  mkdirSync(join(dir, 'plots'), { recursive: true });
  const stamp = `${result.date.slice(0, 10)} ${result.commit.slice(0, 7)}${result.dirty ? ' (dirty)' : ''}, ${cpus().length} cores`;
  plot({
    title: `Pricing stage per batch by corridors (${stamp})`, xLabel: 'corridors per batch', yLabel: 'µs',
    levels: STAGE_LEVELS, lines: [{ name: 'engine p99', values: stage.map((s) => s.median.stageUs.p99) }, { name: 'engine p50', values: stage.map((s) => s.median.stageUs.p50) }],
  }, join(dir, 'plots', 'pricing-p99.png'));
  process.stdout.write(`${JSON.stringify({ goals: result.goals, idle: result.idleBaseline.median, load: m, saturation: result.saturation.median, stage: stage.map((s) => s.median) }, null, 2)}\nwritten to ${file}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

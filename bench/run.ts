// npm run bench: the engine next to the plain peer and next to the machine's limits, in one process tree, one
// run and one table; then the cost growth with load, as JSON and PNG plots. `-- --quick` for development.
//
//   1. lock (prebuilt and built requests), idempotent   rounds × (engine, peer, limit)   limit: bare uWS + the same
//      lock, redeem, GET /healthz at 64 connections                                       Redis write (POST /lock),
//                                                                                          bare POST, hello, WS echo,
//                                                                                          redis-benchmark
//   2. lock throughput and CPU per lock at 16, 64, 256    rounds × (engine, peer, limit)   limit: POST /lock
//   3. stream at 1k, 5k, 10k subscribers                 rounds × (engine, peer, limit)   limit: bare uWS fan-out
//   4. pricing stage at 20, 50, 100, 200 corridors         rounds × engine (in-process priceBatch)
//
// The table: section 1, section 3 at 1k subscribers, the limit-only rows. Results: bench/results/<date>-<commit>.json
// (every run, every median, the machine, the commit, the settings); plots: bench/results/plots/*.png. A quick run
// writes both under bench/results/tmp/ instead.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../config/index.js';
import { machine, medians, pinLoadGenerator, plot, rows, series, table, writeResults, type Metric, type RunRecord, type Series } from './lib/index.js';
import { LIMIT_METRICS, LIMIT_NOTES, limitRig } from './limits.js';
import { LOCK_METRICS, LOCK_NOTES, lockCharts, lockGoals, lockRig, lockSections, logBusy, medianOf, non2xxLine } from './lock.js';
import { DEFAULT_UPDATES, STREAM_NOTES, streamMetrics, streamRig } from './stream.js';
import { PRICING_METRICS, pricingStageSeries } from './pricing.js';

const SYSTEMS = ['engine', 'peer', 'limit'] as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    updates: { type: 'string', default: String(DEFAULT_UPDATES) },
  },
});
const quick = args.quick!;
const settings = quick
  ? { rounds: 1, connections: 64, lockSeconds: 2, healthSeconds: 1, growthRounds: 1, growthLockSeconds: 2, connectionLevels: [16, 64, 256], subscriberLevels: [1000, 5000], streamSeconds: 2, clientProcesses: 3, redisRequests: 20_000 }
  : { rounds: 3, connections: 64, lockSeconds: 6, healthSeconds: 3, growthRounds: 2, growthLockSeconds: 3, connectionLevels: [16, 64, 256], subscriberLevels: [1000, 5000, 10_000], streamSeconds: 4, clientProcesses: 3, redisRequests: 100_000 };
const redisUrl = args['redis-url']!;
const updates = Number(args.updates);

const started = performance.now();
const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
const log = (line: string) => console.log(`[bench] ${line}`);
const host = machine();
const pinning = pinLoadGenerator();
const tmp = join(projectRoot(), 'bench', 'results', 'tmp');
log(`${quick ? 'quick mode: 1 round, short runs, up to 5k subscribers; ' : ''}machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.node}, ${host.os}, load average ${host.loadAverage.join(' ')}`);
log(`cores: ${pinning.note}; the stream client processes run on the load generator's core`);

// 1 and 2: lock and redeem, with the limit rows alongside.
const limits = await limitRig({ pinning, redisUrl, tmp, fanoutPerSec: Math.max(1, Math.round(updates / 3)) });
let lockRuns: RunRecord[];
let lockGrowth: Series;
try {
  const lock = await lockRig({ pinning, redisUrl, tmp, log });
  try {
    log(`1 and 2 (${elapsed()}):`);
    ({ runs: lockRuns, growth: lockGrowth } = await lockSections(lock, limits, settings, log));
  } finally {
    await lock.close();
  }
} catch (err) {
  await limits.close();
  throw err;
}

// 3: the stream, a fresh engine or peer per measurement; the limit is the bare uWS server's fan-out.
const stream = streamRig({ pinning, redisUrl, updates, tmp, log });
log(`3. stream at ${settings.subscriberLevels.join(', ')} subscribers, ${settings.rounds} rounds at 1k and ${settings.growthRounds} above, ${settings.streamSeconds} s windows, about ${updates} price changes/s offered (synthetic ticksPerSecond ${stream.config.ticksPerSecond}) (${elapsed()})`);
let streamGrowth: Series;
try {
  const options = { seconds: settings.streamSeconds, clientProcesses: settings.clientProcesses, corridor: 'USD-INR' };
  const [first, ...rest] = settings.subscriberLevels;
  // The floor at the engine's frame rate: each round measures the engine first, and the limit publishes as many
  // frames a second as the engine just did at that subscriber count.
  const engineRate = new Map<string, number>();
  const measure = async (system: string, round: number, subscribers: number) => {
    if (system === 'limit') {
      const rate = engineRate.get(`${round} ${subscribers}`);
      if (rate === undefined) log(`no engine publish rate at ${subscribers} subscribers: the floor publishes at its default rate, not the engine's`);
      return limits.fanout({ ...options, subscribers }, rate);
    }
    const m = await stream.measure(system as 'engine' | 'peer', { ...options, subscribers });
    if (system === 'engine' && m.figures.streamPublishedPerSec! > 0) engineRate.set(`${round} ${subscribers}`, m.figures.streamPublishedPerSec!);
    return m;
  };
  const atFirst = await series({ level: 'subscribers', levels: [first!], systems: SYSTEMS, rounds: settings.rounds, log, measure });
  const above = await series({ level: 'subscribers', levels: rest, systems: SYSTEMS, rounds: settings.growthRounds, log, measure });
  streamGrowth = { level: 'subscribers', points: [...atFirst.points, ...above.points] };
} finally {
  await stream.close();
  await limits.close();
}

// 4: the pricing stage, in this process (the worker's code, priceBatch), at 20 to 200 corridors.
log(`4. pricing stage at 20, 50, 100, 200 corridors, ${settings.rounds} rounds (${elapsed()})`);
const pricing = pricingStageSeries(settings.rounds, quick ? 500 : 2_000);

// The table, the goals, the results file and the plots.
const firstLevel = streamGrowth.points[0]!;
const metrics: Metric[] = [...LOCK_METRICS, ...streamMetrics(firstLevel.level), ...PRICING_METRICS, ...LIMIT_METRICS];
const runs = [...lockRuns, ...firstLevel.runs, ...pricing.at20];
const table1 = rows(metrics, runs, SYSTEMS);
const median = medianOf(table1, metrics, SYSTEMS);
const goal = (text: string, value: number, met: boolean) => ({ goal: text, value: Math.round(value * 100) / 100, met });
const goals = [
  ...lockGoals(median),
  goal(`stream p99 <= 1/3 of the peer at ${firstLevel.level} subscribers (engine/peer)`, median('streamP99Us', 'engine') / median('streamP99Us', 'peer'), median('streamP99Us', 'engine') * 3 <= median('streamP99Us', 'peer')),
  goal(`stream p99 <= 1 ms at ${firstLevel.level} subscribers (engine, µs)`, median('streamP99Us', 'engine'), median('streamP99Us', 'engine') <= 1000),
  goal('frames/s delivered >= 3x the peer (engine/peer)', median('streamFramesPerSec', 'engine') / median('streamFramesPerSec', 'peer'), median('streamFramesPerSec', 'engine') >= 3 * median('streamFramesPerSec', 'peer')),
  goal('stream p99 <= 1.2x the bare uWS publish floor (engine/limit)', median('streamP99Us', 'engine') / median('streamP99Us', 'limit'), median('streamP99Us', 'engine') <= 1.2 * median('streamP99Us', 'limit')),
  goal('0 stream frames received before their ts (engine)', median('streamEarlyFrames', 'engine'), median('streamEarlyFrames', 'engine') === 0),
  goal('pricing stage p99 <= 200 µs per 20-corridor batch', median('pricingStageP99Us', 'engine'), median('pricingStageP99Us', 'engine') <= 200),
  goal('pricing stage p50 <= 50 µs per 20-corridor batch', median('pricingStageP50Us', 'engine'), median('pricingStageP50Us', 'engine') <= 50),
  goal('pricing allocation <= 20 KB per 20-corridor batch', median('pricingAllocKbPerBatch', 'engine'), median('pricingAllocKbPerBatch', 'engine') <= 20),
  goal('HTTP within 2x of the bare uWS limit (engine /healthz over bare /hello)', median('healthRps', 'engine') / median('healthRps', 'limit'), median('healthRps', 'engine') * 2 >= median('healthRps', 'limit')),
];

const { path, results } = writeResults({
  name: 'bench', pinning, machine: host, systems: SYSTEMS, metrics, runs, series: { lock: lockGrowth, stream: streamGrowth },
  // A quick run is for development: its results and plots go to the ignored tmp/ folder, not over the committed ones.
  file: (date, commit) => (quick ? `tmp/${date}-${commit}-quick` : `${date}-${commit}`),
  settings: { ...settings, quick, redisUrl, updates, ticksPerSecond: stream.config.ticksPerSecond, fanoutPerSec: 'per round, the engine\'s streamPublishedPerSec at the same subscribers' },
  notes: [
    'One process tree: this process is the load generator (autocannon, the WS echo client) and spawns every server and client process.',
    ...LOCK_NOTES, ...STREAM_NOTES, ...LIMIT_NOTES,
    'Goals: ' + goals.map((g) => `${g.goal}: ${g.value} (${g.met ? 'met' : 'not met'})`).join('; '),
    `The whole run took ${elapsed()}.`,
  ],
});

const plots = quick ? join(tmp, 'plots') : join(projectRoot(), 'bench', 'results', 'plots');
mkdirSync(plots, { recursive: true });
const stamp = `${results.date.slice(0, 10)} ${results.commit.slice(0, 7)}${results.dirty ? ' (dirty)' : ''}, ${host.cores} cores`;
const lines = (s: Series, key: string, systems: readonly string[] = SYSTEMS) =>
  systems.map((system) => ({ name: system === 'limit' ? `limit (${s.level === 'connections' ? 'bare uWS GET /hello' : 'bare uWS publish'})` : system, values: s.points.map((p) => p.medians[system]?.[key] ?? Number.NaN) }));
const charts: [string, Parameters<typeof plot>[0]][] = [
  ...lockCharts(lockGrowth, stamp),
  ['stream-p99.png', { title: `Stream publish-to-receive p99 by subscribers (${stamp})`, xLabel: 'subscribers', yLabel: 'µs (log scale)', logY: true, levels: streamGrowth.points.map((p) => p.level), lines: lines(streamGrowth, 'streamP99Us') }],
  ['stream-p50.png', { title: `Stream publish-to-receive p50 by subscribers (${stamp})`, xLabel: 'subscribers', yLabel: 'µs (log scale)', logY: true, levels: streamGrowth.points.map((p) => p.level), lines: lines(streamGrowth, 'streamP50Us') }],
  ['stream-frames.png', { title: `Stream frames/s delivered by subscribers (${stamp})`, xLabel: 'subscribers', yLabel: 'frames/s', levels: streamGrowth.points.map((p) => p.level), lines: lines(streamGrowth, 'streamFramesPerSec') }],
  ['pricing-p99.png', { title: `Pricing stage p99 per batch by corridors (${stamp})`, xLabel: 'corridors per batch', yLabel: 'µs', levels: pricing.points.map((p) => p.level), lines: [{ name: 'engine', values: pricing.points.map((p) => medians(p.runs, ['engine']).engine!.pricingStageP99Us ?? Number.NaN) }] }],
  ['stream-rss.png', { title: `Server RSS per subscriber (${stamp})`, xLabel: 'subscribers', yLabel: 'KiB per subscriber', levels: streamGrowth.points.map((p) => p.level), lines: lines(streamGrowth, 'streamRssPerSubKb') }],
];
for (const [file, chart] of charts) plot(chart, join(plots, file));

logBusy(lockRuns, log);
for (const r of streamGrowth.points.flatMap((p) => p.runs)) {
  const d = r.detail as { subscribers: number; serverCores: number; clientCores: number; closedEarly: number };
  log(`  stream ${r.system} ${d.subscribers} subscribers r${r.round}: server ${d.serverCores} cores busy, clients ${d.clientCores} cores busy, ${d.closedEarly} closed early`);
}
log(non2xxLine([...lockRuns, ...lockGrowth.points.flatMap((p) => p.runs)]));
console.log(`\nnpm run bench${quick ? ' -- --quick' : ''}, ${results.date}, commit ${results.commit.slice(0, 7)}${results.dirty ? ' (dirty work tree)' : ''}`);
console.log(`${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.os}; load average at start ${host.loadAverage.join(' ')}`);
console.log(`cores: ${pinning.note}\n`);
console.log(table(results.table, SYSTEMS));
console.log('\nlimit column: lock rows = bare uWS + the same Redis write, pipelined (bench/limit-server.ts POST /lock); GET /healthz row = a bare uWS GET /hello under the same autocannon load; stream rows = a bare uWS server publishing a quote-shaped frame to the same subscribers, measured by the same clients. Medians over the runs; the machine is shared with other work, so read them as noisy.');
console.log('\ngoals:');
for (const g of goals) console.log(`  ${g.met ? 'met    ' : 'not met'}  ${g.goal}: ${g.value}`);
console.log(`\nresults: ${path}\nplots:   ${plots}/{${charts.map(([f]) => f.replace('.png', '')).join(',')}}.png\ntook ${elapsed()}`);

// npm run bench:lock: lock and redeem throughput and latency against Redis, the engine next to the plain peer
// (bench/peer), in one run, alternately (A B A B), with medians over the rounds.
//
//   this process (load generator, core 1) ──HTTP, 64 connections──► engine | peer (child process, core 0) ──► Redis
//
// One measurement of a system: a lock run of fixed duration, then a redeem run that redeems every quote that
// lock run locked, once each, in the order they were locked (so every redeem is a first redeem, well inside the
// quote TTL). The servers use a config with a short retention and their own Redis key prefix; the bench removes
// its keys when it ends.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { limitRig, type LimitRig } from './limits.js';
import { parse, stringify } from 'yaml';
import { defaultConfigPath, projectRoot } from '../config/index.js';
import {
  alternate, costed, dropPrefix, idleCores, ENTRIES, formatCosts, load, machine, pinLoadGenerator, plot, profileCosts, rows, series, spawnServer, table, writeResults,
  type Costed, type Figures, type LoadFigures, type Metric, type Pinning, type RunRecord, type Series, type ServerProcess,
} from './lib/index.js';

/** The servers of the lock rig; the limit column comes from bench/limits.ts. */
const SERVERS = ['engine', 'peer'] as const;
export const LOCK_SYSTEMS = ['engine', 'peer', 'limit'] as const;
const CLIENT_KEY = 'demo-client-key';
const TRANSFER_KEY = 'demo-transfer-key';
const LOCK_BODY = JSON.stringify({ corridor: 'USD-INR', sendAmount: '1000.00' });
const REDEEM_BODY = JSON.stringify({ sendAmount: '1000.00' });
const QUOTE_ID = /"id":"(q_[^"]+)"/;

export const LOCK_METRICS: Metric[] = [
  { key: 'healthRps', label: 'GET /healthz throughput, the HTTP ceiling (req/s)', better: 'higher' },
  { key: 'lockRps', label: 'lock throughput (req/s)', better: 'higher' },
  { key: 'lockP50Ms', label: 'lock p50 (ms)', better: 'lower' },
  { key: 'lockP99Ms', label: 'lock p99 (ms)', better: 'lower' },
  { key: 'lockCpuUs', label: 'server CPU per lock (µs)', better: 'lower' },
  { key: 'lockCpuNetUs', label: 'server CPU per lock above its idle work (µs)', better: 'lower' },
  { key: 'lockRedisCpuUs', label: 'Redis CPU per lock (µs, INFO cpu)', better: 'lower' },
  { key: 'lockRedisCmdUs', label: 'Redis command time per lock (µs, INFO commandstats)', better: 'lower' },
  { key: 'lockAllocKb', label: 'server JS heap allocated per lock (KB)', better: 'lower' },
  { key: 'builtRps', label: 'lock, each request built anew as the idempotent run\'s are: throughput (req/s)', better: 'higher' },
  { key: 'builtCpuUs', label: 'lock, each request built anew: server CPU per lock (µs)', better: 'lower' },
  { key: 'idemRps', label: 'lock with an Idempotency-Key (a new one each): throughput (req/s)', better: 'higher' },
  { key: 'idemCpuUs', label: 'lock with an Idempotency-Key: server CPU per lock (µs)', better: 'lower' },
  { key: 'idemRedisCpuUs', label: 'lock with an Idempotency-Key: Redis CPU per lock (µs)', better: 'lower' },
  { key: 'idemAllocKb', label: 'lock with an Idempotency-Key: allocated per lock (KB)', better: 'lower' },
  { key: 'redeemRps', label: 'redeem throughput (req/s)', better: 'higher' },
  { key: 'redeemP50Ms', label: 'redeem p50 (ms)', better: 'lower' },
  { key: 'redeemP99Ms', label: 'redeem p99 (ms)', better: 'lower' },
  { key: 'redeemCpuUs', label: 'server CPU per redeem (µs)', better: 'lower' },
  { key: 'redeemRedisCpuUs', label: 'Redis CPU per redeem (µs)', better: 'lower' },
  { key: 'redeemAllocKb', label: 'allocated per redeem (KB)', better: 'lower' },
];

export const LOCK_NOTES = [
  'Lock and redeem: each round measures every system in turn: 3 s of GET /healthz, a lock run of fixed duration, a run of the same length whose requests the load generator builds one by one (each with a new header the server ignores), one where every lock carries a new Idempotency-Key (built the same way), then a redeem run that redeems every quote of the plain lock run once, in lock order.',
  'The idempotent lock is compared with the plain lock built the same way: building each request costs autocannon about twice a prebuilt one\'s work, which slows the whole loop (fewer locks a turn, so more server CPU per lock): the built plain run holds that part of the difference, and what is left is the key\'s own.',
  'Throughput counts 2xx responses only; latencies are of 2xx responses, in whole milliseconds (autocannon).',
  'CPU per request: the server process (all threads, /proc) and Redis (INFO cpu, the whole process; and INFO commandstats, the time inside the commands clients sent: a script or a transaction counts once, with the commands it ran, which Redis 7 also lists on their own lines) over a run, divided by its 2xx responses. It holds when other work steals the cores; throughput does not. On a Redis shared with other work both include that work: give --redis-url a Redis of the bench\'s own for clean Redis figures.',
  'Allocation per request: the server\'s JS heap allocation over a run (rebuilt from the used heap before and after every GC by bench/lib/alloc-probe.ts, loaded with node --import), divided by its 2xx responses; socket buffers outside the JS heap are not counted.',
  'Peer: node:http, ws, ioredis with its defaults (no auto-pipelining), decimal.js on the main thread; lock is MULTI/EXEC (HSET, PEXPIREAT, XADD), redeem one Lua script.',
];

export interface LockOptions {
  connections: number;
  /** Length of a lock run; its redeem run takes as long as redeeming what it locked takes. */
  seconds: number;
  healthSeconds: number;
}

export interface LockRig {
  servers: Map<string, ServerProcess>;
  /** GET /healthz, a lock run and the redeem run of what it locked: one round's figures for `system`. */
  measure(system: string, round: number, o: LockOptions): Promise<{ figures: Figures; detail: unknown }>;
  /** A lock run alone (throughput, p50, p99, CPU per lock), for the cost growth with connections. */
  lockOnly(system: string, connections: number, seconds: number): Promise<{ figures: Figures; detail: unknown }>;
  settings: Record<string, unknown>;
  /** Stops the servers and removes the bench's Redis keys. */
  close(): Promise<void>;
}

/**
 * Starts engine and peer the way operators start them, on a copy of the shipped config with a short retention
 * (the bench does not fill Redis), a bounded event stream, per-key limits out of the way (one demo key carries
 * the whole load) and a 2 min quote TTL (a redeem run under contention can take longer than its lock run; this
 * bench measures redeem, not expiry); each with its own Redis key prefix. Then warms each up for 2 s.
 */
export async function lockRig(opts: { pinning: Pinning; redisUrl: string; tmp: string; log: (line: string) => void; cpuProfDir?: (system: string) => string }): Promise<LockRig> {
  mkdirSync(opts.tmp, { recursive: true });
  const doc = parse(readFileSync(defaultConfigPath(), 'utf8'));
  doc.store = { ...doc.store, retentionMs: 60_000, eventsMaxLen: 100_000 };
  doc.limits = { ...doc.limits, lockPerSecond: 1_000_000, lockBurst: 1_000_000, redeemPerSecond: 1_000_000, redeemBurst: 1_000_000 };
  doc.corridors['USD-INR'].quoteTtlMs = 120_000;
  const configPath = join(opts.tmp, 'lock-config.yaml');
  writeFileSync(configPath, stringify(doc));
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
  const servers = new Map<string, ServerProcess>();

  let idemRun = 0;
  /**
   * Locks for `seconds`. `idempotent`: every request carries an Idempotency-Key never used before, so the load
   * generator builds every request anew (autocannon's setupRequest), which costs it twice a prebuilt one's work and
   * slows the whole loop (fewer locks a turn, so more CPU per lock on the server). `built`: every request is built
   * the same way with a new header the server ignores, the plain lock the idempotent one is compared with.
   */
  const lockRun = async (base: string, connections: number, seconds: number, mode: 'prebuilt' | 'built' | 'idempotent' = 'prebuilt') => {
    const ids: string[] = [];
    const headers = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
    const run = `${prefix}i${++idemRun}`;
    const header = mode === 'idempotent' ? 'idempotency-key' : 'x-bench-seq';
    let next = 0;
    const figures = await load({
      url: base, connections, duration: seconds,
      requests: [{
        method: 'POST', path: '/v1/quotes', body: LOCK_BODY, headers,
        ...(mode !== 'prebuilt' ? { setupRequest: (req) => ({ ...req, headers: { ...headers, [header]: `${run}-${next++}` } }) } : {}),
        onResponse: (status: number, body: string) => {
          const id = status === 201 ? QUOTE_ID.exec(body)?.[1] : undefined;
          if (id) ids.push(id);
        },
      }],
    });
    return { figures, ids };
  };

  const redeemRun = async (base: string, connections: number, ids: string[], run: string) => {
    let next = 0;
    const figures = await load({
      url: base, connections, amount: ids.length,
      requests: [{
        method: 'POST',
        setupRequest: (req) => {
          const i = next++;
          return {
            ...req, path: `/v1/quotes/${ids[i % ids.length]}/redeem`, body: REDEEM_BODY,
            headers: { authorization: `Bearer ${TRANSFER_KEY}`, 'content-type': 'application/json', 'idempotency-key': `${run}-${i}` },
          };
        },
      }],
    });
    return { figures };
  };

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    redis.disconnect();
    await Promise.all([...servers.values()].map((s) => s.stop()));
    const dropped = await dropPrefix(opts.redisUrl, prefix);
    opts.log(`removed ${dropped} Redis keys under ${prefix}`);
  };

  try {
    for (const system of SERVERS) {
      const profDir = opts.cpuProfDir?.(system);
      if (profDir) rmSync(profDir, { recursive: true, force: true });
      servers.set(system, await spawnServer({
        name: system, script: ENTRIES[system], pinning: opts.pinning, logFile: join(opts.tmp, `lock-${system}.log`),
        env: { FX_CONFIG: configPath, REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: `${prefix}${system}:`, LOG_LEVEL: 'warn' },
        nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [], allocProbe: true,
      }));
    }
    for (const system of SERVERS) {
      const warm = await lockRun(servers.get(system)!.base, 64, 2);
      opts.log(`warm-up ${system}: ${warm.figures.rps} locks/s`);
    }
  } catch (err) {
    await close();
    throw err;
  }

  return {
    servers,
    settings: { redisUrl: opts.redisUrl, corridor: 'USD-INR', sendAmount: '1000.00', config: { store: doc.store, limits: doc.limits, quoteTtlMs: 120_000 } },
    async measure(system, round, o) {
      const server = servers.get(system)!;
      const loadBefore = loadavg()[0];
      const idle = await idleCores(server);
      const health = await load({ url: `${server.base}/healthz`, connections: o.connections, duration: o.healthSeconds });
      const lock = await costed(server, redis, () => lockRun(server.base, o.connections, o.seconds), idle);
      const built = await costed(server, redis, () => lockRun(server.base, o.connections, o.seconds, 'built'), idle);
      const idem = await costed(server, redis, () => lockRun(server.base, o.connections, o.seconds, 'idempotent'), idle);
      const redeem = await costed(server, redis, () => redeemRun(server.base, o.connections, lock.result.ids, `r${round}`), idle);
      const f = (c: Costed<{ figures: LoadFigures }>) => c.result.figures;
      return {
        figures: {
          healthRps: health.rps,
          lockRps: f(lock).rps, lockP50Ms: f(lock).p50Ms, lockP99Ms: f(lock).p99Ms,
          lockCpuUs: lock.cpuUs, lockCpuNetUs: lock.cpuNetUs, lockRedisCpuUs: lock.redisCpuUs, lockRedisCmdUs: lock.redisCmdUs, lockAllocKb: lock.allocKb,
          builtRps: f(built).rps, builtCpuUs: built.cpuUs,
          idemRps: f(idem).rps, idemCpuUs: idem.cpuUs, idemRedisCpuUs: idem.redisCpuUs, idemAllocKb: idem.allocKb,
          redeemRps: f(redeem).rps, redeemP50Ms: f(redeem).p50Ms, redeemP99Ms: f(redeem).p99Ms,
          redeemCpuUs: redeem.cpuUs, redeemRedisCpuUs: redeem.redisCpuUs, redeemAllocKb: redeem.allocKb,
          lockNon2xx: f(lock).non2xx + f(lock).errors + f(built).non2xx + f(built).errors + f(idem).non2xx + f(idem).errors, redeemNon2xx: f(redeem).non2xx + f(redeem).errors,
        },
        detail: {
          idleCores: idle, health, lock: f(lock), builtLock: f(built), idempotentLock: f(idem), redeem: f(redeem),
          busy: { lock: lock.busy, builtLock: built.busy, idempotentLock: idem.busy, redeem: redeem.busy },
          waitingForCore: { lock: lock.waiting, builtLock: built.waiting, idempotentLock: idem.waiting, redeem: redeem.waiting }, loadAverage1m: [loadBefore, loadavg()[0]],
        },
      };
    },
    async lockOnly(system, connections, seconds) {
      const server = servers.get(system)!;
      const lock = await costed(server, redis, () => lockRun(server.base, connections, seconds));
      const f = lock.result.figures;
      return {
        figures: { lockRps: f.rps, lockP50Ms: f.p50Ms, lockP99Ms: f.p99Ms, lockCpuUs: lock.cpuUs, lockRedisCpuUs: lock.redisCpuUs, lockNon2xx: f.non2xx + f.errors },
        detail: { lock: f, busy: lock.busy, waitingForCore: lock.waiting },
      };
    },
    close,
  };
}

/** The lock targets (issue 15), from the medians of one run: engine against the peer, and against its own plain lock. */
export function lockGoals(median: (key: string, system: string) => number): { goal: string; value: number; met: boolean }[] {
  const goal = (text: string, value: number, met: boolean) => ({ goal: text, value: Math.round(value * 100) / 100, met });
  const e = (k: string) => median(k, 'engine');
  return [
    goal('lock throughput >= 2.5x the peer (engine/peer)', e('lockRps') / median('lockRps', 'peer'), e('lockRps') >= 2.5 * median('lockRps', 'peer')),
    goal('server CPU per lock <= 25 µs (engine)', e('lockCpuUs'), e('lockCpuUs') <= 25),
    goal('Redis CPU per lock <= 8 µs (engine)', e('lockRedisCpuUs'), e('lockRedisCpuUs') <= 8),
    goal('allocation per lock in single-digit KB (engine, KB)', e('lockAllocKb'), e('lockAllocKb') < 10),
    // against the plain lock whose requests the load generator builds as it builds the idempotent ones
    goal('idempotent lock within 1.3x of the plain one (engine, plain/idempotent throughput, same load-generator work)', e('builtRps') / e('idemRps'), e('builtRps') <= 1.3 * e('idemRps')),
    goal('idempotent lock within 1.3x of the plain one (engine, idempotent/plain server CPU, same load-generator work)', e('idemCpuUs') / e('builtCpuUs'), e('idemCpuUs') <= 1.3 * e('builtCpuUs')),
  ];
}

/** Logs how busy each process was and how long it waited for a core, per lock/redeem run. */
export function logBusy(runs: readonly RunRecord[], log: (line: string) => void): void {
  log('cores busy (server / load generator / Redis) and cores waiting in the run queue (server / load generator), per run:');
  for (const r of runs) {
    const d = r.detail as { busy?: Record<string, Record<string, number>>; waitingForCore?: Record<string, Record<string, number>> };
    if (!d?.busy?.lock || !d.waitingForCore) continue;
    const show = (op: string) => `${Object.values(d.busy![op]!).join(' / ')} busy, ${Object.values(d.waitingForCore![op]!).join(' / ')} waiting`;
    log(`  ${r.system} r${r.round}: ${Object.keys(d.busy).map((op) => `${op} ${show(op)}`).join('; ')}`);
  }
}

/** The non-2xx responses of every run, flagged when any. */
export function non2xxLine(runs: readonly RunRecord[]): string {
  const mine = runs.filter((r) => 'lockNon2xx' in r.figures);
  const bad = mine.some((r) => r.figures.lockNon2xx! > 0 || (r.figures.redeemNon2xx ?? 0) > 0);
  const each = mine.map((r) => `${r.system} r${r.round}: lock ${r.figures.lockNon2xx}${'redeemNon2xx' in r.figures ? `, redeem ${r.figures.redeemNon2xx}` : ''}`).join('; ');
  return `non-2xx responses and errors: ${each}${bad ? '  <-- NOT ZERO: see the statuses in the JSON' : ''}`;
}

export interface LockSettings {
  rounds: number;
  connections: number;
  lockSeconds: number;
  healthSeconds: number;
  growthRounds: number;
  growthLockSeconds: number;
  connectionLevels: number[];
  redisRequests: number;
}

/**
 * The lock half of a bench run: 1. lock, idempotent lock, redeem and /healthz at one connection count, rounds
 * of engine, peer and limit in turn; 2. lock throughput and CPU per lock at each connection count.
 */
export async function lockSections(lock: LockRig, limits: LimitRig, s: LockSettings, log: (line: string) => void): Promise<{ runs: RunRecord[]; growth: Series }> {
  log(`lock and redeem at ${s.connections} connections, ${s.rounds} rounds of ${LOCK_SYSTEMS.join(', ')}`);
  const runs = await alternate({
    systems: LOCK_SYSTEMS, rounds: s.rounds, log: (line) => log(line.replace(/ lockNon2xx.*/, '')),
    measure: (system, round) => system === 'limit'
      ? limits.measure({ connections: s.connections, seconds: s.lockSeconds, redisRequests: s.redisRequests })
      : lock.measure(system, round, { connections: s.connections, seconds: s.lockSeconds, healthSeconds: s.healthSeconds }),
  });
  log(`lock throughput and CPU per lock at ${s.connectionLevels.join(', ')} connections, ${s.growthRounds} rounds`);
  const growth = await series({
    level: 'connections', levels: s.connectionLevels, systems: LOCK_SYSTEMS, rounds: s.growthRounds, log,
    measure: (system, _round, connections) => (system === 'limit' ? limits.lockOnly(connections, s.growthLockSeconds) : lock.lockOnly(system, connections, s.growthLockSeconds)),
  });
  return { runs, growth };
}

/** The lock growth charts: throughput, CPU per lock and p99 by connections. */
export function lockCharts(growth: Series, stamp: string): [string, Parameters<typeof plot>[0]][] {
  const levels = growth.points.map((p) => p.level);
  const lines = (key: string) => LOCK_SYSTEMS.map((system) => ({
    name: system === 'limit' ? 'limit (bare uWS + the same Redis write, pipelined)' : system,
    values: growth.points.map((p) => p.medians[system]?.[key] ?? Number.NaN),
  }));
  return [
    ['lock-throughput.png', { title: `Lock throughput by connections (${stamp})`, xLabel: 'connections', yLabel: 'req/s (2xx)', levels, lines: lines('lockRps') }],
    ['lock-cpu.png', { title: `Server CPU per lock by connections (${stamp})`, xLabel: 'connections', yLabel: 'µs per lock', levels, lines: lines('lockCpuUs') }],
    ['lock-p99.png', { title: `Lock p99 latency by connections (${stamp})`, xLabel: 'connections', yLabel: 'ms', levels, lines: lines('lockP99Ms') }],
  ];
}

/** The medians table's value for a metric and system. */
export const medianOf = (table: { values: number[] }[], metrics: readonly Metric[], systems: readonly string[]) =>
  (key: string, system: string): number => table[metrics.findIndex((m) => m.key === key)]!.values[systems.indexOf(system)]!;

export async function lockBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '6' },
      connections: { type: 'string', default: '64' },
      levels: { type: 'string', default: '16,64,256' },
      'growth-rounds': { type: 'string', default: '2' },
      'growth-duration': { type: 'string', default: '3' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const settings: LockSettings = {
    rounds: Number(args.rounds), connections: Number(args.connections), lockSeconds: Number(args.duration), healthSeconds: 3,
    growthRounds: Number(args['growth-rounds']), growthLockSeconds: Number(args['growth-duration']),
    connectionLevels: args.levels!.split(',').filter(Boolean).map(Number), redisRequests: 50_000,
  };
  const redisUrl = args['redis-url']!;
  const host = machine();
  const pinning = pinLoadGenerator();
  const tmp = join(projectRoot(), 'bench', 'results', 'tmp');
  const profDir = (system: string) => join(tmp, `prof-${system}`);
  const log = (line: string) => console.log(`[bench:lock] ${line}`);
  log(`${settings.rounds} rounds (${LOCK_SYSTEMS.join(' ')} alternately), ${settings.connections} connections, ${settings.lockSeconds} s lock runs; Redis ${redisUrl}`);
  log(`machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.node}, load average ${host.loadAverage.join(' ')}`);
  log(`cores: ${pinning.note}`);

  const limits = await limitRig({ pinning, redisUrl, tmp, fanoutPerSec: 1 });
  const rig = await lockRig({ pinning, redisUrl, tmp, log, cpuProfDir: args['cpu-prof'] ? profDir : undefined }).catch(async (err) => {
    await limits.close();
    throw err;
  });
  const onSignal = () => void Promise.all([rig.close(), limits.close()]).finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { runs, growth } = await lockSections(rig, limits, settings, log);
    await rig.close();
    await limits.close();
    logBusy(runs, log);
    const table1 = rows(LOCK_METRICS, runs, LOCK_SYSTEMS);
    const goals = lockGoals(medianOf(table1, LOCK_METRICS, LOCK_SYSTEMS));
    const { path, results } = writeResults({
      name: 'lock', pinning, machine: host, systems: LOCK_SYSTEMS, metrics: LOCK_METRICS, runs, series: { lock: growth },
      settings: { ...settings, ...rig.settings, cpuProfile: args['cpu-prof'] },
      notes: [...LOCK_NOTES, ...LIMIT_LOCK_NOTE, 'Two cores in all: the server under test, the load generator and Redis share them, and other work on the machine adds noise (see machine.loadAverage).',
        'Goals: ' + goals.map((g) => `${g.goal}: ${g.value} (${g.met ? 'met' : 'not met'})`).join('; ')],
    });
    const plots = join(tmp, 'plots');
    mkdirSync(plots, { recursive: true });
    const stamp = `${results.date.slice(0, 10)} ${results.commit.slice(0, 7)}${results.dirty ? ' (dirty)' : ''}, ${host.cores} cores`;
    for (const [file, chart] of lockCharts(growth, stamp)) plot(chart, join(plots, `bench-lock-${file}`));
    console.log('\n' + table(results.table, LOCK_SYSTEMS) + '\n');
    console.log('limit column: the lock rows are bench/limit-server.ts POST /lock (bare uWS + the same Redis write, pipelined); GET /healthz is its GET /hello.');
    for (const p of growth.points) log(`  ${p.level} connections: ${LOCK_SYSTEMS.map((sys) => `${sys} ${p.medians[sys]?.lockRps ?? '-'} locks/s, ${p.medians[sys]?.lockCpuUs ?? '-'} µs`).join('; ')}`);
    console.log('goals:');
    for (const g of goals) console.log(`  ${g.met ? 'met    ' : 'not met'}  ${g.goal}: ${g.value}`);
    log(non2xxLine([...runs, ...growth.points.flatMap((p) => p.runs)]));
    log(`results: ${path}; plots: ${plots}/bench-lock-*.png`);

    if (args['cpu-prof'])
      for (const system of SERVERS) {
        const file = readdirSync(profDir(system)).find((f) => f.endsWith('.cpuprofile'));
        if (file) console.log('\n' + formatCosts(`${system} CPU profile (${join(profDir(system), file)})`, profileCosts(join(profDir(system), file))));
      }
  } finally {
    await rig.close();
    await limits.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Which limit rows stand in the lock table's limit column. */
const LIMIT_LOCK_NOTE = ['The limit column of the lock rows: bench/limit-server.ts POST /lock (see the limit notes); its GET /healthz row is a bare uWS GET /hello.'];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await lockBench();

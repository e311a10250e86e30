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
import { parse, stringify } from 'yaml';
import { defaultConfigPath, projectRoot } from '../config/index.js';
import {
  alternate, dropPrefix, ENTRIES, formatCosts, load, machine, redisCpuMs, pinLoadGenerator, processCpuMs, processRunQueueWaitMs, profileCosts, spawnServer,
  table, writeResults, type Figures, type LoadFigures, type Metric, type Pinning, type RunRecord, type ServerProcess,
} from './lib/index.js';

const SYSTEMS = ['engine', 'peer'] as const;
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
  { key: 'redeemRps', label: 'redeem throughput (req/s)', better: 'higher' },
  { key: 'redeemP50Ms', label: 'redeem p50 (ms)', better: 'lower' },
  { key: 'redeemP99Ms', label: 'redeem p99 (ms)', better: 'lower' },
  { key: 'lockCpuUs', label: 'server CPU per lock (µs)', better: 'lower' },
  { key: 'redeemCpuUs', label: 'server CPU per redeem (µs)', better: 'lower' },
  { key: 'lockRedisCpuUs', label: 'Redis CPU per lock (µs)', better: 'lower' },
  { key: 'redeemRedisCpuUs', label: 'Redis CPU per redeem (µs)', better: 'lower' },
];

/**
 * Runs a load and adds what it cost: µs of CPU per 2xx response for the server process and Redis; how busy the
 * server, this process (the load generator) and Redis were, in cores; and how long the server's and the load
 * generator's threads waited for a core (run queue), in cores. A server below 1 core busy is either idle
 * (something else set the pace) or waiting for a core other work on the machine held: the wait tells which.
 */
async function costed<T extends { figures: LoadFigures }>(pid: number, redis: Redis, run: () => Promise<T>) {
  const sample = async () => ({
    cpu: processCpuMs(pid), wait: processRunQueueWaitMs(pid), self: processCpuMs(process.pid), selfWait: processRunQueueWaitMs(process.pid),
    redis: await redisCpuMs(redis), at: performance.now(),
  });
  const a = await sample();
  const result = await run();
  const b = await sample();
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, result.figures.ok));
  const cores = (ms: number) => Math.round((ms / (b.at - a.at)) * 100) / 100;
  return {
    ...result, cpuUs: per(b.cpu - a.cpu), redisCpuUs: per(b.redis - a.redis),
    busy: { serverCores: cores(b.cpu - a.cpu), loadGeneratorCores: cores(b.self - a.self), redisCores: cores(b.redis - a.redis) },
    waiting: { serverCores: cores(b.wait - a.wait), loadGeneratorCores: cores(b.selfWait - a.selfWait) },
  };
}

export const LOCK_NOTES = [
  'Lock and redeem: each round measures every system in turn: 3 s of GET /healthz, a lock run of fixed duration, then a redeem run that redeems every quote of that lock run once, in lock order.',
  'Throughput counts 2xx responses only; latencies are of 2xx responses, in whole milliseconds (autocannon).',
  'CPU per request: the server process (all threads, /proc) and Redis (INFO cpu; Redis is shared with other users of the machine) over a run, divided by its 2xx responses. It holds when other work steals the cores; throughput does not.',
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

  const lockRun = async (base: string, connections: number, seconds: number) => {
    const ids: string[] = [];
    const figures = await load({
      url: base, connections, duration: seconds,
      requests: [{
        method: 'POST', path: '/v1/quotes', body: LOCK_BODY,
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        onResponse: (status, body) => {
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
    for (const system of SYSTEMS) {
      const profDir = opts.cpuProfDir?.(system);
      if (profDir) rmSync(profDir, { recursive: true, force: true });
      servers.set(system, await spawnServer({
        name: system, script: ENTRIES[system], pinning: opts.pinning, logFile: join(opts.tmp, `lock-${system}.log`),
        env: { FX_CONFIG: configPath, REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: `${prefix}${system}:`, LOG_LEVEL: 'warn' },
        nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      }));
    }
    for (const system of SYSTEMS) {
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
      const { base, pid } = servers.get(system)!;
      const loadBefore = loadavg()[0];
      const health = await load({ url: `${base}/healthz`, connections: o.connections, duration: o.healthSeconds });
      const lock = await costed(pid, redis, () => lockRun(base, o.connections, o.seconds));
      const redeem = await costed(pid, redis, () => redeemRun(base, o.connections, lock.ids, `r${round}`));
      return {
        figures: {
          healthRps: health.rps,
          lockRps: lock.figures.rps, lockP50Ms: lock.figures.p50Ms, lockP99Ms: lock.figures.p99Ms,
          redeemRps: redeem.figures.rps, redeemP50Ms: redeem.figures.p50Ms, redeemP99Ms: redeem.figures.p99Ms,
          lockCpuUs: lock.cpuUs, redeemCpuUs: redeem.cpuUs, lockRedisCpuUs: lock.redisCpuUs, redeemRedisCpuUs: redeem.redisCpuUs,
          lockNon2xx: lock.figures.non2xx + lock.figures.errors, redeemNon2xx: redeem.figures.non2xx + redeem.figures.errors,
        },
        detail: { health, lock: lock.figures, redeem: redeem.figures, busy: { lock: lock.busy, redeem: redeem.busy }, waitingForCore: { lock: lock.waiting, redeem: redeem.waiting }, loadAverage1m: [loadBefore, loadavg()[0]] },
      };
    },
    async lockOnly(system, connections, seconds) {
      const { base, pid } = servers.get(system)!;
      const lock = await costed(pid, redis, () => lockRun(base, connections, seconds));
      return {
        figures: { lockRps: lock.figures.rps, lockP50Ms: lock.figures.p50Ms, lockP99Ms: lock.figures.p99Ms, lockCpuUs: lock.cpuUs, lockNon2xx: lock.figures.non2xx + lock.figures.errors },
        detail: { lock: lock.figures, busy: lock.busy, waitingForCore: lock.waiting },
      };
    },
    close,
  };
}

/** Logs how busy each process was and how long it waited for a core, per lock/redeem run. */
export function logBusy(runs: readonly RunRecord[], log: (line: string) => void): void {
  log('cores busy (server / load generator / Redis) and cores waiting in the run queue (server / load generator), per run:');
  for (const r of runs) {
    const d = r.detail as { busy?: Record<string, Record<string, number>>; waitingForCore?: Record<string, Record<string, number>> };
    if (!d?.busy?.lock || !d.waitingForCore) continue;
    const show = (op: string) => `${Object.values(d.busy![op]!).join(' / ')} busy, ${Object.values(d.waitingForCore![op]!).join(' / ')} waiting`;
    log(`  ${r.system} r${r.round}: lock ${show('lock')}; redeem ${show('redeem')}`);
  }
}

/** The non-2xx responses of every run, flagged when any. */
export function non2xxLine(runs: readonly RunRecord[]): string {
  const mine = runs.filter((r) => 'lockNon2xx' in r.figures);
  const bad = mine.some((r) => r.figures.lockNon2xx! > 0 || (r.figures.redeemNon2xx ?? 0) > 0);
  const each = mine.map((r) => `${r.system} r${r.round}: lock ${r.figures.lockNon2xx}${'redeemNon2xx' in r.figures ? `, redeem ${r.figures.redeemNon2xx}` : ''}`).join('; ');
  return `non-2xx responses and errors: ${each}${bad ? '  <-- NOT ZERO: see the statuses in the JSON' : ''}`;
}

export async function lockBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(args.rounds);
  const o: LockOptions = { connections: Number(args.connections), seconds: Number(args.duration), healthSeconds: 3 };
  const redisUrl = args['redis-url']!;
  const host = machine();
  const pinning = pinLoadGenerator();
  const tmp = join(projectRoot(), 'bench', 'results', 'tmp');
  const profDir = (system: string) => join(tmp, `prof-${system}`);
  const log = (line: string) => console.log(`[bench:lock] ${line}`);
  log(`${rounds} rounds (${SYSTEMS.join(' ')} alternately), ${o.connections} connections, ${o.seconds} s lock runs; Redis ${redisUrl}`);
  log(`machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.node}, load average ${host.loadAverage.join(' ')}`);
  log(`cores: ${pinning.note}`);

  const rig = await lockRig({ pinning, redisUrl, tmp, log, cpuProfDir: args['cpu-prof'] ? profDir : undefined });
  const onSignal = () => void rig.close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const runs = await alternate({ systems: SYSTEMS, rounds, log: (line) => log(line.replace(/ lockNon2xx.*/, '')), measure: (system, round) => rig.measure(system, round, o) });
    await rig.close();
    logBusy(runs, log);
    const { path, results } = writeResults({
      name: 'lock', pinning, machine: host, systems: SYSTEMS, metrics: LOCK_METRICS, runs,
      settings: { rounds, connections: o.connections, lockRunSeconds: o.seconds, ...rig.settings, cpuProfile: args['cpu-prof'] },
      notes: [...LOCK_NOTES, 'Two cores in all: the server under test, the load generator and Redis share them, and other work on the machine adds noise (see machine.loadAverage).'],
    });
    console.log('\n' + table(results.table, SYSTEMS) + '\n');
    log(non2xxLine(runs));
    log(`results: ${path}`);

    if (args['cpu-prof'])
      for (const system of SYSTEMS) {
        const file = readdirSync(profDir(system)).find((f) => f.endsWith('.cpuprofile'));
        if (file) console.log('\n' + formatCosts(`${system} CPU profile (${join(profDir(system), file)})`, profileCosts(join(profDir(system), file))));
      }
  } finally {
    await rig.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await lockBench();

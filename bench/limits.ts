// npm run bench:limits: the floor on this machine, for the limit rows of `npm run bench`. What the engine is built
// from, doing the least it can:
//
//   bare uWS (bench/limit-server.ts, server core)  GET /hello with autocannon, as GET /healthz is measured;
//                                                  POST /post (a body read, a lock-sized answer) and POST /lock
//                                                  (the same, plus the engine's Redis write for a lock, batched
//                                                  per turn and pipelined), loaded as the engine's lock is;
//                                                  a WS echo round trip (one socket, one message at a time);
//                                                  fan-out of one quote-shaped frame to N subscribers, measured by
//                                                  the stream bench's own client processes
//   Redis alone (redis-benchmark, load core)       SET, and EVALSHA of engine/scripts/redeem-2.lua on a quote id
//                                                  that does not exist: the script returns after one HMGET, so the
//                                                  row is Redis's rate for one short script call from a C client
//                                                  (64 connections, no pipelining), not a full redeem
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { projectRoot } from '../config/index.js';
import { alternate, costed, dropPrefix, redisCommandUs, redisCpuMs, ENTRIES, load, machine, median, pinLoadGenerator, spawnServer, table, rows, writeResults, type Figures, type LoadFigures, type Metric, type Pinning } from './lib/index.js';
import { measureStream, type StreamOptions } from './stream.js';

const run = promisify(execFile);
const REDEEM_SCRIPT = join(projectRoot(), 'engine', 'scripts', 'redeem-2.lua');
/** A frame the size and shape of the engine's quote frames (about 200 bytes). */
const ECHO_FRAME = '{"type":"quote","corridor":"USD-INR","rate":"83.9543","mid":"84.49493","spreadBps":"60","tier":0,"tradeable":true,"seq":1,"ts":1795239508728453,"tickTs":1795239508726368,"configVersion":"c_39c171c7"}';

/** Locks per script call in the lock write alone: about what the engine's batches hold at 64 connections here. */
const WRITE_BATCH = 16;

/** The limit-only rows (the HTTP and fan-out floors share rows with the engine's figures: healthRps, stream*). */
export const LIMIT_METRICS: Metric[] = [
  { key: 'postRps', label: 'limit: bare uWS POST, body read, lock-sized answer (req/s)', better: 'higher' },
  { key: 'postCpuUs', label: 'limit: bare uWS POST, server CPU per request (µs)', better: 'lower' },
  { key: 'postAllocKb', label: 'limit: bare uWS POST, allocated per request (KB)', better: 'lower' },
  { key: 'echoRttP50Us', label: 'limit: bare uWS WS echo round trip p50, 1 socket (µs)', better: 'lower' },
  { key: 'echoRttP99Us', label: 'limit: bare uWS WS echo round trip p99, 1 socket (µs)', better: 'lower' },
  { key: 'writeRedisCpuUs', label: `limit: the lock write alone (lock-n.lua, ${WRITE_BATCH} locks a call, no HTTP): Redis CPU per lock (µs)`, better: 'lower' },
  { key: 'writeRedisCmdUs', label: 'limit: the lock write alone: Redis command time per lock (µs)', better: 'lower' },
  { key: 'redisSetRps', label: 'limit: Redis SET, redis-benchmark 64 connections (req/s)', better: 'higher' },
  { key: 'redisSetP50Us', label: 'limit: Redis SET p50 (µs)', better: 'lower' },
  { key: 'redisEvalshaRps', label: 'limit: Redis EVALSHA redeem-2.lua, unknown id, 64 connections (req/s)', better: 'higher' },
  { key: 'redisEvalshaP50Us', label: 'limit: Redis EVALSHA redeem-2.lua p50 (µs)', better: 'lower' },
];

export const LIMIT_NOTES = [
  'Lock limit (the limit column of the lock rows): bench/limit-server.ts POST /lock reads the body and does the engine\'s Redis write for a lock (the turn\'s locks in one EVALSHA of engine/scripts/lock-n.lua: SET PXAT per quote, one XADD per batch, with ioredis), answering 201 with a lock-sized body from the reply: no auth, parsing, pricing or metrics. POST /post is the same without Redis.',
  'Limit rows: the same machine in the same run. HTTP: a bare uWS handler answering GET /hello, loaded with autocannon exactly as GET /healthz is. WS echo: one ws client in the load generator sends a 200-byte frame and waits for it back, over and over. Fan-out: the bare uWS server publishes a quote-shaped frame stamped with `ts` to one topic, as many a second as the engine published in the measurement just before it at the same subscriber count (the same frame rate), timed as the engine\'s price changes come: three schedules (a pair\'s three partners) whose intervals are drawn from 0.5-1.5x their mean, as the synthetic partners tick, kept on deadlines and in mirrored pairs so a window holds the rate (the target is in each run\'s detail); measured by the stream clients like the engine.',
  `The lock write alone: bench/limit-server.ts POST /write runs the lock floor's Redis write with no HTTP per lock, ${WRITE_BATCH} locks to an EVALSHA of lock-n.lua and 4 calls in flight, while nothing else loads the machine: what the write costs Redis when it has a core to itself. The lock rows' Redis figures are the same write with the server and the load generator competing for the two cores.`,
  'Redis: redis-benchmark (a C client, on the load core) with 64 connections and no pipelining; SET on one key, and EVALSHA of engine/scripts/redeem-2.lua for a quote id that does not exist (it answers NOT_FOUND after one HMGET): the cost of a script call round trip, not of a full redeem. The engine auto-pipelines, so it can pass these figures.',
];

/** Round trips of one message at a time on one socket for `seconds`: p50 and p99 in µs, and round trips per second. */
async function echo(url: string, seconds: number): Promise<{ p50Us: number; p99Us: number; perSec: number }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    let sent = 0;
    const send = () => {
      sent = performance.now();
      ws.send(ECHO_FRAME);
    };
    ws.on('message', () => {
      const now = performance.now();
      samples.push((now - sent) * 1000);
      if (now < until) send();
      else resolve();
    });
    send();
  });
  ws.terminate();
  samples.sort((a, b) => a - b);
  return { p50Us: Math.round(median(samples)), p99Us: Math.round(samples[Math.floor(samples.length * 0.99)]!), perSec: Math.round(samples.length / seconds) };
}

/** One redis-benchmark run of a command; its CSV line gives requests/s and the p50 in ms. */
async function redisBenchmark(redisUrl: string, requests: number, command: string[]): Promise<{ rps: number; p50Us: number; p99Us: number }> {
  const { hostname, port } = new URL(redisUrl);
  const { stdout } = await run('redis-benchmark', ['-h', hostname, '-p', port || '6379', '-c', '64', '-n', String(requests), '--csv', ...command]);
  const last = stdout.trim().split('\n').at(-1)!.split(',').map((c) => c.replaceAll('"', ''));
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  return { rps: Math.round(Number(last[1])), p50Us: Math.round(Number(last[4]) * 1000), p99Us: Math.round(Number(last[6]) * 1000) };
}

export interface LimitRig {
  base: string;
  /** GET /hello at `connections` for `seconds` (req/s and latencies, as load() gives them). */
  hello(connections: number, seconds: number): ReturnType<typeof load>;
  /** HTTP hello, bare POST, the lock floor (POST /lock), WS echo and the two redis-benchmark rows, as one run's figures. */
  measure(o: { connections: number; seconds: number; redisRequests: number }): Promise<{ figures: Figures; detail: unknown }>;
  /** The lock floor alone at `connections` (lock figures, as the engine's lockOnly gives them). */
  lockOnly(connections: number, seconds: number): Promise<{ figures: Figures; detail: unknown }>;
  /** The fan-out floor, measured like the engine's stream, publishing `perSec` frames a second (by default the rig's fanoutPerSec). */
  fanout(o: StreamOptions, perSec?: number): Promise<{ figures: Figures; detail: unknown }>;
  close(): Promise<void>;
}

export async function limitRig(opts: { pinning: Pinning; redisUrl: string; tmp: string; fanoutPerSec: number }): Promise<LimitRig> {
  await run('redis-benchmark', ['--version']).catch(() => {
    throw new Error('redis-benchmark is not installed: it ships with redis-server (Debian: apt-get install redis-tools)');
  });
  mkdirSync(opts.tmp, { recursive: true });
  const prefix = `bench:${randomUUID().slice(0, 8)}:limit:`;
  const start = (allocProbe = false, fanoutPerSec = opts.fanoutPerSec) => spawnServer({
    name: 'limit', script: ENTRIES.limit, pinning: opts.pinning, logFile: join(opts.tmp, 'limit-server.log'),
    env: { FANOUT_PER_SEC: String(fanoutPerSec), REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: prefix }, allocProbe,
  });
  const server = await start(true);
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
  const sha = (await redis.script('LOAD', readFileSync(REDEEM_SCRIPT, 'utf8'))) as string;
  const hello = (connections: number, seconds: number) => load({ url: `${server.base}/hello`, connections, duration: seconds });
  const post = (path: string, connections: number, seconds: number) => costed(server, redis, async () => ({
    figures: await load({
      url: server.base, connections, duration: seconds,
      requests: [{ method: 'POST', path, body: '{"corridor":"USD-INR","sendAmount":"1000.00"}', headers: { 'content-type': 'application/json' } }],
    }),
  }));
  const lockFigures = (lock: Awaited<ReturnType<typeof post>>) => {
    const f: LoadFigures = lock.result.figures;
    return {
      lockRps: f.rps, lockP50Ms: f.p50Ms, lockP99Ms: f.p99Ms, lockCpuUs: lock.cpuUs, lockCpuNetUs: lock.cpuUs, lockRedisCpuUs: lock.redisCpuUs, lockRedisCmdUs: lock.redisCmdUs,
      lockAllocKb: lock.allocKb, lockNon2xx: f.non2xx + f.errors,
    };
  };
  /** The lock write alone (POST /write): Redis CPU and command time per lock. */
  const writeAlone = async (locks: number) => {
    const [cpu, cmd] = [await redisCpuMs(redis), await redisCommandUs(redis)];
    const at = performance.now();
    const answer = await fetch(`${server.base}/write?locks=${locks}&batch=${WRITE_BATCH}&inflight=4`, { method: 'POST' });
    if (!answer.ok) throw new Error(`POST /write answered ${answer.status}`);
    const seconds = (performance.now() - at) / 1000;
    const per = (x: number) => Math.round((x * 10) / locks) / 10;
    return { locks, locksPerSec: Math.round(locks / seconds), redisCpuUs: per(((await redisCpuMs(redis)) - cpu) * 1000), redisCmdUs: per((await redisCommandUs(redis)) - cmd) };
  };
  return {
    base: server.base,
    hello,
    async lockOnly(connections, seconds) {
      const lock = await post('/lock', connections, seconds);
      return { figures: lockFigures(lock), detail: { lock: lock.result.figures, busy: lock.busy, waitingForCore: lock.waiting } };
    },
    async measure(o) {
      const http = await hello(o.connections, o.seconds);
      const bare = await post('/post', o.connections, o.seconds);
      const lock = await post('/lock', o.connections, o.seconds);
      const write = await writeAlone(o.redisRequests);
      const ws = await echo(`${server.base.replace(/^http/, 'ws')}/echo`, o.seconds);
      const set = await redisBenchmark(opts.redisUrl, o.redisRequests, ['SET', `${prefix}set`, 'v']);
      const evalsha = await redisBenchmark(opts.redisUrl, o.redisRequests, [
        'EVALSHA', sha, '2', `${prefix}{q}:q:none`, `${prefix}{q}:events`, 'none', 'bench', '', '1000', '', '1000', `${prefix}redeemed`,
      ]);
      return {
        figures: {
          healthRps: http.rps, postRps: bare.result.figures.rps, postCpuUs: bare.cpuUs, postAllocKb: bare.allocKb, ...lockFigures(lock),
          writeRedisCpuUs: write.redisCpuUs, writeRedisCmdUs: write.redisCmdUs, echoRttP50Us: ws.p50Us, echoRttP99Us: ws.p99Us,
          redisSetRps: set.rps, redisSetP50Us: set.p50Us, redisEvalshaRps: evalsha.rps, redisEvalshaP50Us: evalsha.p50Us,
        },
        detail: { hello: http, post: bare.result.figures, lock: lock.result.figures, busy: { post: bare.busy, lock: lock.busy }, waitingForCore: { post: bare.waiting, lock: lock.waiting }, echo: ws, write, set, evalsha },
      };
    },
    async fanout(o, perSec) {
      // A fresh server, as the engine and the peer get: RSS per subscriber is growth from one that never held sockets.
      const fresh = await start(false, perSec);
      try {
        const m = await measureStream(fresh.base, { ...o, path: '/fanout' });
        return { ...m, detail: { ...(m.detail as object), fanoutTargetPerSec: perSec ?? opts.fanoutPerSec } };
      } finally {
        await fresh.stop();
      }
    },
    async close() {
      redis.disconnect();
      await server.stop();
      await dropPrefix(opts.redisUrl, prefix);
    },
  };
}

/** npm run bench:limits: the limit rows alone. */
export async function limitsBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      'redis-requests': { type: 'string', default: '100000' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    },
  });
  const host = machine();
  const pinning = pinLoadGenerator();
  const log = (line: string) => console.log(`[bench:limits] ${line}`);
  log(`machine: ${host.cpuModel}, ${host.cores} cores, load average ${host.loadAverage.join(' ')}; cores: ${pinning.note}`);
  const rig = await limitRig({ pinning, redisUrl: args['redis-url']!, tmp: join(projectRoot(), 'bench', 'results', 'tmp'), fanoutPerSec: 10 });
  const o = { connections: Number(args.connections), seconds: Number(args.seconds), redisRequests: Number(args['redis-requests']) };
  const metrics: Metric[] = [{ key: 'healthRps', label: `limit: bare uWS GET /hello, ${o.connections} connections (req/s)`, better: 'higher' }, ...LIMIT_METRICS];
  try {
    const runs = await alternate({ systems: ['limit'], rounds: Number(args.rounds), log, measure: () => rig.measure(o) });
    console.log(`\n${table(rows(metrics, runs, ['limit']), ['limit'])}\n`);
    const { path } = writeResults({ name: 'limits', pinning, machine: host, systems: ['limit'], metrics, runs, settings: { ...o, rounds: Number(args.rounds) }, notes: LIMIT_NOTES });
    log(`results: ${path}`);
  } finally {
    await rig.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await limitsBench();

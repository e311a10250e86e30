// The bare uWS server of the limit rows: the least a uWebSockets.js server can do on this machine, to show how
// close the engine comes to it. No config, no auth, no JSON parsing, no metrics library.
//
//   GET /hello     200 "hello"                                   (HTTP floor, autocannon like the other servers)
//   WS  /echo      sends every message back as is                (WS round-trip floor)
//   WS  /fanout    a socket that sends anything joins one topic; the server publishes a quote-shaped frame,
//                  stamped with `ts` (epoch µs) as the engine does, FANOUT_PER_SEC times a second, timed as the
//                  engine's price changes come (fan-out floor; see the publisher below)
//   POST /post     reads the body, answers 201 with a lock-sized JSON body  (HTTP POST floor)
//   POST /lock     reads the body, then the engine's Redis write for a lock: the turn's locks batched into one
//                  EVALSHA of engine/scripts/lock-n.lua (a SET PXAT per quote, one XADD per batch) with
//                  ioredis, answered 201 from the reply callback                (lock floor: uWS + the same write)
//   POST /write?locks=L&batch=B&inflight=F  the same Redis write alone, no HTTP per lock: L locks in batches of B,
//                  F batches in flight; answers once every one is written  (what the write costs Redis alone)
//   GET /readyz    200, for the bench runner
//   GET /metrics   frames published, CPU time and RSS
//
// Run as the engine is: PORT, HOST; plus FANOUT_PER_SEC (default 10), FANOUT_STREAMS (default 3), and REDIS_URL /
// REDIS_KEY_PREFIX for /lock.
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import type * as UWS from 'uWebSockets.js';
import { systemClock } from '../engine/clock.js';

const uws: typeof UWS = createRequire(import.meta.url)('uWebSockets.js');
if (!String(uws.App).includes('[native code]')) throw new Error('uWebSockets.js loaded its pure-JS fallback, not the native binding');

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const fanoutPerSec = Number(process.env.FANOUT_PER_SEC ?? 10);
const fanoutStreams = Number(process.env.FANOUT_STREAMS ?? 3);
if (!(fanoutPerSec > 0 && Number.isFinite(fanoutPerSec)) || !(Number.isInteger(fanoutStreams) && fanoutStreams >= 1))
  throw new Error(`FANOUT_PER_SEC must be a positive number and FANOUT_STREAMS a positive integer (got ${process.env.FANOUT_PER_SEC}, ${process.env.FANOUT_STREAMS})`);
// `ts` from the engine's true clock, as the engine and the stream clients read it: performance.timeOrigin is off
// the wall clock by up to a millisecond, a random amount per process, which is more than the latencies measured.
const nowUs = () => systemClock.nowUs();

let published = 0;
// Named as the engine's and the peer's /metrics name them (prom-client), so the stream bench reads all three alike.
const metrics = () => {
  const cpu = process.cpuUsage();
  return [
    `fx_ws_frames_published_total ${published}`,
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`, '',
  ].join('\n');
};

/** A lock answer's size and shape, with the id filled in per request. */
const BODY_HEAD = '{"id":"';
const BODY_TAIL = '","corridor":"USD-INR","sendCurrency":"USD","receiveCurrency":"INR","sendAmount":"1000.00","receiveAmount":"83836.00","rate":"83.8360","fee":"0.00","createdAt":"2026-11-21T06:16:11.467Z","expiresAt":"2026-11-21T06:18:11.467Z","configVersion":"c_8c3f15b1","route":[{"partner":"lp-a","pair":"USD/INR","rate":"84.46958","ageMs":6}],"spread":{"tierBps":"60","marketClosedBps":"15","volatilityBps":"0","skewBps":"0","totalBps":"75"}}';
const POST_BODY = `${BODY_HEAD}q_0AAAAAAAAAAAAAAAAAAAAAA${BODY_TAIL.slice(0, -1)},"status":"locked"}`;

// The engine's id scheme: one CSPRNG fill per 256 ids.
const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;
const newId = (shard: number) => {
  if (poolAt === pool.length) (randomFillSync(pool), (poolAt = 0));
  poolAt += 16;
  return `q_${shard.toString(16)}${pool.toString('base64url', poolAt - 16, poolAt)}`;
};

type LockScript = (n: number, keys: string[], args: (string | number)[]) => Promise<unknown[]>;
const redis = process.env.REDIS_URL
  ? new Redis(process.env.REDIS_URL, { keyPrefix: process.env.REDIS_KEY_PREFIX ?? '', maxRetriesPerRequest: 0, enableOfflineQueue: false })
  : undefined;
redis?.defineCommand('fxLock', { lua: readFileSync(new URL('../../engine/scripts/lock-n.lua', import.meta.url), 'utf8') });
let shard = 0;
let batch: { keys: string[]; records: string[]; lines: string[]; keep: number; answer: ((ok: boolean) => void)[] } | undefined;
const flush = () => {
  const b = batch;
  if (!b) return; // sent already (/write sends its batches at once)
  batch = undefined;
  shard = (shard + 1) % 16;
  // lock-n.lua's plain quotes: MAXLEN, keep-until, how many, the joined event lines, then a record each
  const args = [100_000, b.keep, b.records.length, b.lines.join('\n'), ...b.records];
  (redis as unknown as { fxLock: LockScript }).fxLock(b.keys.length, b.keys, args).then(() => b.answer.forEach((a) => a(true)), () => b.answer.forEach((a) => a(false)));
};
const lock = (answer: (id: string, ok: boolean) => void) => {
  const id = newId(shard);
  if (!batch) {
    batch = { keys: [`{fx:${shard.toString(16)}}:events`], records: [], lines: [], keep: 0, answer: [] };
    setImmediate(flush);
  }
  const exp = Date.now() + 120_000;
  const terms = BODY_HEAD + id + BODY_TAIL;
  batch.keys.push(`{fx:${shard.toString(16)}}:q:${id}`);
  // the record as the engine writes it (no fingerprint: a lock without an Idempotency-Key) and the event line
  batch.records.push(`L\n${exp}\n"bench"\n\n${terms}`);
  batch.lines.push(`${id} USD-INR 1000.00 83836.00 ${exp}`);
  batch.keep = exp + 60_000;
  batch.answer.push((ok) => answer(terms, ok));
};

/** /write: `locks` locks through lock(), `size` to a batch sent at once, `inflight` batches at a time; then done(ok). */
const writeAlone = (locks: number, size: number, inflight: number, done: (ok: boolean) => void) => {
  let left = locks;
  let running = 0;
  let ok = true;
  const next = () => {
    for (; running < inflight && left > 0; running++) {
      let pending = Math.min(size, left);
      left -= pending;
      for (let i = pending; i > 0; i--) lock((_, written) => {
        ok &&= written;
        if (--pending > 0) return;
        running--;
        if (left > 0) next();
        else if (running === 0) done(ok);
      });
      flush();
    }
  };
  next();
};

/** Reads a request body to its end, then calls `done` (the body itself is not looked at). */
const onBody = (res: UWS.HttpResponse, done: () => void) => {
  res.onAborted(() => ((res as { aborted?: boolean }).aborted = true));
  res.onData((_chunk, isLast) => isLast && done());
};

const app = uws.App()
  .get('/hello', (res) => void res.end('hello'))
  .post('/post', (res) => onBody(res, () => res.cork(() => res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(POST_BODY))))
  .post('/lock', (res) => onBody(res, () => lock((terms, ok) => {
    if ((res as { aborted?: boolean }).aborted) return;
    res.cork(() => (ok ? res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(`${terms.slice(0, -1)},"status":"locked"}`) : res.writeStatus('503 Service Unavailable').end()));
  })))
  .post('/write', (res, req) => {
    const q = new URLSearchParams(req.getQuery() ?? '');
    const [locks, size, inflight] = ['locks', 'batch', 'inflight'].map((k) => Math.max(1, Number(q.get(k)) || 1)) as [number, number, number];
    onBody(res, () => writeAlone(locks, size, inflight, (ok) => !(res as { aborted?: boolean }).aborted && res.cork(() => res.writeStatus(ok ? '200 OK' : '503 Service Unavailable').end(String(locks)))));
  })
  .get('/readyz', (res) => void res.end('{"status":"ready"}'))
  .get('/metrics', (res) => void res.end(metrics()))
  .ws('/echo', { message: (ws, message, isBinary) => void ws.send(message, isBinary) })
  .ws('/fanout', { message: (ws) => void ws.subscribe('quotes'), maxBackpressure: 512 * 1024 });

// The engine publishes a corridor when one of its partners' ticks moves the price, and the synthetic partners
// tick each pair on its own schedule, every interval drawn from 0.5-1.5x the mean (feeds/synthetic.ts). The floor
// is timed the same way: FANOUT_STREAMS such schedules (a pair's three partners) sharing FANOUT_PER_SEC, each
// publishing on its ticks; FANOUT_STREAMS=1 with no jitter would be the evenly spaced best case, which no feed of
// independent partners gives. Seeded, so runs are alike. Each schedule runs on deadlines (the next one drawn from
// the last, not from when the publish ended), so the time a publish takes does not lower the rate.
let seq = 0;
let seed = 42;
const jitter = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const meanMs = (1000 * fanoutStreams) / fanoutPerSec;
const publish = () => {
  if (app.numSubscribers('quotes') === 0) return;
  const ts = nowUs();
  app.publish('quotes', `{"type":"quote","corridor":"USD-INR","rate":"83.9543","mid":"84.49493","spreadBps":"60","tier":0,"tradeable":true,"seq":${++seq},"ts":${ts},"tickTs":${ts},"configVersion":"c_39c171c7"}`);
  published++;
};
const timers = new Set<NodeJS.Timeout>();
// Intervals come in mirrored pairs (u, then 1 - u): still uniform, and every two add up to twice the mean, so a
// few seconds' window holds the rate asked for, not one a seeded run's draws happen to lean towards.
const stream = (at: number, mirror: number | undefined) => {
  const t = setTimeout(() => {
    timers.delete(t);
    publish();
    const u = mirror ?? jitter();
    stream(at + meanMs * (0.5 + u), mirror === undefined ? 1 - u : undefined);
  }, Math.max(0, at - performance.now()));
  timers.add(t);
};
const started = performance.now();
for (let i = 0; i < fanoutStreams; i++) stream(started + meanMs * jitter(), undefined);

app.listen(host, port, (socket) => {
  if (!socket) throw new Error(`cannot listen on ${host}:${port}`);
  console.log(`limit server listening on http://${host}:${uws.us_socket_local_port(socket)}`);
  const stop = () => {
    for (const t of timers) clearTimeout(t);
    redis?.disconnect();
    uws.us_listen_socket_close(socket);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});

// npm run bench:stream — fan-out of the quote stream: subscribers 1k / 5k / 10k held by several client
// processes; frames/s delivered, publish-to-receive p50/p99/p99.9 from each frame's `ts`, and server RSS
// per subscriber. The server and the clients share this machine's cores (pinned apart with taskset when
// there are at least 2), so the clients' own cost is in the figures: read them as an upper bound.
//
//   bench/stream.ts ──spawn──► engine (dist/gateway/main.js, pinned to core 0)
//        │          ──spawn──► K × stream-clients.js (N/K sockets each, pinned to the other cores)
//        └── stdin commands: measure / report / exit; each client answers one JSON line
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SUBSCRIBERS = (args.get('subscribers') ?? '1000,5000,10000').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 10);
const UPDATES_PER_SEC = Number(args.get('updates') ?? 200); // per corridor subscribed
const CLIENT_PROCS = Number(args.get('clients') ?? 3);
const URL_OVERRIDE = args.get('url'); // measure another server (the peer) that is already running

const cores = cpus().length;
const haveTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();
const pinned = (core: string, cmd: string, argv: string[]): [string, string[]] =>
  haveTaskset && cores >= 2 ? ['taskset', ['-c', core, cmd, ...argv]] : [cmd, argv];

function benchConfig(): string {
  const doc = parse(readFileSync(join(root, 'config/default.yaml'), 'utf8'));
  // USD/INR has three partners: each tick moves the best price, so ~3 x tps snapshots a second.
  // --updates=0 measures idle subscribers: partners tick once a minute.
  doc.synthetic.ticksPerSecond = UPDATES_PER_SEC === 0 ? 1 / 60 : Math.max(1, Math.round(UPDATES_PER_SEC / 3));
  doc.limits = { ...doc.limits, connections: 1_000_000, subscriptions: 10_000_000 };
  const path = join(mkdtempSync(join(tmpdir(), 'fx-bench-')), 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

function lines(child: ChildProcess): AsyncIterableIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function startEngine(): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, argv] = pinned('0', process.execPath, [join(root, 'dist/gateway/main.js')]);
  const child = spawn(cmd, argv, { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', FX_CONFIG: benchConfig(), REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of lines(child)) {
    const url = /"url":"http:\/\/localhost:(\d+)"/.exec(line);
    if (url) return { child, port: Number(url[1]) };
  }
  throw new Error('engine did not start');
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

async function counter(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
}

interface Row { subscribers: number; framesPerSec: number; p50Us: number; p99Us: number; p999Us: number; rssPerSubscriberKb: number; publishedPerSec: number; closedEarly: number }

async function run(n: number): Promise<Row> {
  const engine = URL_OVERRIDE ? undefined : await startEngine();
  const base = URL_OVERRIDE ?? `http://127.0.0.1:${engine!.port}`;
  const wsUrl = base.replace(/^http/, 'ws') + '/v1/stream';
  await new Promise((r) => setTimeout(r, 1_000));
  const rssBefore = engine ? rssKb(engine.child.pid!) : NaN;
  const clientCores = cores >= 2 ? `1-${cores - 1}` : '0';
  const procs = Array.from({ length: CLIENT_PROCS }, (_, i) => {
    const per = Math.floor(n / CLIENT_PROCS) + (i < n % CLIENT_PROCS ? 1 : 0);
    const [cmd, argv] = pinned(clientCores, process.execPath, [join(root, 'dist/bench/stream-clients.js'), wsUrl, String(per), 'USD-INR']);
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
    return { child, out: lines(child) };
  });
  for (const p of procs) await p.out.next(); // {"ready":N}
  await new Promise((r) => setTimeout(r, 1_000));
  const rssAfter = engine ? rssKb(engine.child.pid!) : NaN;
  const published0 = await counter(base, 'fx_ws_frames_published_total');
  for (const p of procs) p.child.stdin!.write('measure\n');
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const p of procs) p.child.stdin!.write('report\n');
  const reports = await Promise.all(procs.map(async (p) => JSON.parse((await p.out.next()).value as string)));
  const published1 = await counter(base, 'fx_ws_frames_published_total');
  for (const p of procs) p.child.stdin!.write('exit\n');
  engine?.child.kill('SIGTERM');
  const frames = reports.reduce((a, r) => a + r.frames, 0);
  // Percentiles: weighted by each process's frames (each process's histogram is exact; this merges them approximately).
  const weighted = (k: 'p50Us' | 'p99Us' | 'p999Us') => reports.reduce((a, r) => a + r[k] * r.frames, 0) / Math.max(1, frames);
  return {
    subscribers: n,
    framesPerSec: Math.round(frames / SECONDS),
    p50Us: Math.round(weighted('p50Us')),
    p99Us: Math.round(Math.max(...reports.map((r) => r.p99Us))),
    p999Us: Math.round(Math.max(...reports.map((r) => r.p999Us))),
    rssPerSubscriberKb: Number(((rssAfter - rssBefore) / n).toFixed(2)),
    publishedPerSec: Math.round((published1 - published0) / SECONDS),
    closedEarly: reports.reduce((a, r) => a + r.closedEarly, 0),
  };
}

const rows: Row[] = [];
for (const n of SUBSCRIBERS) {
  rows.push(await run(n));
  await new Promise((r) => setTimeout(r, 500));
}
console.table(rows);
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
} catch {}
const machine = { cpu: cpus()[0]?.model, cores, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, pinning: haveTaskset && cores >= 2 ? 'server core 0, clients other cores' : 'shared' };
const out = { bench: 'stream', date: new Date().toISOString(), commit, machine, settings: { seconds: SECONDS, updatesPerSec: UPDATES_PER_SEC, clientProcesses: CLIENT_PROCS }, rows };
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/stream-${out.date.slice(0, 10)}-${commit}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`written ${file}`);
process.exit(0);

// Servers under test run as child processes, apart from the load generator, configured the way an operator
// runs them (PORT, HOST, REDIS_URL, FX_CONFIG, ...). The runner gives each a free port, then waits for
// /readyz (config loaded, store up, prices fresh).
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serverCommand, type Pinning } from './machine.js';

/**
 * The compiled entry script of each server the benches run: the engine through its composition root (as
 * operators start it), the plain peer, and the bare uWS server of the limit rows.
 */
export const ENTRIES = {
  engine: fileURLToPath(new URL('../../app/main.js', import.meta.url)),
  peer: fileURLToPath(new URL('../peer/main.js', import.meta.url)),
  limit: fileURLToPath(new URL('../limit-server.js', import.meta.url)),
} as const;

/** The allocation counter every server under test is started with (`node --import`). */
const ALLOC_PROBE = fileURLToPath(new URL('./alloc-probe.js', import.meta.url));

export interface ServerProcess {
  name: string;
  pid: number;
  base: string;
  /** SIGTERM, as an operator stops it (a server then exits cleanly and `--cpu-prof` writes its profile). */
  stop(): Promise<void>;
  /** Bytes the server has allocated on its JS heap so far (bench/lib/alloc-probe.ts). */
  allocatedBytes(): Promise<number>;
}

export interface SpawnOptions {
  name: string;
  /** The compiled entry script. */
  script: string;
  env: Record<string, string>;
  pinning: Pinning;
  /** Where the child's stdout and stderr go. */
  logFile: string;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Load bench/lib/alloc-probe.ts, for allocatedBytes() (off by default: its GC records would count in RSS figures). */
  allocProbe?: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = openSync(opts.logFile, 'a');
  const allocFile = `${opts.logFile}.alloc.json`;
  rmSync(allocFile, { force: true }); // a count from an earlier process would read as this one's
  const probe = opts.allocProbe ? ['--import', ALLOC_PROBE] : [];
  const [cmd, args] = serverCommand(opts.pinning, [process.execPath, ...probe, ...(opts.nodeArgs ?? []), opts.script]);
  const env = { ...process.env, ...opts.env, PORT: String(port), HOST: '127.0.0.1', ...(opts.allocProbe ? { FX_ALLOC_FILE: allocFile } : {}) };
  const child = spawn(cmd, args, { env, stdio: ['ignore', log, log] });
  let allocSeq = 0;
  const allocatedBytes = async () => {
    if (!opts.allocProbe) throw new Error(`${opts.name} was started without the allocation probe`);
    const read = () => (existsSync(allocFile) ? (JSON.parse(readFileSync(allocFile, 'utf8')) as { seq: number; allocatedBytes: number }) : undefined);
    process.kill(child.pid!, 'SIGUSR2');
    for (let i = 0; i < 200; i++) {
      const got = (() => {
        try {
          return read();
        } catch {
          return undefined; // read mid-write: try again
        }
      })();
      if (got && got.seq > allocSeq) {
        allocSeq = got.seq;
        return got.allocatedBytes;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${opts.name} did not report its allocation (${allocFile})`);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };

  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode} before it was ready; see ${opts.logFile}`);
    const status = await fetch(`${base}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${opts.name} was not ready (/readyz ${status}) within ${timeoutMs} ms; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: opts.name, pid: child.pid!, base, stop, allocatedBytes };
}

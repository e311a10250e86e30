// Servers under test run as child processes, apart from the load generator. A child reports its port over
// IPC ({ ready: true, port }), then the runner waits for /readyz (config loaded, store up, prices fresh).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { serverCommand, type Pinning } from './machine.js';

export interface ServerProcess {
  name: string;
  pid: number;
  base: string;
  stop(): Promise<void>;
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
}

export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  const log = openSync(opts.logFile, 'a');
  const [cmd, args] = serverCommand(opts.pinning, [process.execPath, ...(opts.nodeArgs ?? []), opts.script]);
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', log, log, 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  const fail = (why: string) => new Error(`${opts.name} ${why}; see ${opts.logFile}`);

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(fail(`did not report its port within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m: { ready?: boolean; port?: number }) => (clearTimeout(timer), m.ready && m.port ? resolve(m.port) : reject(fail('sent no port'))));
    child.once('exit', (code) => (clearTimeout(timer), reject(fail(`exited with ${code} before it was ready`))));
  }).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  const base = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${base}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw fail(`was not ready (/readyz ${status}) within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: opts.name, pid: child.pid!, base, stop };
}

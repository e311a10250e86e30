// Engine processes of their own (the real entry point, run from source), for multi-process and signal tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../app/main.ts', import.meta.url));

export interface EngineProcess {
  child: ChildProcess;
  base: string;
  port: number;
  logs: any[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${base} not ready within ${timeoutMs} ms`);
}

export function spawnEngine(env: Record<string, string>, timeoutMs = 20_000): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: any[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('engine process did not start in time'))), timeoutMs);
    void exited.then((code) => reject(new Error(`engine process exited early (${code}): ${JSON.stringify(logs.slice(-3))}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: any;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry.url === 'string' && entry.url.startsWith('http://')) {
        clearTimeout(timer);
        const port = Number(new URL(entry.url).port);
        const base = `http://127.0.0.1:${port}`;
        // Started is not ready: wait for the first prices, as a load balancer's readiness probe would.
        void waitReady(base, timeoutMs).then(() => resolve({ child, base, port, logs, exited }), reject);
      }
    });
  });
}

// Runs the real edge config (deploy/haproxy/haproxy.cfg) in front of a test gateway: HAProxy from Debian
// (`.ci/run` installs it), in the foreground, on ports of its own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CONFIG = fileURLToPath(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url));

export interface Edge {
  port: number;
  statsPort: number;
  /** What HAProxy has printed so far (its log goes to stdout). */
  log(): string;
  close(): Promise<void>;
}

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
  s.on('error', reject);
});

export function haproxyPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  if (!found) throw new Error('haproxy is missing: run .ci/run, or `apt-get install haproxy`');
  return found;
}

/** Starts HAProxy on the deploy config, forwarding to the gateway at `gatewayPort`; resolves once it answers. */
export async function startEdge(gatewayPort: number): Promise<Edge> {
  const [port, statsPort] = [await freePort(), await freePort()];
  const env = { ...process.env, FX_EDGE_BIND: `127.0.0.1:${port}`, FX_GATEWAY_1: `127.0.0.1:${gatewayPort}`, FX_EDGE_STATS: `127.0.0.1:${statsPort}` };
  const child: ChildProcess = spawn(haproxyPath(), ['-db', '-f', CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${log}`);
    // Ready once the gateway's health check has passed: the backend is up.
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not come up: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port, statsPort,
    log: () => log,
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

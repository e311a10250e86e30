import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Fails loudly (never skips) when the test Redis is not there. */
export async function requireRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`these tests need Redis at ${REDIS_URL} (start it: redis-server --daemonize yes --port 6379 --save "" --appendonly no): ${(err as Error).message}`);
  }
  return redis;
}

/** host:port of the run's 3-master test cluster (started by test/global-setup.ts). */
export const clusterNodes = (): string[] => inject('redisClusterNodes');

/** A plain client of the test cluster (reads the event streams, asks CLUSTER questions). */
export function clusterClient(): Cluster {
  return new Cluster(clusterNodes().map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })));
}

/** A key prefix of its own for one test run, so runs never see each other's keys. */
export const testPrefix = () => `test:${randomUUID().slice(0, 8)}:`;

export async function dropPrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  if (redis instanceof Cluster) {
    await Promise.all(redis.nodes('master').map((node) => dropPrefix(node, prefix)));
    return;
  }
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    // One DEL per key: on a cluster node, keys of several slots in one DEL are refused (CROSSSLOT).
    if (found.length) await Promise.all(found.map((k) => redis.del(k)));
  } while (cursor !== '0');
}

/** A Redis of the test's own, on a free port, with AOF fsync'd on every write: it can be killed and restarted. */
export class OwnRedis {
  #child: import('node:child_process').ChildProcess | undefined;
  private constructor(readonly port: number, readonly dir: string) {}

  static async create(): Promise<OwnRedis> {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as import('node:net').AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const own = new OwnRedis(port, mkdtempSync(join(tmpdir(), 'fx-redis-')));
    await own.start();
    return own;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const { spawn } = await import('node:child_process');
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes',
      '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 5_000;
    for (;;) {
      const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {}); // refused while it boots: expected
      const ok = await r.connect().then(() => r.ping(), () => undefined).catch(() => undefined);
      r.disconnect();
      if (ok === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`own redis-server on ${this.port} did not start (is redis-server installed?)`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.#child?.kill(sig);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

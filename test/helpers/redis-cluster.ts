// A real Redis Cluster of the test's own: N masters, no replicas, on loopback ports from 7000-7099 (cluster
// bus 17000-17099). test/global-setup.ts starts one for the whole run; a test that breaks nodes starts its own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const FIRST_PORT = 7000;
const LAST_PORT = 7099;

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A port in 7000-7099 free for itself and its bus port (+10000), not in `taken`. Random start: concurrent runs rarely race. */
async function freePort(taken: Set<number>): Promise<number> {
  const span = LAST_PORT - FIRST_PORT + 1;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = FIRST_PORT + ((offset + i) % span);
    if (!taken.has(port) && (await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error(`no free port pair in ${FIRST_PORT}-${LAST_PORT} (and +10000) for a test Redis Cluster`);
}

async function answers(port: number, command: string[]): Promise<string | undefined> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return String(await r.call(command[0]!, ...command.slice(1)));
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`test Redis Cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ClusterOptions {
  masters?: number;
  /** AOF fsync'd on every write, so a node killed and restarted keeps every acknowledged write. */
  durable?: boolean;
}

class Node {
  child: ChildProcess | undefined;
  constructor(readonly port: number, readonly dir: string, private readonly durable: boolean) {}

  start(): void {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(this.port + 10_000),
      '--cluster-config-file', join(this.dir, 'nodes.conf'), '--dir', this.dir, '--save', '',
      ...(this.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ], { stdio: 'ignore' });
    this.child.on('error', () => {}); // redis-server missing: start() reports it by timing out with a hint
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}

export class RedisCluster {
  private constructor(private readonly nodes: Node[], private readonly root: string) {}

  /** host:port of every master, as REDIS_CLUSTER_NODES takes them. */
  get addresses(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  static async start(opts: ClusterOptions = {}): Promise<RedisCluster> {
    const root = mkdtempSync(join(tmpdir(), 'fx-cluster-'));
    const taken = new Set<number>();
    const nodes: Node[] = [];
    for (let i = 0; i < (opts.masters ?? 3); i++) {
      const port = await freePort(taken);
      taken.add(port);
      nodes.push(new Node(port, mkdtempSync(join(root, `n${port}-`)), opts.durable ?? false));
    }
    const cluster = new RedisCluster(nodes, root);
    try {
      for (const n of nodes) n.start();
      await until('every node answers PING (is redis-server installed?)', async () =>
        (await Promise.all(nodes.map((n) => answers(n.port, ['PING'])))).every((a) => a === 'PONG'), 10_000);
      await run('redis-cli', ['--cluster', 'create', ...cluster.addresses, '--cluster-replicas', '0', '--cluster-yes']);
      await cluster.ready();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Every node reports cluster_state:ok. */
  async ready(timeoutMs = 15_000): Promise<void> {
    await until('cluster_state:ok on every node', async () =>
      (await Promise.all(this.nodes.map((n) => answers(n.port, ['CLUSTER', 'INFO'])))).every((a) => a?.includes('cluster_state:ok')), timeoutMs);
  }

  /** The master's port that serves a key (by CLUSTER KEYSLOT and CLUSTER SLOTS). */
  async masterOf(key: string): Promise<number> {
    const r = new Redis({ port: this.nodes[0]!.port, host: '127.0.0.1' });
    try {
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
    } finally {
      r.disconnect();
    }
  }

  /** Kills a master (SIGKILL unless told) and, with restart, brings it back on the same port and files. */
  async kill(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#node(port).stop(signal);
  }

  async restart(port: number): Promise<void> {
    const node = this.#node(port);
    node.start();
    await until(`node ${port} answers PING again`, async () => (await answers(port, ['PING'])) === 'PONG', 10_000);
    await this.ready();
  }

  signal(port: number, signal: NodeJS.Signals): void {
    this.#node(port).child?.kill(signal);
  }

  #node(port: number): Node {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on ${port}`);
    return node;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

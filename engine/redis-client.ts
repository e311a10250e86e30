// Every Redis connection the engine opens is built here: one node (REDIS_URL) or a Redis Cluster
// (REDIS_CLUSTER_NODES), one reconnect strategy, and two ways of behaving:
//
//   commands    fail fast: no offline queue, nothing re-sent after a reconnect, no auto-pipelining
//               (ioredis runs one auto-pipeline per node at a time, so a reply that never comes would
//               hold every command queued behind it past its time-out)
//   subscriber  queue and resubscribe across reconnects, which is what a notification channel wants
//
// Time-outs are not ioredis's commandTimeout (its error says so only in its message): withTimeout()
// races a call against a timer and rejects with a StoreTimeout, so callers branch on what it is.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** One node: redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  url?: string;
  /** A Redis Cluster: some of its nodes as host:port (the others are discovered). Used instead of url. */
  clusterNodes?: string[];
  /** Credentials for every node (a url may carry its own; these win when set). */
  username?: string;
  password?: string;
  /** TLS (a url may say so with rediss:// instead). */
  tls?: boolean;
}

export type RedisClient = Redis | Cluster;

export interface ClientOptions {
  role: 'commands' | 'subscriber';
  keyPrefix?: string;
  /** Bound on opening a connection to one node. */
  connectTimeoutMs?: number;
}

/** The one reconnect strategy: 50 ms doubling to 2 s, with up to 20% jitter so a fleet does not reconnect in step. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

/** Parses REDIS_CLUSTER_NODES ("host:port,host:port"); throws naming the entry that is not host:port. */
export function parseClusterNodes(text: string): string[] {
  const nodes = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!nodes.length) throw new Error('REDIS_CLUSTER_NODES must list at least one host:port');
  for (const n of nodes) {
    const port = Number(n.slice(n.lastIndexOf(':') + 1));
    if (!/^[^\s:/]+:\d+$/.test(n) || !Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`REDIS_CLUSTER_NODES: "${n}" is not host:port`);
  }
  return nodes;
}

/** Where the client points, for logs: hosts and ports only, never a password. */
export function describeTarget(target: RedisTarget): string {
  if (target.clusterNodes) return `cluster ${target.clusterNodes.join(',')}`;
  try {
    const u = new URL(target.url ?? '');
    return `${u.protocol}//${u.hostname}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

export function createRedis(target: RedisTarget, opts: ClientOptions): RedisClient {
  const failFast = opts.role === 'commands';
  const auth = { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
  const node: RedisOptions = {
    connectTimeout: opts.connectTimeoutMs ?? 2_000,
    // subscriber: null = keep a command until it can be sent (SUBSCRIBE across a reconnect)
    maxRetriesPerRequest: failFast ? 0 : null,
    autoResendUnfulfilledCommands: !failFast,
    enableAutoPipelining: false,
    ...auth,
  };
  if (target.clusterNodes) {
    const cluster: ClusterOptions = {
      keyPrefix: opts.keyPrefix ?? '',
      enableOfflineQueue: !failFast,
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnectDelayMs,
      clusterNodeRetryStrategy: reconnectDelayMs,
      // A node gone or a cluster down answers at once (503), rather than a retry that would run after the caller gave up.
      retryDelayOnFailover: failFast ? 0 : 100,
      retryDelayOnClusterDown: failFast ? 0 : 100,
      retryDelayOnTryAgain: 50,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? 2_000,
      redisOptions: { ...node, ...(target.tls ? { tls: {} } : {}) },
      // Managed clusters behind TLS announce addresses their certificates do not name by IP: keep the names.
      ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    };
    return new Cluster(target.clusterNodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })), cluster);
  }
  if (!target.url) throw new Error('a Redis target needs url or clusterNodes');
  return new Redis(target.url, {
    ...node,
    keyPrefix: opts.keyPrefix ?? '',
    enableOfflineQueue: !failFast,
    retryStrategy: reconnectDelayMs,
    ...(target.tls ? { tls: {} } : {}),
  });
}

/** A call that did not answer in time: it was sent, so Redis may still apply it. */
export class StoreTimeout extends Error {
  constructor(readonly op: string, readonly timeoutMs: number) {
    super(`${op} timed out after ${timeoutMs} ms`);
  }
}

/** Resolves or rejects as the call does, or rejects with StoreTimeout after timeoutMs, whichever comes first. */
export function withTimeout<T>(op: string, call: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeout(op, timeoutMs)), timeoutMs);
    call.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

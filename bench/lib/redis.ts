// The shared Redis the benches use: what it costs (its own CPU time) and how a bench removes its keys afterwards.
// The Redis at 127.0.0.1:6379 is shared with tests and other work: a bench writes only under its own key prefix
// and deletes only those keys, never FLUSHALL.
import { Redis } from 'ioredis';

/** Redis's own CPU time so far (user + system), ms. Redis is shared, so this includes whatever else uses it. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/**
 * What scripts and transactions run inside them, in this project's scripts (engine/scripts, the peer's) and the
 * peer's MULTI: Redis 7 counts such a command twice, in its own commandstats line and inside the EVALSHA or EXEC
 * that ran it, so these lines are left out of the sum (a client that sent one of these directly is not counted).
 */
const RUN_INSIDE = new Set(['get', 'hmget', 'hset', 'set', 'publish', 'time', 'xadd', 'pexpireat']);

/**
 * Time Redis spent running the commands its clients sent so far (INFO commandstats), µs: its CPU less the
 * network and the event loop. A script or transaction counts once, with what it ran (RUN_INSIDE).
 */
export async function redisCommandUs(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) if (!RUN_INSIDE.has(m[1]!)) total += Number(m[2]);
  return total;
}

/** Deletes every key under `prefix` (SCAN + UNLINK); returns how many. */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let dropped = 0;
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (found.length) dropped += await redis.unlink(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dropped;
}

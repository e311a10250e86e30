// What a load cost the server under test and Redis, per 2xx response: CPU (/proc, INFO cpu, INFO
// commandstats), JS heap allocation (bench/lib/alloc-probe.ts), and how busy and starved each process was.
import type { Redis } from 'ioredis';
import type { LoadFigures } from './load.js';
import { processCpuMs, processRunQueueWaitMs } from './machine.js';
import { redisCommandUs, redisCpuMs } from './redis.js';
import type { ServerProcess } from './servers.js';

export interface Costed<T> {
  result: T;
  /** µs of CPU per 2xx response: the server process (all threads) and Redis (INFO cpu, and its command time) */
  cpuUs: number;
  /** The server's CPU per 2xx response less what it spends idle over as long (its own background work), µs */
  cpuNetUs: number;
  redisCpuUs: number;
  redisCmdUs: number;
  /** JS heap bytes the server allocated per 2xx response, KB */
  allocKb: number;
  busy: { serverCores: number; loadGeneratorCores: number; redisCores: number };
  waiting: { serverCores: number; loadGeneratorCores: number };
}

/**
 * Runs a load and adds what it cost: µs of CPU per 2xx response for the server process and Redis, the server's
 * JS heap allocation per response; how busy the server, this process (the load generator) and Redis were, in
 * cores; and how long the server's and the load generator's threads waited for a core (run queue), in cores. A
 * server below 1 core busy is either idle (something else set the pace) or waiting for a core other work on the
 * machine held: the wait tells which.
 */
export async function costed<T extends { figures: LoadFigures }>(server: ServerProcess, redis: Redis, run: () => Promise<T>, idleCores = 0): Promise<Costed<T>> {
  const { pid } = server;
  const sample = async () => ({
    cpu: processCpuMs(pid), wait: processRunQueueWaitMs(pid), self: processCpuMs(process.pid), selfWait: processRunQueueWaitMs(process.pid),
    redis: await redisCpuMs(redis), redisCmd: await redisCommandUs(redis), alloc: await server.allocatedBytes(), at: performance.now(),
  });
  const a = await sample();
  const result = await run();
  const b = await sample();
  const ok = Math.max(1, result.figures.ok);
  const per = (ms: number) => Math.round((ms * 1000 * 10) / ok) / 10;
  const cores = (ms: number) => Math.round((ms / (b.at - a.at)) * 100) / 100;
  return {
    result, cpuUs: per(b.cpu - a.cpu), cpuNetUs: per(Math.max(0, b.cpu - a.cpu - idleCores * (b.at - a.at))), redisCpuUs: per(b.redis - a.redis), redisCmdUs: Math.round(((b.redisCmd - a.redisCmd) * 10) / ok) / 10,
    allocKb: Math.round(((b.alloc - a.alloc) / ok / 1024) * 100) / 100,
    busy: { serverCores: cores(b.cpu - a.cpu), loadGeneratorCores: cores(b.self - a.self), redisCores: cores(b.redis - a.redis) },
    waiting: { serverCores: cores(b.wait - a.wait), loadGeneratorCores: cores(b.selfWait - a.selfWait) },
  };
}


/** How many cores the server keeps busy with no load (pricing, feeds, timers), over `ms`. */
export async function idleCores(server: ServerProcess, ms = 1_500): Promise<number> {
  const a = processCpuMs(server.pid);
  const at = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (processCpuMs(server.pid) - a) / (performance.now() - at);
}

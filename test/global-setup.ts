// Once per test run: a real 3-master Redis Cluster for the *.redis.test.ts files that run on a cluster
// (test/helpers/redis.ts clusterNodes()). Stopped when the run ends.
import type { TestProject } from 'vitest/node';
import { RedisCluster } from './helpers/redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisClusterNodes: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await RedisCluster.start({ masters: 3 });
  project.provide('redisClusterNodes', cluster.addresses);
  return () => cluster.stop();
}

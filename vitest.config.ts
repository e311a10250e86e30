import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A real 3-master Redis Cluster for the run (the cluster tests); see test/helpers/redis-cluster.ts.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests share one Redis and bind loopback ports; files run in parallel, tests inside a file in order.
    pool: 'forks',
  },
});

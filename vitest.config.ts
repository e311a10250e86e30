import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests share one Redis and bind loopback ports; files run in parallel, tests inside a file in order.
    pool: 'forks',
  },
});

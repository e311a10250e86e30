// Start-up refusals are coded: the process says which setting is wrong, in one fatal line, and exits 1.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnEngine } from '../helpers/process.js';
import { REDIS_URL } from '../helpers/redis.js';
import { writeConfig } from '../helpers/server.js';

const MAIN = fileURLToPath(new URL('../../app/main.ts', import.meta.url));

/** Runs the real entry point with `env`; resolves with its exit code and its fatal log line. */
function refusal(env: Record<string, string>): Promise<{ exit: number | null; fatal: any }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let fatal: any;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const entry = JSON.parse(line);
      if (entry.level === 60) fatal = entry;
    } catch {
      // not a log line
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('exit', (exit) => (clearTimeout(timer), resolve({ exit, fatal }))));
}

describe('start-up', () => {
  it.each([
    [{ FX_ROLE: 'both' }, 'invalid_setting', /FX_ROLE/],
    [{ PORT: '70000' }, 'invalid_setting', /PORT/],
    [{ FX_ROLE: 'gateway', REDIS_URL: '' }, 'role_needs_redis', /REDIS_URL/],
    [{ FX_CONFIG: '/nonexistent/fx.yaml' }, 'config_unreadable', /cannot read config/],
    [{ REDIS_URL, REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, 'invalid_setting', /not both/],
    [{ REDIS_URL: '', REDIS_CLUSTER_NODES: '127.0.0.1:7000,nope' }, 'invalid_setting', /REDIS_CLUSTER_NODES: "nope" is not host:port/],
    // Production never runs on demo data unless told it is a demo; the message says what to set.
    [{ NODE_ENV: 'production', REDIS_URL }, 'demo_data_in_production', /synthetic partners \(lp-a, lp-b, lp-c\).*FX_CONFIG.*FX_ALLOW_DEMO_DATA=1/],
    [{ NODE_ENV: 'production', REDIS_URL, FX_REPLAY: 'feeds/samples/synthetic-30s.ndjson' }, 'demo_data_in_production', /replayed recording.*FX_ALLOW_DEMO_DATA=1/],
  ])('refuses %j with %s', async (env, code, message) => {
    const { exit, fatal } = await refusal(env);
    expect(exit).toBe(1);
    expect(fatal).toMatchObject({ code, error: expect.stringMatching(message) });
  });

  it('refuses an invalid config with config_invalid, naming the path', async () => {
    const path = writeConfig((c) => (c.corridors['USD-INR'].tiers[0].spreadBps = 'wide'));
    const { exit, fatal } = await refusal({ FX_CONFIG: path });
    expect(exit).toBe(1);
    expect(fatal).toMatchObject({ code: 'config_invalid', error: expect.stringContaining('corridors.USD-INR.tiers.0.spreadBps') });
  });

  it('refuses NODE_ENV=production on the in-memory store, even with real feeds only', async () => {
    const { exit, fatal } = await refusal({ NODE_ENV: 'production', FX_CONFIG: writeConfig((c) => delete c.synthetic), REDIS_URL: '' });
    expect(exit).toBe(1);
    expect(fatal).toMatchObject({ code: 'memory_store_in_production', error: expect.stringMatching(/REDIS_URL or REDIS_CLUSTER_NODES.*FX_ALLOW_DEMO_DATA=1/) });
  });

  it('starts in production on demo data with FX_ALLOW_DEMO_DATA=1, the demo keys still refused', async () => {
    const engine = await spawnEngine({ NODE_ENV: 'production', FX_ALLOW_DEMO_DATA: '1', REDIS_URL: '' });
    try {
      expect(engine.logs.find((l) => l.url)).toMatchObject({ store: 'memory', demoKeys: [] });
    } finally {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
  });
});

// Start-up refusals are coded: the process says which setting is wrong, in one fatal line, and exits 1.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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
});

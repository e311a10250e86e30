// Start-up refusals: coded, documented, and saying what to set. Production never runs on demo data
// (synthetic partners, a replay, the in-memory store) unless told it is a demo.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STARTUP_ERRORS } from '../../gateway/startup-errors.js';
import { runEngineToExit, spawnEngine } from '../helpers/process.js';
import { REDIS_URL } from '../helpers/redis.js';
import { writeConfig } from '../helpers/server.js';

const fatal = (logs: any[]) => logs.find((l) => l.level === 60);

describe('start-up errors', () => {
  const doc = readFileSync(new URL('../../docs/startup-errors.md', import.meta.url), 'utf8');

  it('documents every code, and no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(STARTUP_ERRORS).sort());
  });

  it('refuses NODE_ENV=production on the shipped synthetic partners, saying what to set', async () => {
    const { code, logs } = await runEngineToExit({ NODE_ENV: 'production', REDIS_URL });
    expect(code).toBe(1);
    expect(fatal(logs)).toMatchObject({ code: 'demo_data_in_production', docs: 'docs/startup-errors.md#demo_data_in_production' });
    expect(fatal(logs).error).toMatch(/synthetic partners \(lp-a, lp-b, lp-c\).*FX_CONFIG.*FX_ALLOW_DEMO_DATA=1/);
  });

  it('refuses NODE_ENV=production on the in-memory store', async () => {
    const real = writeConfig((c) => delete c.synthetic);
    const { code, logs } = await runEngineToExit({ NODE_ENV: 'production', FX_CONFIG: real, REDIS_URL: '' });
    expect(code).toBe(1);
    expect(fatal(logs).code).toBe('memory_store_in_production');
    expect(fatal(logs).error).toMatch(/REDIS_URL or REDIS_CLUSTER_NODES/);
  });

  it('refuses unusable Redis settings with invalid_setting', async () => {
    const both = await runEngineToExit({ REDIS_URL, REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(fatal(both.logs)).toMatchObject({ code: 'invalid_setting', error: expect.stringMatching(/not both/) });
    const bad = await runEngineToExit({ REDIS_URL: '', REDIS_CLUSTER_NODES: '127.0.0.1:7000,nope' });
    expect(fatal(bad.logs)).toMatchObject({ code: 'invalid_setting', error: 'REDIS_CLUSTER_NODES: "nope" is not host:port' });
  });

  it('starts in production on demo data when FX_ALLOW_DEMO_DATA=1', async () => {
    const engine = await spawnEngine({ NODE_ENV: 'production', FX_ALLOW_DEMO_DATA: '1', REDIS_URL: '' });
    try {
      expect(engine.logs.find((l) => l.url)).toMatchObject({ store: 'memory', demoKeys: [] }); // demo keys stay refused
    } finally {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
  });
});

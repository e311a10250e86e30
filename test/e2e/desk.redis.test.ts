// The desk's maker-checker over real processes on one Redis: a pricer, a gateway and an all-in-one process.
// A change proposed by one admin key is applied only when another approves it, and then on every process
// within a second; a halt-only change is the kill switch (one key, at once); all of it survives a restart and
// is audited with both keys' names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { spawnEngine, type EngineProcess } from '../helpers/process.js';
import { clusterClient, clusterNodes, dropPrefix, REDIS_URL, requireRedis, testPrefix } from '../helpers/redis.js';
import { CHECKER, CLIENT, DESK, eventually, http, startServer, writeConfig } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

const propose = (base: string, key: string, patch: unknown, reason = 'test') => http(base, 'POST', '/v1/desk/changes', { key, body: { patch, reason } });
const approve = (base: string, key: string, id: string) => http(base, 'POST', `/v1/desk/changes/${id}/approve`, { key });
const skewOn = async (base: string) => (await http(base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=100', { key: CLIENT })).json?.spread?.skewBps;
const lock = (base: string, corridor = 'USD-INR') => http(base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor, sendAmount: '100.00' } });

describe('the desk on Redis, across processes', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let env: Record<string, string>;
  let all: EngineProcess;
  let pricer: EngineProcess;
  let gateway: EngineProcess;

  beforeAll(async () => {
    redis = await requireRedis();
    env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, FX_CONFIG: writeConfig((c) => (c.synthetic.ticksPerSecond = 10)) };
    [all, pricer] = await Promise.all([spawnEngine({ ...env, FX_ROLE: 'all' }), spawnEngine({ ...env, FX_ROLE: 'pricer' })]);
    gateway = await spawnEngine({ ...env, FX_ROLE: 'gateway' });
  }, 90_000);

  afterAll(async () => {
    for (const p of [all, pricer, gateway]) p?.child.kill('SIGTERM');
    await Promise.all([all?.exited, pricer?.exited, gateway?.exited]);
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('keeps a change pending until a second key approves it: the maker cannot', async () => {
    const before = (await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json.version;
    const made = await propose(all.base, DESK, { corridors: { 'USD-INR': { skewBps: '3' } } }, 'tighten for the morning');
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ status: 'pending', proposedBy: 'demo-desk', baseVersion: before, reason: 'tighten for the morning' });
    const pending = await http(gateway.base, 'GET', '/v1/desk/changes?status=pending', { key: CHECKER });
    expect(pending.json.changes.map((c: any) => c.id)).toContain(made.json.id);

    const self = await approve(all.base, DESK, made.json.id);
    expect(self.status).toBe(403);
    expect(self.json.code).toBe('four_eyes_required');
    expect((await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json.version).toBe(before);
    expect(await skewOn(all.base)).toBe('0');

    const client = await approve(all.base, CLIENT, made.json.id);
    expect(client.status).toBe(403);
    expect(client.json.code).toBe('forbidden');
  });

  it('prices an approved change on every other process (pricer and gateway) within a second', async () => {
    const made = await propose(gateway.base, DESK, { corridors: { 'USD-INR': { skewBps: '7', quoteTtlMs: 20000 } } });
    expect(await skewOn(gateway.base)).not.toBe('7');
    const approved = await approve(gateway.base, CHECKER, made.json.id);
    const at = Date.now();
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ status: 'applied', proposedBy: 'demo-desk', approvedBy: 'demo-checker' });
    const version = approved.json.configVersion;
    // The all-in-one process prices it itself; the gateway serves what the pricer priced under the new version.
    await eventually(async () => ((await skewOn(all.base)) === '7' ? true : undefined), 1_000);
    const quote = await eventually(async () => {
      const q = (await http(gateway.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=100', { key: CLIENT })).json;
      return q?.spread?.skewBps === '7' && q.configVersion === version ? q : undefined;
    }, 1_000);
    expect(Date.now() - at).toBeLessThan(1_000);
    expect(quote.configVersion).toBe(version);
    expect((await http(all.base, 'GET', '/v1/corridors/USD-INR', { key: CLIENT })).json.quoteTtlMs).toBe(20000);
    expect((await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json.version).toBe(version);
  });

  it('refuses a bad patch naming the path, and a patch of apiKeys, feeds or server, changing nothing', async () => {
    const before = (await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json;
    const changesBefore = (await http(all.base, 'GET', '/v1/desk/changes', { key: DESK })).json.changes.length;
    const auditBefore = (await http(all.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries.length;

    const bad = await propose(all.base, DESK, { corridors: { 'USD-INR': { tiers: [{ upTo: '1000', spreadBps: '50' }, { upTo: '500', spreadBps: '40' }] } } });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ code: 'invalid_config', path: 'corridors.USD-INR.tiers.1.upTo' });
    const number = await propose(all.base, DESK, { corridors: { 'USD-INR': { skewBps: 5 } } });
    expect(number.json).toMatchObject({ code: 'invalid_config', path: 'corridors.USD-INR.skewBps' });
    const unknown = await propose(all.base, DESK, { corridors: { 'USD-INR': { spread: '5' } } });
    expect(unknown.json.code).toBe('invalid_config');
    for (const section of ['apiKeys', 'feeds', 'server']) {
      const refused = await propose(all.base, DESK, { [section]: section === 'apiKeys' ? [] : {} });
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('not_desk_editable');
    }
    const notJson = await http(all.base, 'POST', '/v1/desk/changes', { key: DESK, body: { patch: [], reason: 'x' } });
    expect(notJson.status).toBe(400);

    expect((await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json).toEqual(before);
    expect((await http(all.base, 'GET', '/v1/desk/changes', { key: DESK })).json.changes).toHaveLength(changesBefore);
    expect((await http(all.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries).toHaveLength(auditBefore);
  });

  it('answers 409 change_not_pending for a decided change, 409 config_changed when the config moved, 404 for an unknown one', async () => {
    const first = await propose(all.base, DESK, { corridors: { 'GBP-INR': { skewBps: '2' } } });
    const second = await propose(all.base, DESK, { corridors: { 'EUR-INR': { skewBps: '2' } } });
    expect((await approve(all.base, CHECKER, first.json.id)).status).toBe(200);
    const again = await approve(gateway.base, CHECKER, first.json.id);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('change_not_pending');
    const moved = await approve(all.base, CHECKER, second.json.id);
    expect(moved.status).toBe(409);
    expect(moved.json.code).toBe('config_changed');
    expect((await http(all.base, 'GET', '/v1/corridors/EUR-INR/quote?sendAmount=100', { key: CLIENT })).json.spread.skewBps).toBe('0');

    const rejected = await http(all.base, 'POST', `/v1/desk/changes/${second.json.id}/reject`, { key: DESK });
    expect(rejected.json).toMatchObject({ status: 'rejected', rejectedBy: 'demo-desk' });
    expect((await approve(all.base, CHECKER, second.json.id)).json.code).toBe('change_not_pending');
    const unknown = await approve(all.base, CHECKER, 'chg_0000000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('change_not_found');
  });

  it('halts a corridor at once with one key: locks get 503 corridor_halted everywhere, the stream and GET /v1/corridors say halted', async () => {
    const stream = await StreamClient.open(gateway.base.replace('http', 'ws') + '/v1/stream', { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['USD-PHP'] });
    await stream.next((f) => f.type === 'quote' && f.tradeable);
    expect((await lock(all.base, 'USD-PHP')).status).toBe(201);

    const halt = await propose(all.base, DESK, { corridors: { 'USD-PHP': { halted: true } } }, 'partner incident');
    expect(halt.status).toBe(201);
    expect(halt.json).toMatchObject({ status: 'applied', proposedBy: 'demo-desk', approvedBy: 'demo-desk' });
    // On the process that took it: before the answer was sent.
    const refused = await lock(all.base, 'USD-PHP');
    expect(refused.status).toBe(503);
    expect(refused.json.code).toBe('corridor_halted');
    // On the gateway: within a second.
    await eventually(async () => ((await lock(gateway.base, 'USD-PHP')).json.code === 'corridor_halted' ? true : undefined), 1_000);
    const frame = await stream.next((f) => f.type === 'quote' && !f.tradeable, 2_000);
    expect(frame).toMatchObject({ corridor: 'USD-PHP', tradeable: false, reason: 'halted', rate: null });
    const listed = (await http(gateway.base, 'GET', '/v1/corridors', { key: CLIENT })).json.corridors.find((c: any) => c.id === 'USD-PHP');
    expect(listed).toMatchObject({ tradeable: false, reason: 'halted' });
    expect(listed.reasonDetail).toMatch(/halted/);
    // The rest trade on.
    expect((await lock(gateway.base, 'USD-INR')).status).toBe(201);
    stream.close();
  });

  it('needs the second key to resume', async () => {
    const resume = await propose(gateway.base, DESK, { corridors: { 'USD-PHP': { halted: false } } }, 'incident over');
    expect(resume.status).toBe(201);
    expect(resume.json.status).toBe('pending');
    expect((await lock(all.base, 'USD-PHP')).json.code).toBe('corridor_halted');
    expect((await approve(gateway.base, DESK, resume.json.id)).json.code).toBe('four_eyes_required');
    expect((await approve(gateway.base, CHECKER, resume.json.id)).status).toBe(200);
    await eventually(async () => ((await lock(all.base, 'USD-PHP')).status === 201 ? true : undefined), 1_000);
    await eventually(async () => ((await lock(gateway.base, 'USD-PHP')).status === 201 ? true : undefined), 1_000);
  });

  it('keeps an approved change across a restart', async () => {
    const beforeCfg = (await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json;
    const version = beforeCfg.version;
    all.child.kill('SIGTERM');
    await all.exited;
    all = await spawnEngine({ ...env, FX_ROLE: 'all' });
    const after = (await http(all.base, 'GET', '/v1/desk/config', { key: DESK })).json;
    expect(after.config).toEqual(beforeCfg.config);
    expect(after.version).toBe(version);
    expect(after.config.corridors['USD-INR']).toMatchObject({ skewBps: '7', quoteTtlMs: 20000 });
    expect(await skewOn(all.base)).toBe('7');
  }, 30_000);

  it('audits every proposal, approval, rejection, application and halt with the keys\' names', async () => {
    const { entries } = (await http(all.base, 'GET', '/v1/desk/audit', { key: CHECKER })).json;
    const actions = entries.map((e: any) => `${e.action} ${e.by}`);
    for (const a of ['propose demo-desk', 'approve demo-checker', 'apply demo-checker', 'reject demo-desk', 'halt demo-desk']) expect(actions).toContain(a);
    const at = entries.map((e: any) => Date.parse(e.at));
    expect([...at].sort((a, b) => b - a)).toEqual(at); // newest first
    // An application says what it changed, as a file reload does.
    const applied = entries.filter((e: any) => e.action === 'apply').flatMap((e: any) => e.detail.changes);
    expect(applied).toContainEqual({ corridor: 'USD-INR', field: 'skewBps', old: '0', new: '7' });
    const halt = entries.find((e: any) => e.action === 'halt');
    expect(halt).toMatchObject({ changeId: expect.stringMatching(/^chg_/), configVersion: expect.stringMatching(/^c_/) });
    // Nothing but names: no key material.
    expect(JSON.stringify(entries)).not.toMatch(/demo-(desk|checker)-key|sha256/);
  });
});

describe('the desk on a 3-master Redis Cluster', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({ store: 'redis', redis: { clusterNodes: clusterNodes() } });
  });
  afterAll(async () => {
    await server?.close();
    const admin = clusterClient();
    await dropPrefix(admin, server.keyPrefix);
    admin.disconnect();
  });

  it('proposes, approves and audits in one slot (the desk\'s keys share a hash tag)', async () => {
    const made = await propose(server.base, DESK, { corridors: { 'USD-JPY': { skewBps: '2' } } });
    expect(made.json.status).toBe('pending');
    const approved = await approve(server.base, CHECKER, made.json.id);
    expect(approved.json).toMatchObject({ status: 'applied', approvedBy: 'demo-checker' });
    expect((await http(server.base, 'GET', '/v1/desk/config', { key: DESK })).json.config.corridors['USD-JPY'].skewBps).toBe('2');
    const actions = (await http(server.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries.map((e: any) => e.action);
    expect(actions.slice(0, 3)).toEqual(['apply', 'approve', 'propose']);
  });
});

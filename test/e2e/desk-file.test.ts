// The desk on the embedded defaults (no Redis): an approved change is written into the config file itself,
// atomically and with its comments kept, the audit trail beside it; both survive a restart, and a hand edit
// of the file is audited as a reload with what changed.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfigPath } from '../../config/index.js';
import { CHECKER, CLIENT, DESK, eventually, http, startServer, type TestServer } from '../helpers/server.js';

describe('the desk on the embedded defaults (the config file)', () => {
  let configPath: string;
  let server: TestServer;

  beforeAll(async () => {
    // The shipped file itself, comments and all.
    configPath = join(mkdtempSync(join(tmpdir(), 'fx-desk-')), 'default.yaml');
    copyFileSync(defaultConfigPath(), configPath);
    server = await startServer({ store: 'memory', configPath });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('writes an approved change into the file, keeping its comments, and prices it', async () => {
    const before = readFileSync(configPath, 'utf8');
    const made = await http(server.base, 'POST', '/v1/desk/changes', {
      key: DESK, body: { patch: { corridors: { 'USD-INR': { skewBps: '4', tiers: [{ upTo: '1000', spreadBps: '55' }, { upTo: '10000', spreadBps: '40' }, { spreadBps: '25' }] } } }, reason: 'match lp-b' },
    });
    expect(made.json.status).toBe('pending');
    expect(readFileSync(configPath, 'utf8')).toBe(before);
    expect((await http(server.base, 'POST', `/v1/desk/changes/${made.json.id}/approve`, { key: DESK })).json.code).toBe('four_eyes_required');
    const approved = await http(server.base, 'POST', `/v1/desk/changes/${made.json.id}/approve`, { key: CHECKER });
    expect(approved.json).toMatchObject({ status: 'applied', approvedBy: 'demo-checker' });

    const after = readFileSync(configPath, 'utf8');
    expect(after).toMatch(/skewBps: "4"/);
    expect(after).toMatch(/tiers: \[ \{ upTo: "1000", spreadBps: "55" \}/);
    // Every comment of the shipped file is still there, in order (one after a key may move to the line below it).
    const comments = (text: string) => text.split('\n').flatMap((l) => /(?:^|\s)(#.*)$/.exec(l)?.[1] ?? []);
    expect(comments(after)).toEqual(comments(before));
    expect(after).toMatch(/partnerMaxAmounts: \{ lp-c: "20000" \} # lp-c pays out at most 20000 USD per transfer/);
    // The shipped file is laid out as the yaml library writes it: only the two lines the patch names differ.
    const [b, a] = [before.split('\n'), after.split('\n')];
    expect(a).toHaveLength(b.length);
    expect(a.filter((line, i) => line !== b[i])).toEqual([expect.stringMatching(/^ {4}tiers: \[/), '    skewBps: "4"']);
    // Atomic: no temporary file left behind.
    expect(readdirSync(dirname(configPath)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const quote = await eventually(async () => {
      const q = await http(server.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=100', { key: CLIENT });
      return q.status === 200 ? q : undefined;
    });
    expect(quote.json).toMatchObject({ configVersion: approved.json.configVersion, spread: { tierBps: '55', skewBps: '4' } });
    // The engine's own write is not taken for a hand edit.
    server.reload(); // what the watcher (or SIGHUP) does: it finds the file it was told of
    expect(server.config().version).toBe(approved.json.configVersion);
    expect((await http(server.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries.map((e: any) => e.action)).not.toContain('reload');
  });

  it('halts with one key, writing halted into the file', async () => {
    const halt = await http(server.base, 'POST', '/v1/desk/changes', { key: CHECKER, body: { patch: { partners: { 'lp-c': { enabled: false } }, corridors: { 'USD-MXN': { halted: true } } }, reason: 'drill' } });
    expect(halt.json).toMatchObject({ status: 'applied', approvedBy: 'demo-checker' });
    expect(readFileSync(configPath, 'utf8')).toMatch(/lp-c: \{ enabled: false, feeBps: "0" \}/);
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-MXN', sendAmount: '100.00' } });
    expect(lock.status).toBe(503);
    expect(lock.json.code).toBe('corridor_halted');
    const live = await http(server.base, 'GET', '/v1/desk/live', { key: DESK });
    expect(live.json.partners.find((p: any) => p.id === 'lp-c')).toMatchObject({ enabled: false });
    expect(live.json.corridors.find((c: any) => c.id === 'USD-MXN')).toMatchObject({ halted: true, tradeable: false, reason: 'halted' });
    // Untradeable by decision: the metric the alert leaves out says so (deploy/prometheus/alerts.yaml).
    const metrics = (await http(server.base, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/fx_corridor_halted\{corridor="USD-MXN"\} 1/);
    expect(metrics).toMatch(/fx_corridor_halted\{corridor="USD-INR"\} 0/);
    expect(metrics).toMatch(/fx_corridor_tradeable\{corridor="USD-MXN"\} 0/); // at once, as locks refuse it at once
    await eventually(async () => {
      const q = (await http(server.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=25000', { key: CLIENT })).json;
      return q.route?.every((l: any) => l.partner !== 'lp-c') ? q : undefined;
    });
  });

  it('keeps the changes, the pending ones and the audit across a restart', async () => {
    const pending = await http(server.base, 'POST', '/v1/desk/changes', { key: DESK, body: { patch: { corridors: { 'USD-MXN': { halted: false } } }, reason: 'resume' } });
    expect(pending.json.status).toBe('pending');
    const version = server.config().version;
    await server.close();
    server = await startServer({ store: 'memory', configPath });
    expect(server.config().version).toBe(version);
    const quote = await eventually(async () => (await http(server.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=100', { key: CLIENT })).json.spread);
    expect(quote.skewBps).toBe('4');
    const list = await http(server.base, 'GET', '/v1/desk/changes?status=pending', { key: DESK });
    expect(list.json.changes.map((c: any) => c.id)).toEqual([pending.json.id]);
    expect((await http(server.base, 'POST', `/v1/desk/changes/${pending.json.id}/approve`, { key: CHECKER })).json.status).toBe('applied');
    await eventually(async () => ((await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-MXN', sendAmount: '100.00' } })).status === 201 ? true : undefined));
    expect(existsSync(`${configPath}.audit.ndjson`)).toBe(true);
  });

  it('audits a hand edit of the file as a reload with what changed, and refuses a change proposed before it', async () => {
    const stale = await http(server.base, 'POST', '/v1/desk/changes', { key: DESK, body: { patch: { corridors: { 'GBP-INR': { skewBps: '1' } } }, reason: 'x' } });
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('fixedFee: "1.50" # GBP', 'fixedFee: "2.00" # GBP'));
    const entry = await eventually(async () => (await http(server.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries.find((e: any) => e.action === 'reload'));
    expect(entry).toMatchObject({ by: 'file', detail: { changes: [{ corridor: 'GBP-INR', field: 'fixedFee', old: '1.50', new: '2.00' }] } });
    const moved = await http(server.base, 'POST', `/v1/desk/changes/${stale.json.id}/approve`, { key: CHECKER });
    expect(moved.status).toBe(409);
    expect(moved.json.code).toBe('config_changed');

    const actions = (await http(server.base, 'GET', '/v1/desk/audit', { key: DESK })).json.entries.map((e: any) => `${e.action} ${e.by}`);
    for (const a of ['propose demo-desk', 'approve demo-checker', 'apply demo-checker', 'halt demo-checker', 'reload file']) expect(actions).toContain(a);
  });
});

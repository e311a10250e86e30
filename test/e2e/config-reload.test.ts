// The desk edits the config file under a running engine: a good edit shows in the next quotes with the new
// version; a broken one is refused, named, counted, and prices keep flowing under the last good config.
import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLIENT, eventually, http, startServer, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

describe('editing the desk config under a running engine', () => {
  let server: TestServer;
  let client: StreamClient;
  const logs: any[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(chunk.toString())), done()) });
    server = await startServer({ store: 'memory', edit: (c) => (c.synthetic.ticksPerSecond = 20), logger: pino({ level: 'info' }, sink) });
    client = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    client.send({ op: 'subscribe', corridors: ['USD-INR'] });
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  const editFile = (edit: (doc: any) => void) => {
    const doc = parse(readFileSync(server.configPath, 'utf8'));
    edit(doc);
    writeFileSync(server.configPath, stringify(doc));
  };
  const frames = () => client.frames.filter((f) => f.type === 'quote' && f.tradeable);

  it('shows a spread change in the next quotes, stamped with the new version, and logs what changed', async () => {
    const v1 = server.config().version;
    await client.next((f) => f.type === 'quote' && f.tradeable && f.configVersion === v1);
    editFile((doc) => (doc.corridors['USD-INR'].tiers[0].spreadBps = '90'));

    const frame = await client.next((f) => f.type === 'quote' && f.tradeable && f.configVersion !== v1);
    const v2 = server.config().version;
    expect(frame).toMatchObject({ configVersion: v2, spread: { tierBps: '90' } });
    // once a frame carries the new version, none carries the old one
    const after = frames().slice(frames().indexOf(frame));
    expect(after.every((f) => f.configVersion === v2)).toBe(true);

    const quote = await http(server.base, 'GET', '/v1/corridors/USD-INR/quote?sendAmount=100', { key: CLIENT });
    expect(quote.json).toMatchObject({ configVersion: v2, spread: { tierBps: '90' } });
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100' } });
    expect(lock.json).toMatchObject({ configVersion: v2, spread: { tierBps: '90' } });

    const reloaded = logs.find((l) => l.msg === 'config reloaded' && l.version === v2);
    expect(reloaded.changes).toEqual([{ corridor: 'USD-INR', field: 'tiers.0.spreadBps', old: '60', new: '90' }]);
  });

  it('refuses a broken edit, names the key, counts it, and keeps pricing under the last good version', async () => {
    const good = server.config().version;
    editFile((doc) => (doc.corridors['USD-INR'].tiers[0].spreadBps = 'ninety'));

    const refused = await eventually(() => logs.find((l) => l.msg?.startsWith('config reload refused')));
    expect(refused.error).toMatch(/corridors\.USD-INR\.tiers\.0\.spreadBps: must be a plain decimal string/);
    const metrics = await http(server.base, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^fx_config_reload_failures_total 1$/m);
    expect(server.config().version).toBe(good);

    // prices keep flowing: new frames, higher seq, the last good version and its spread
    const last = frames().at(-1)!;
    const next = await client.next((f) => f.type === 'quote' && f.tradeable && f.seq > last.seq);
    expect(next).toMatchObject({ configVersion: good, spread: { tierBps: '90' } });
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100' } });
    expect(lock.status).toBe(201);
    expect(lock.json.configVersion).toBe(good);
  });

  it('applies a fixed edit on SIGHUP (reload) as well', async () => {
    const good = server.config().version;
    editFile((doc) => (doc.corridors['USD-INR'].tiers[0].spreadBps = '70'));
    server.reload();
    expect(server.config().version).not.toBe(good);
    await client.next((f) => f.type === 'quote' && f.tradeable && f.configVersion === server.config().version && f.spread.tierBps === '70');
  });
});

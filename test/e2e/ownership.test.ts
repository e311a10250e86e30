// Quotes belong to the key that locked them: another lock-scope key cannot read one (404, exactly as for an
// id that never existed), redeem-scope keys see and redeem every quote, a redeem's Idempotency-Key is its
// caller's own, and the stream's lifecycle pushes reach only the owner's locking socket. Both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../gateway/index.js';
import { requireRedis } from '../helpers/redis.js';
import { CLIENT, DESK, http, startServer, TRANSFER, type StoreKind, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

const CLIENT_B = 'test-client-b-key';
const TRANSFER_B = 'test-transfer-b-key';
const ACME = 'test-acme-key';
const ACME_EU = 'test-acme-eu-key';

describe.each<StoreKind>(['memory', 'redis'])('quote ownership (%s store)', (store) => {
  let server: TestServer;
  const lock = async (key = CLIENT, sendAmount = '100.00') => {
    const res = await http(server.base, 'POST', '/v1/quotes', { key, body: { corridor: 'USD-INR', sendAmount } });
    expect(res.status).toBe(201);
    return res.json;
  };
  const redeem = (id: string, key: string, idem: string) =>
    http(server.base, 'POST', `/v1/quotes/${id}/redeem`, { key, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': idem } });

  beforeAll(async () => {
    if (store === 'redis') (await requireRedis()).disconnect();
    server = await startServer({
      store,
      edit: (c) => {
        c.synthetic.ticksPerSecond = 20;
        c.apiKeys.push({ name: 'test-client-b', sha256: sha256(CLIENT_B), scopes: ['stream', 'lock'] });
        c.apiKeys.push({ name: 'test-transfer-b', sha256: sha256(TRANSFER_B), scopes: ['redeem'] });
        // Names and keys that would read alike joined by a colon: "acme" + "eu:1" and "acme:eu" + "1".
        c.apiKeys.push({ name: 'acme', sha256: sha256(ACME), scopes: ['lock'] });
        c.apiKeys.push({ name: 'acme:eu', sha256: sha256(ACME_EU), scopes: ['lock'] });
      },
    });
    // Wait for prices.
    for (let i = 0; i < 100 && (await http(server.base, 'GET', '/readyz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => server?.close());

  it('answers another lock-scope key 404 quote_not_found, byte for byte as for an id that never existed', async () => {
    const q = await lock();
    const other = await http(server.base, 'GET', `/v1/quotes/${q.id}`, { key: CLIENT_B });
    const unknownId = `${q.id.slice(0, 3)}${q.id.slice(3).split('').reverse().join('')}`;
    const never = await http(server.base, 'GET', `/v1/quotes/${unknownId}`, { key: CLIENT_B });
    expect(other.status).toBe(404);
    expect(other.json.code).toBe('quote_not_found');
    expect(other.text.replace(q.id, 'ID')).toBe(never.text.replace(unknownId, 'ID'));
    expect(other.headers.get('content-type')).toBe(never.headers.get('content-type'));
    // The owner, the transfer service and a key with every scope (the desk's) read it.
    for (const key of [CLIENT, TRANSFER, DESK]) {
      const res = await http(server.base, 'GET', `/v1/quotes/${q.id}`, { key });
      expect({ key, status: res.status, id: res.json.id, status2: res.json.status }).toEqual({ key, status: 200, id: q.id, status2: 'locked' });
    }
    // The owner is not on the wire.
    expect(Object.keys(q)).not.toContain('owner');
    expect(JSON.stringify(q)).not.toContain('demo-client');
  });

  it('keeps each key\'s lock Idempotency-Keys its own, whatever the names and keys hold', async () => {
    const lockWith = (key: string, idem: string) =>
      http(server.base, 'POST', '/v1/quotes', { key, body: { corridor: 'USD-INR', sendAmount: '100.00' }, headers: { 'idempotency-key': idem } });
    const a = await lockWith(ACME, 'eu:1');
    const b = await lockWith(ACME_EU, '1');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.json.id).not.toBe(a.json.id);
    expect((await http(server.base, 'GET', `/v1/quotes/${b.json.id}`, { key: ACME_EU })).status).toBe(200);
  });

  it('lets any redeem-scope key redeem any quote, and keeps a redeem Idempotency-Key to its caller', async () => {
    const q = await lock(CLIENT_B);
    const first = await redeem(q.id, TRANSFER, 'transfer-7');
    expect(first.status).toBe(200);
    // Another key with the same Idempotency-Key does not get the first caller's result replayed.
    const other = await redeem(q.id, TRANSFER_B, 'transfer-7');
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('quote_already_redeemed');
    const again = await redeem(q.id, TRANSFER, 'transfer-7');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    // The owner sees it redeemed; the other client still does not see it at all.
    expect((await http(server.base, 'GET', `/v1/quotes/${q.id}`, { key: CLIENT_B })).json.status).toBe('redeemed');
    expect((await http(server.base, 'GET', `/v1/quotes/${q.id}`, { key: CLIENT })).status).toBe(404);
  });

  it('pushes quote_redeemed only to the owner\'s locking socket', async () => {
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const [a, a2, b] = await Promise.all([StreamClient.open(server.ws, auth(CLIENT)), StreamClient.open(server.ws, auth(CLIENT)), StreamClient.open(server.ws, auth(CLIENT_B))]);
    try {
      const streamLock = async (ws: StreamClient, reqId: string) => {
        ws.send({ op: 'lock', reqId, corridor: 'USD-INR', sendAmount: '100.00' });
        return (await ws.next((f) => f.type === 'locked' && f.reqId === reqId)).quote.id as string;
      };
      const mine = await streamLock(a, 'a1');
      const a2Own = await streamLock(a2, 'a2');
      const bOwn = await streamLock(b, 'b1');
      const restLocked = await lock(CLIENT_B);
      for (const id of [mine, restLocked.id, a2Own, bOwn]) expect((await redeem(id, TRANSFER, `push-${id}`)).status).toBe(200);
      expect(await a.next((f) => f.type === 'quote_redeemed')).toMatchObject({ reqId: 'a1', id: mine });
      // Redeems are told in order: once each socket hears of its own (redeemed last), it has heard all it ever will.
      await a2.next((f) => f.type === 'quote_redeemed' && f.id === a2Own);
      await b.next((f) => f.type === 'quote_redeemed' && f.id === bOwn);
      for (const [ws, own] of [[a, mine], [a2, a2Own], [b, bOwn]] as const)
        expect(ws.frames.filter((f) => f.type === 'quote_redeemed').map((f) => f.id)).toEqual([own]);
    } finally {
      for (const ws of [a, a2, b]) ws.close();
    }
  });
});

// The quote store on a real 3-master Redis Cluster: the same contract as on one node, quotes spread over
// the masters, every script single-slot, and redeem notices heard whatever node the subscriber is on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { RedisQuoteStore, redisKeys, SHARD_TAGS } from '../../engine/index.js';
import { clusterClient, clusterNodes, dropPrefix, testPrefix } from '../helpers/redis.js';
import { eventually } from '../helpers/server.js';
import { lockIn, lockInput, quoteStoreContract, terms } from './quote-store.contract.js';

const prefix = testPrefix();
let admin: Cluster;
let store: RedisQuoteStore;
const redisNow = async () => {
  const [s, us] = await admin.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

beforeAll(async () => {
  admin = clusterClient();
  store = new RedisQuoteStore({ target: { clusterNodes: clusterNodes() }, retentionMs: 60_000, commandTimeoutMs: 1_000, eventsMaxLen: 10_000, keyPrefix: prefix });
  expect(await store.connected(10_000)).toBe(true);
});
afterAll(async () => {
  await dropPrefix(admin, prefix);
  admin.disconnect();
  await store?.close();
});

quoteStoreContract('redis cluster', () => ({ store, now: redisNow, advance: (ms) => new Promise((r) => setTimeout(r, ms)) }));

describe('redis quote store on a cluster', () => {
  /** master port -> the slot ranges it serves */
  const masters = async () => {
    const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return (slot: number) => ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  };
  const slotOf = async (key: string) => Number(await admin.call('CLUSTER', 'KEYSLOT', key));

  it('spreads the 16 shards over the 3 masters evenly (5, 6, 5)', async () => {
    const masterOf = await masters();
    const perMaster = new Map<number, number>();
    for (const tag of SHARD_TAGS) {
      const port = masterOf(await slotOf(tag));
      perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
    }
    expect([...perMaster.values()].sort()).toEqual([5, 5, 6]);
  });

  it('locks quotes on every master, and reads each back', async () => {
    const masterOf = await masters();
    const seen = new Set<number>();
    for (let i = 0; i < 48; i++) {
      const t = terms(store);
      await lockIn(store, lockInput(t, (await redisNow()) + 30_000));
      expect(JSON.parse(await store.get(t.id)).status).toBe('locked');
      seen.add(masterOf(await slotOf(prefix + redisKeys.quote(t.id))));
    }
    expect(seen.size).toBe(3);
  });

  it('keeps one quote\'s keys in one slot, so the scripts never cross slots', async () => {
    for (let i = 0; i < 16; i++) {
      const id = store.newId(`client:key-${i}`);
      const slots = await Promise.all([redisKeys.quote(id), redisKeys.events(id), redisKeys.shardEvents(SHARD_TAGS[parseInt(id.charAt(2), 16)]!)].map((k) => slotOf(prefix + k)));
      expect(new Set(slots).size).toBe(1);
    }
  });

  it('locks the quotes of one turn on every master, one script call per shard, each answered', async () => {
    const at = (await redisNow()) + 30_000;
    // Idempotent locks land in the shards their keys name: one turn's locks span every master.
    const key = (i: number) => `client:turn-${i}-${prefix}`;
    const many = Array.from({ length: 48 }, (_, i) => terms(store, { sendAmount: `${i + 1}.00` }, key(i)));
    const outcomes = await Promise.all(many.map((t, i) => lockIn(store, lockInput(t, at, { idempotency: { key: key(i), fingerprint: 'fp' } }))));
    expect(new Set(many.map((t) => t.id.charAt(2))).size).toBeGreaterThan(8);
    outcomes.forEach((o, i) => expect(JSON.parse(o.body)).toEqual({ ...many[i], status: 'locked' }));
    for (const t of many) expect(JSON.parse(await store.get(t.id)).sendAmount).toBe(t.sendAmount);
  });

  it('hears every first redeem, on whichever master it ran, through one subscriber connection', async () => {
    const heard: string[] = [];
    const off = store.onRedeemed((id) => heard.push(id));
    try {
      // One quote per shard: redeems run on all three masters; the subscriber sits on one node.
      await new Promise((r) => setTimeout(r, 300)); // let SUBSCRIBE land
      const ids: string[] = [];
      for (let shard = 0; shard < 16; shard++) {
        // A plain lock's shard is its turn's: an Idempotency-Key names an id in any shard, so pick keys until one lands here.
        let n = 0;
        const key = () => `client:shard-${shard}-${n}-${prefix}`;
        while (store.newId(key()).charAt(2) !== shard.toString(16)) n++;
        const t = terms(store, {}, key());
        await lockIn(store, lockInput(t, (await redisNow()) + 30_000, { idempotency: { key: key(), fingerprint: 'fp' } }));
        await store.redeem({ id: t.id, caller: 'transfer', idempotencyKey: 'k', sendAmount: '1000' });
        await store.redeem({ id: t.id, caller: 'transfer', idempotencyKey: 'k', sendAmount: '1000' }); // a replay: not announced again
        ids.push(t.id);
      }
      await eventually(() => (ids.every((id) => heard.includes(id)) ? true : undefined), 5_000);
      expect(heard.filter((id) => ids.includes(id))).toHaveLength(16);
    } finally {
      off();
    }
  });
});

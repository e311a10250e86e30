// Every Redis key is built here. One quote's record and its shard's event stream share a hash tag, so a
// script touching both runs in one Cluster slot. (A lock's Idempotency-Key has no key of its own: it names the
// quote's id, see newQuoteId.)
//
// The 16 shards' tags are picked so their slots sit one per 1024-slot range (shard s near slot
// 1024 s + 512): a cluster whose masters hold even slot ranges, as `redis-cli --cluster create` makes them,
// gets an even share of the quotes (3 masters: 5/6/5 shards; 2, 4, 8: equal). Plain `{fx:<s>}` tags
// would put 7, 6 and 3 shards on three masters. The number after the shard digit only moves the slot.
import { shardOf } from './quote-store.js';

export const SHARD_TAGS: readonly string[] = [
  '{fx:0:330}', '{fx:1:2100}', '{fx:2:2342}', '{fx:3:3603}', '{fx:4:2390}', '{fx:5:4978}', '{fx:6:2724}', '{fx:7:3265}',
  '{fx:8:522}', '{fx:9:864}', '{fx:a:695}', '{fx:b:3106}', '{fx:c:3190}', '{fx:d:280}', '{fx:e:1279}', '{fx:f:3560}',
];

const tag = (shard: string) => SHARD_TAGS[parseInt(shard, 16)]!;

export const keys = {
  quote: (id: string) => `${tag(shardOf(id))}:q:${id}`,
  events: (id: string) => `${tag(shardOf(id))}:events`,
  /** A shard's lifecycle stream by its tag (consumers read all 16). */
  shardEvents: (shardTag: string) => `${shardTag}:events`,
  /** Never written: the health probe asks EXISTS of it, one per shard, so every master that holds quotes answers. */
  probe: (shardTag: string) => `${shardTag}:probe`,
  /** The secret idempotent locks' ids are made with, shared by every process on this Redis (written once, NX). */
  idSecret: 'fx:id-secret',
  /**
   * Pub/sub channels (not keys: no slot). Plain PUBLISH reaches every node of a cluster, so a subscriber on
   * any node hears it, and the redeem script may publish from inside its slot.
   */
  /** The desk's applied config sections, changes and audit Stream: one hash tag, so its decide script runs in one slot. */
  desk: { config: '{fx:desk}:config', changes: '{fx:desk}:changes', audit: '{fx:desk}:audit', channel: 'fx:desk:applied' },
  redeemedChannel: 'fx:redeemed',
  snapshotsChannel: 'fx:snapshots',
};

// Every Redis key is built here. One quote's keys share a hash tag ({fx:<shard>}), so a script touching the
// quote, its idempotency entry and its shard's event stream runs in one Cluster slot.
import { createHash } from 'node:crypto';
import { shardOf } from './quote-store.js';

const tag = (shard: string) => `{fx:${shard}}`;

export const keys = {
  quote: (id: string) => `${tag(shardOf(id))}:q:${id}`,
  /** The lock idempotency entry: scoped key hashed, in the same shard as the quote it names. */
  lockIdempotency: (id: string, scopedKey: string) =>
    `${tag(shardOf(id))}:li:${createHash('sha256').update(scopedKey).digest('base64url')}`,
  events: (id: string) => `${tag(shardOf(id))}:events`,
  /** Pub/sub channel (not a key: no slot) told of every first redeem. */
  redeemedChannel: 'fx:redeemed',
};

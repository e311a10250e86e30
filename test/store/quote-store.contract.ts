// One contract, run against every quote store implementation (memory.test.ts, redis.redis.test.ts).
import { describe, expect, it } from 'vitest';
import type { QuoteStore, QuoteTerms } from '../../engine/index.js';

export interface StoreHarness {
  store: QuoteStore;
  /** The store's own clock, epoch ms (Redis: TIME). */
  now(): Promise<number>;
  /** Moves the store's clock on (memory), or waits it out (Redis). */
  advance(ms: number): Promise<void>;
}

export function terms(store: QuoteStore, over: Partial<QuoteTerms> = {}, idemKey?: string): QuoteTerms {
  return {
    id: store.newId(idemKey), corridor: 'USD-INR', sendCurrency: 'USD', receiveCurrency: 'INR', sendAmount: '1000.00', receiveAmount: '83958.50',
    rate: '83.9585', fee: '0.00', createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 30_000).toISOString(),
    configVersion: 'c_test', route: [{ partner: 'lp-a', pair: 'USD/INR', rate: '84.46' }], ...over,
  };
}

export function quoteStoreContract(name: string, setup: () => StoreHarness) {
  describe(`quote store contract: ${name}`, () => {
    const h = () => setup();
    const lock = async (ttlMs = 30_000, over: Partial<QuoteTerms> = {}) => {
      const { store, now } = h();
      const t = terms(store, over);
      const { body } = await store.lock({ terms: t, expiresAtMs: (await now()) + ttlMs });
      return { t, body };
    };

    it('locks a quote that reads back as locked, byte for byte', async () => {
      const { t, body } = await lock();
      expect(JSON.parse(body)).toEqual({ ...t, status: 'locked' });
      expect(await h().store.get(t.id)).toBe(body);
    });

    it('redeems once; the same key replays the identical body', async () => {
      const { t } = await lock();
      const first = await h().store.redeem({ id: t.id, idempotencyKey: 'k1', sendAmount: '1000' });
      expect(first.replayed).toBe(false);
      const parsed = JSON.parse(first.body);
      expect(parsed).toMatchObject({ ...t, status: 'redeemed' });
      expect(new Date(parsed.redeemedAt).toISOString()).toBe(parsed.redeemedAt);
      const again = await h().store.redeem({ id: t.id, idempotencyKey: 'k1', sendAmount: '1000' });
      expect(again).toEqual({ body: first.body, replayed: true });
      expect(JSON.parse(await h().store.get(t.id))).toEqual(parsed);
    });

    it('refuses a second key with quote_already_redeemed', async () => {
      const { t } = await lock();
      await h().store.redeem({ id: t.id, idempotencyKey: 'k1', receiveAmount: '83958.5' });
      await expect(h().store.redeem({ id: t.id, idempotencyKey: 'k2', receiveAmount: '83958.5' })).rejects.toMatchObject({ code: 'quote_already_redeemed' });
    });

    it('refuses an unknown id with quote_not_found', async () => {
      await expect(h().store.redeem({ id: h().store.newId(), idempotencyKey: 'k', sendAmount: '1' })).rejects.toMatchObject({ code: 'quote_not_found' });
      await expect(h().store.get(h().store.newId())).rejects.toMatchObject({ code: 'quote_not_found' });
    });

    it('refuses a different amount or corridor with amount_mismatch, changing nothing', async () => {
      const { t, body } = await lock();
      for (const m of [{ sendAmount: '1000.01' }, { receiveAmount: '83958.49' }, { sendAmount: '1000', corridor: 'GBP-INR' }])
        await expect(h().store.redeem({ id: t.id, idempotencyKey: 'k', ...m })).rejects.toMatchObject({ code: 'amount_mismatch' });
      expect(await h().store.get(t.id)).toBe(body);
    });

    it('expires by the store clock: 410 quote_expired, and reads as expired', async () => {
      const { t } = await lock(300);
      await h().advance(400);
      await expect(h().store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' })).rejects.toMatchObject({ code: 'quote_expired' });
      expect(JSON.parse(await h().store.get(t.id)).status).toBe('expired');
    });

    it('replays the winning key even after expiry', async () => {
      const { t } = await lock(300);
      const first = await h().store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' });
      await h().advance(400);
      expect((await h().store.redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' })).body).toBe(first.body);
    });

    it('returns the first quote for a repeated lock Idempotency-Key and refuses it for another request', async () => {
      const { store, now } = h();
      const scoped = 'client:lock-1';
      const first = terms(store, {}, scoped);
      const a = await store.lock({ terms: first, expiresAtMs: (await now()) + 30_000, idempotency: { key: scoped, fingerprint: 'USD-INR|send|1000' } });
      const second = terms(store, { rate: '90' }, scoped);
      const b = await store.lock({ terms: second, expiresAtMs: (await now()) + 30_000, idempotency: { key: scoped, fingerprint: 'USD-INR|send|1000' } });
      expect(b).toEqual({ body: a.body, replayed: true });
      expect(await store.lockedWith(scoped)).toEqual({ fingerprint: 'USD-INR|send|1000', body: a.body });
      expect(await store.lockedWith('client:never-used')).toBeUndefined();
      await expect(store.get(second.id)).rejects.toMatchObject({ code: 'quote_not_found' });
      await expect(store.lock({ terms: terms(store, {}, scoped), expiresAtMs: (await now()) + 30_000, idempotency: { key: scoped, fingerprint: 'USD-INR|send|2000' } }))
        .rejects.toMatchObject({ code: 'idempotency_key_reused' });
    });

    it('redeems exactly once under concurrent redeems with distinct keys', async () => {
      const { t } = await lock();
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h().store.redeem({ id: t.id, idempotencyKey: `k${i}`, sendAmount: '1000' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && (r.reason as any).code === 'quote_already_redeemed')).toHaveLength(49);
    });
  });
}

// One contract, run against every quote store implementation (memory.test.ts, redis.redis.test.ts).
import { describe, expect, it } from 'vitest';
import type { LockInput, LockOutcome, QuoteStore, QuoteTerms, RedeemInput } from '../../engine/index.js';

export interface StoreHarness {
  store: QuoteStore;
  /** The store's own clock, epoch ms (Redis: TIME). */
  now(): Promise<number>;
  /** Moves the store's clock on (memory), or waits it out (Redis). */
  advance(ms: number): Promise<void>;
}

export const OWNER = 'client-a';
export const TRANSFER = 'transfer';

export function terms(store: QuoteStore, over: Partial<QuoteTerms> = {}, idemKey?: string): QuoteTerms {
  return {
    id: store.newId(idemKey), corridor: 'USD-INR', sendCurrency: 'USD', receiveCurrency: 'INR', sendAmount: '1000.00', receiveAmount: '83958.50',
    rate: '83.9585', fee: '0.00', createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 30_000).toISOString(),
    configVersion: 'c_test', route: [{ partner: 'lp-a', pair: 'USD/INR', rate: '84.46', ageMs: 3 }], ...over,
  };
}

/** What the desk hands the store for these terms. */
export function lockInput(t: QuoteTerms, expiresAtMs: number, extra: Partial<LockInput> = {}): LockInput {
  const json = JSON.stringify(t);
  return { id: t.id, terms: json, body: `${json.slice(0, -1)},"status":"locked"}`, owner: OWNER, corridor: t.corridor, sendAmount: t.sendAmount, receiveAmount: t.receiveAmount, expiresAtMs, ...extra };
}

/** store.lock as a promise (the store answers by callback). */
export function lockIn(store: QuoteStore, input: LockInput): Promise<LockOutcome> {
  return new Promise((resolve, reject) => store.lock(input, (err, outcome) => (err ? reject(err) : resolve(outcome!))));
}

export function quoteStoreContract(name: string, setup: () => StoreHarness) {
  describe(`quote store contract: ${name}`, () => {
    const h = () => setup();
    const lock = async (ttlMs = 30_000, over: Partial<QuoteTerms> = {}, owner = OWNER) => {
      const { store, now } = h();
      const t = terms(store, over);
      const { body } = await lockIn(store, lockInput(t, (await now()) + ttlMs, { owner }));
      return { t, body };
    };
    const redeem = (input: Omit<RedeemInput, 'caller'> & { caller?: string }) => h().store.redeem({ caller: TRANSFER, ...input });

    it('locks a quote that reads back as locked, byte for byte', async () => {
      const { t, body } = await lock();
      expect(JSON.parse(body)).toEqual({ ...t, status: 'locked' });
      expect(await h().store.get(t.id)).toBe(body);
      expect(await h().store.get(t.id, OWNER)).toBe(body);
    });

    it('locks the quotes of one turn together, each answered with its own body', async () => {
      const { store, now } = h();
      const at = (await now()) + 30_000;
      const many = Array.from({ length: 40 }, (_, i) => terms(store, { sendAmount: `${i + 1}.00` }));
      const bodies = await Promise.all(many.map((t) => lockIn(store, lockInput(t, at))));
      bodies.forEach(({ body, replayed }, i) => {
        expect(replayed).toBe(false);
        expect(JSON.parse(body)).toEqual({ ...many[i], status: 'locked' });
      });
      expect(await Promise.all(many.map((t) => store.get(t.id)))).toEqual(bodies.map((b) => b.body));
    });

    it('shows a quote only to the key that locked it, and to any caller without an owner (the redeem scope)', async () => {
      const { t, body } = await lock();
      await expect(h().store.get(t.id, 'client-b')).rejects.toMatchObject({ code: 'quote_not_found' });
      // Not found exactly as an id that never existed is: nothing tells the two apart.
      const never = await h().store.get(h().store.newId(), 'client-b').catch((e) => e);
      const other = await h().store.get(t.id, 'client-b').catch((e) => e);
      expect({ code: other.code, status: other.status }).toEqual({ code: never.code, status: never.status });
      expect(other.detail.replace(t.id, 'ID')).toBe(never.detail.replace(/q_\S+/, 'ID'));
      await redeem({ id: t.id, idempotencyKey: 'k1', sendAmount: '1000' });
      await expect(h().store.get(t.id, 'client-b')).rejects.toMatchObject({ code: 'quote_not_found' });
      expect(JSON.parse(await h().store.get(t.id, OWNER)).status).toBe('redeemed');
      expect(JSON.parse(await h().store.get(t.id)).status).toBe('redeemed');
      expect(body).not.toContain(OWNER); // the owner is not on the wire
    });

    it('keeps an owner name with any characters apart from another', async () => {
      const odd = 'a "quoted"\nname:with|odd\\chars';
      const { t } = await lock(30_000, {}, odd);
      expect(JSON.parse(await h().store.get(t.id, odd)).status).toBe('locked');
      await expect(h().store.get(t.id, 'a "quoted"')).rejects.toMatchObject({ code: 'quote_not_found' });
    });

    it('redeems once; the same key replays the identical body', async () => {
      const { t } = await lock();
      const first = await redeem({ id: t.id, idempotencyKey: 'k1', sendAmount: '1000' });
      expect(first.replayed).toBe(false);
      const parsed = JSON.parse(first.body);
      expect(parsed).toMatchObject({ ...t, status: 'redeemed' });
      expect(new Date(parsed.redeemedAt).toISOString()).toBe(parsed.redeemedAt);
      const again = await redeem({ id: t.id, idempotencyKey: 'k1', sendAmount: '1000' });
      expect(again).toEqual({ body: first.body, replayed: true });
      expect(JSON.parse(await h().store.get(t.id))).toEqual(parsed);
    });

    it('scopes a redeem Idempotency-Key to its caller: another caller with the same key is refused, not replayed', async () => {
      const { t } = await lock();
      const first = await redeem({ id: t.id, idempotencyKey: 'shared-key', sendAmount: '1000' });
      await expect(redeem({ caller: 'other-transfer', id: t.id, idempotencyKey: 'shared-key', sendAmount: '1000' }))
        .rejects.toMatchObject({ code: 'quote_already_redeemed' });
      expect(await redeem({ id: t.id, idempotencyKey: 'shared-key', sendAmount: '1000' })).toEqual({ body: first.body, replayed: true });
    });

    it('refuses a second key with quote_already_redeemed', async () => {
      const { t } = await lock();
      await redeem({ id: t.id, idempotencyKey: 'k1', receiveAmount: '83958.5' });
      await expect(redeem({ id: t.id, idempotencyKey: 'k2', receiveAmount: '83958.5' })).rejects.toMatchObject({ code: 'quote_already_redeemed' });
    });

    it('refuses an unknown id with quote_not_found', async () => {
      await expect(redeem({ id: h().store.newId(), idempotencyKey: 'k', sendAmount: '1' })).rejects.toMatchObject({ code: 'quote_not_found' });
      await expect(h().store.get(h().store.newId())).rejects.toMatchObject({ code: 'quote_not_found' });
    });

    it('refuses a different amount or corridor with amount_mismatch, changing nothing', async () => {
      const { t, body } = await lock();
      for (const m of [{ sendAmount: '1000.01' }, { receiveAmount: '83958.49' }, { sendAmount: '1000', corridor: 'GBP-INR' }])
        await expect(redeem({ id: t.id, idempotencyKey: 'k', ...m })).rejects.toMatchObject({ code: 'amount_mismatch' });
      expect(await h().store.get(t.id)).toBe(body);
    });

    it('expires by the store clock: 410 quote_expired, and reads as expired', async () => {
      const { t } = await lock(300);
      await h().advance(400);
      await expect(redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' })).rejects.toMatchObject({ code: 'quote_expired' });
      expect(JSON.parse(await h().store.get(t.id)).status).toBe('expired');
      expect(JSON.parse(await h().store.get(t.id, OWNER)).status).toBe('expired');
    });

    it('replays the winning key even after expiry', async () => {
      const { t } = await lock(300);
      const first = await redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' });
      await h().advance(400);
      expect((await redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' })).body).toBe(first.body);
    });

    it('returns the first quote for a repeated lock Idempotency-Key and refuses it for another request', async () => {
      const { store, now } = h();
      const scoped = 'client:lock-1';
      const idem = (fingerprint: string) => ({ idempotency: { key: scoped, fingerprint } });
      const first = terms(store, {}, scoped);
      const a = await lockIn(store, lockInput(first, (await now()) + 30_000, idem('USD-INR|send|1000')));
      const second = terms(store, { rate: '90' }, scoped);
      expect(second.id).toBe(first.id); // the key names the quote
      expect(terms(store, {}, 'other:lock-1').id).not.toBe(first.id);
      const b = await lockIn(store, lockInput(second, (await now()) + 30_000, idem('USD-INR|send|1000')));
      expect(b).toEqual({ body: a.body, replayed: true });
      expect(await store.lockedWith(scoped)).toEqual({ fingerprint: 'USD-INR|send|1000', body: a.body });
      expect(await store.lockedWith('client:never-used')).toBeUndefined();
      expect(await store.get(first.id)).toBe(a.body); // the first terms, not the second's
      // A quote locked without a key is not an idempotency entry.
      const plain = terms(store);
      await lockIn(store, lockInput(plain, (await now()) + 30_000));
      expect(await store.lockedWith(plain.id)).toBeUndefined();
      await expect(lockIn(store, lockInput(terms(store, {}, scoped), (await now()) + 30_000, idem('USD-INR|send|2000'))))
        .rejects.toMatchObject({ code: 'idempotency_key_reused' });
      // Still the locked body after a redeem: a lock replay answers what the lock answered.
      await redeem({ id: first.id, idempotencyKey: 'r', sendAmount: '1000' });
      expect(await lockIn(store, lockInput(terms(store, {}, scoped), (await now()) + 30_000, idem('USD-INR|send|1000')))).toEqual({ body: a.body, replayed: true });
    });

    it('decides two first tries of one Idempotency-Key in the same turn as one quote', async () => {
      const { store, now } = h();
      const scoped = `client:race-${Math.random()}`;
      const at = (await now()) + 30_000;
      const tries = [terms(store, {}, scoped), terms(store, { rate: '91' }, scoped)];
      const [x, y] = await Promise.all(tries.map((t) => lockIn(store, lockInput(t, at, { idempotency: { key: scoped, fingerprint: 'f' } }))));
      expect([x!.replayed, y!.replayed]).toEqual([false, true]);
      expect(y!.body).toBe(x!.body);
      expect(JSON.parse(await store.get(tries[0]!.id)).rate).toBe('83.9585');
    });

    it('answers each lock of a turn that mixes plain locks with replayed, refused and new Idempotency-Keys', async () => {
      const { store, now } = h();
      const seen = `client:mix-${Math.random()}`;
      const fresh = `client:mix-new-${Math.random()}`;
      const at = (await now()) + 30_000;
      const idem = (key: string, fingerprint: string) => ({ idempotency: { key, fingerprint } });
      const first = await lockIn(store, lockInput(terms(store, {}, seen), at, idem(seen, 'f1')));
      const plain = [terms(store, { sendAmount: '1.00' }), terms(store, { sendAmount: '2.00' }), terms(store, { sendAmount: '3.00' })];
      const created = terms(store, { sendAmount: '4.00' }, fresh);
      const turn = [
        lockInput(plain[0]!, at), lockInput(terms(store, { rate: '90' }, seen), at, idem(seen, 'f1')), lockInput(plain[1]!, at),
        lockInput(terms(store, {}, seen), at, idem(seen, 'f2')), lockInput(created, at, idem(fresh, 'f')), lockInput(plain[2]!, at),
      ];
      const out = await Promise.allSettled(turn.map((input) => lockIn(store, input)));
      const own = (i: number) => ({ status: 'fulfilled', value: { body: turn[i]!.body, replayed: false } });
      expect(out).toEqual([
        own(0), { status: 'fulfilled', value: { body: first.body, replayed: true } }, own(2),
        { status: 'rejected', reason: expect.objectContaining({ code: 'idempotency_key_reused' }) }, own(4), own(5),
      ]);
      for (const i of [0, 2, 4, 5]) expect(await store.get(turn[i]!.id)).toBe(turn[i]!.body);
    });

    it('redeems exactly once under concurrent redeems with distinct keys', async () => {
      const { t } = await lock();
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => redeem({ id: t.id, idempotencyKey: `k${i}`, sendAmount: '1000' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && (r.reason as any).code === 'quote_already_redeemed')).toHaveLength(49);
    });

    it('tells redeemed listeners the quote, its redeemed body and its owner', async () => {
      const heard: [string, string, string][] = [];
      const stop = h().store.onRedeemed((id, body, owner) => heard.push([id, body, owner]));
      try {
        // A Redis subscriber connects after onRedeemed returns: redeem fresh quotes until one is heard.
        for (let i = 0; i < 20; i++) {
          const { t } = await lock();
          const { body } = await redeem({ id: t.id, idempotencyKey: 'k', sendAmount: '1000' });
          await new Promise((r) => setTimeout(r, 100));
          const got = heard.find(([id]) => id === t.id);
          if (!got) continue;
          expect(got).toEqual([t.id, body, OWNER]);
          return;
        }
        throw new Error('no redeem was heard');
      } finally {
        stop();
      }
    });
  });
}

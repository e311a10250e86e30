// The engine with its real worker pool: locks on every corridor both ways, fees, partner limits,
// unavailable corridors, and a pricing worker that crashes.
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfigPath, validateConfig } from '../../config/index.js';
import { channels, listen, MemoryQuoteStore, minorUnits, QuoteDesk, QuoteHub, receiveFor, sendFor, StaleMarker, systemClock } from '../../engine/index.js';
import { toScaled } from '../../feeds/index.js';
import { Metrics } from '../../gateway/metrics.js';
import { engineWith, lockWith, priced, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/server.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

const lock = (engine: TestEngine, corridor: string, side: 'send' | 'receive', amount: string) =>
  lockWith(engine.desk, { corridor, side, amount }, { owner: 'test' }).then((o) => JSON.parse(o.body));

describe('publishing', () => {
  it('publishes each corridor of a batch in an event-loop turn of its own, not in a burst', async () => {
    const engine = engineWith();
    let inTurn = 0;
    let mostInTurn = 0;
    let published = 0;
    engine.hub.subscribe(() => {
      published++;
      if (inTurn++ === 0) setImmediate(() => ((mostInTurn = Math.max(mostInTurn, inTurn)), (inTurn = 0)));
    });
    try {
      await priced(engine); // the first batch prices every corridor at once
      expect(published).toBeGreaterThanOrEqual(Object.keys(engine.config.config.corridors).length);
      expect(mostInTurn).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('prices the next batch while the last one is still being published', async () => {
    const engine = await priced(engineWith());
    const events: string[] = [];
    const tick = (pair: string, bid: string, ask: string) => expect(engine.ingest({ partner: 'lp-a', pair, bid, ask, ts: Date.now(), seq: 1e9 })).toBe('accepted');
    const stopBatches = listen(channels.batch, () => events.push('batch'));
    // A slow subscriber: every publish holds the thread 50 ms, so the next batch's worker answer arrives in between.
    let stopHub = () => {};
    const subscribe = () => (stopHub = engine.hub.subscribe((s) => {
      events.push(s.corridor);
      if (!events.includes('tick')) events.push('tick'), tick('USD/PHP', '58.300000', '58.310000');
      for (const until = performance.now() + 50; performance.now() < until; );
    }));
    try {
      // One batch of INR ticks (best bids about 15 bps up), then a USD/PHP tick as its first corridor goes out.
      tick('USD/INR', '84.620000', '84.630000');
      tick('GBP/INR', '107.450000', '107.460000');
      tick('EUR/INR', '91.530000', '91.540000');
      subscribe();
      await eventually(() => (events.includes('USD-PHP') ? true : undefined));
      // The first batch's corridors (the INR ones, direct and through USD) are still going out when the second
      // batch (USD/PHP) comes back from the worker.
      const lastOfFirst = events.findLastIndex((e) => e.endsWith('-INR'));
      expect(events.indexOf('batch', events.indexOf('tick'))).toBeGreaterThan(0);
      expect(events.indexOf('batch', events.indexOf('tick'))).toBeLessThan(lastOfFirst);
    } finally {
      stopHub();
      stopBatches();
      await engine.close();
    }
  });
});

describe('locking with the shipped config', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await priced(engineWith());
  });
  afterAll(() => engine.close());

  it('locks a send amount and the same receive amount on every corridor, within one minor unit', async () => {
    for (const [id, c] of Object.entries(engine.config.config.corridors)) {
      const [send, receive] = id.split('-') as [string, string];
      const sendAmount = (Number(c.minAmount) * 20).toFixed(minorUnits(send)); // a test amount, not money math
      const bySend = await lock(engine, id, 'send', sendAmount);
      expect(bySend).toMatchObject({ corridor: id, sendAmount, status: 'locked' });
      expect(bySend.receiveAmount).toBe(receiveFor(sendAmount, bySend.rate, receive, bySend.fee));
      expect(bySend.route.length).toBeGreaterThan(0);
      expect(bySend.spread.totalBps).toEqual(expect.any(String));

      const byReceive = await lock(engine, id, 'receive', bySend.receiveAmount);
      expect(byReceive.receiveAmount).toBe(bySend.receiveAmount);
      expect(byReceive.sendAmount).toBe(sendFor(bySend.receiveAmount, byReceive.rate, send, byReceive.fee));
      // the customer pays at most one minor unit less for the same receive amount, never more than asked
      const minor = minorUnits(send)!;
      const saved = toScaled(sendAmount, minor) - toScaled(byReceive.sendAmount, minor);
      expect([id, saved >= 0n && saved <= 1n]).toEqual([id, true]);
    }
  });

  it('builds the lock body from its template byte for byte as JSON.stringify would, in the wire\'s field order', async () => {
    for (const id of Object.keys(engine.config.config.corridors)) {
      const { body } = await lockWith(engine.desk, { corridor: id, side: 'send', amount: engine.config.config.corridors[id]!.minAmount }, { owner: 'test' });
      const q = JSON.parse(body);
      expect(JSON.stringify(q)).toBe(body);
      expect(Object.keys(q)).toEqual(['id', 'corridor', 'sendCurrency', 'receiveCurrency', 'sendAmount', 'receiveAmount', 'rate', 'fee', 'createdAt', 'expiresAt', 'configVersion', 'route', 'spread', 'status']);
      for (const leg of q.route) expect(Object.keys(leg)).toEqual(['partner', 'pair', 'rate', 'ageMs']);
      expect(Date.parse(q.expiresAt) - Date.parse(q.createdAt)).toBe(engine.config.config.corridors[id]!.quoteTtlMs);
    }
  });

  it('takes the fixed fee in the send currency off the converted amount (GBP-INR, 1.50 GBP)', async () => {
    const q = await lock(engine, 'GBP-INR', 'send', '100.00');
    expect(q.fee).toBe('1.50');
    expect(q.receiveAmount).toBe(receiveFor('98.50', q.rate, 'INR'));
  });

  it('prices AED-INR and KWD-INR through a pivot', async () => {
    for (const id of ['AED-INR', 'KWD-INR']) {
      const q = await lock(engine, id, 'send', '100.000'.slice(0, id === 'KWD-INR' ? 7 : 6));
      expect(q.route.map((l: any) => l.pair)).toHaveLength(2);
      expect(q.route.every((l: any) => typeof l.ageMs === 'number')).toBe(true);
    }
  });

  it('refuses an amount above what the partners take with amount_out_of_range', async () => {
    const doc = parse(readFileSync(defaultConfigPath(), 'utf8'));
    doc.corridors['USD-INR'].partnerMaxAmounts = { 'lp-a': '20000', 'lp-b': '20000', 'lp-c': '20000' };
    const limited = engineWith({ config: validateConfig(doc) });
    try {
      await priced(limited);
      await expect(lock(limited, 'USD-INR', 'send', '30000')).rejects.toMatchObject({ code: 'amount_out_of_range' });
      await expect(lock(limited, 'USD-INR', 'send', '20000')).resolves.toMatchObject({ sendAmount: '20000.00' });
    } finally {
      await limited.close();
    }
  });
});

describe('an unavailable corridor', () => {
  it('is tradeable: false and refuses locks with corridor_unavailable', async () => {
    const engine = engineWith();
    try {
      const s = await eventually(() => engine.hub.get('USD-INR'));
      expect(s).toMatchObject({ tradeable: false, reason: 'no_route' });
      await expect(lock(engine, 'USD-INR', 'send', '100')).rejects.toMatchObject({ code: 'corridor_unavailable' });
      expect(engine.desk.corridors().find((c) => c.id === 'USD-INR')).toMatchObject({ tradeable: false, rate: null, reason: 'no_route' });
    } finally {
      await engine.close();
    }
  });

  it('says no_price on a gateway that has heard nothing, and stale once its pricer falls silent', async () => {
    const pricer = await priced(engineWith());
    const config = pricer.config;
    // The gateway role's parts, fed by hand instead of by the snapshot bus.
    const hub = new QuoteHub(systemClock);
    const desk = new QuoteDesk({ config, hub, store: new MemoryQuoteStore(systemClock, 60_000) });
    const marker = new StaleMarker(hub, config);
    try {
      expect(desk.corridor('USD-INR')).toMatchObject({ tradeable: false, reason: 'no_price', rate: null });
      const bound = config.config.corridors['USD-INR']!.maxStalenessMs * 1000;
      // A snapshot as a pricer would publish it, with legs just inside the staleness bound.
      hub.accept({ ...pricer.hub.get('USD-INR')!, oldestTickUs: systemClock.nowUs() - bound + 300_000, ts: systemClock.nowUs() });
      const live = desk.corridor('USD-INR');
      expect(live).toMatchObject({ tradeable: true, rate: live.tiers[0]!.rate });
      expect(live.reason).toBeUndefined();
      const stale = await eventually(() => (desk.corridor('USD-INR').tradeable ? undefined : desk.corridor('USD-INR')), 3_000);
      expect(stale).toMatchObject({ reason: 'stale', rate: null, reasonDetail: expect.stringMatching(/5000 ms/) });
      // The marker then marks the held snapshot itself, and the view still says stale.
      await eventually(() => (hub.get('USD-INR')!.tradeable ? undefined : true), 3_000);
      expect(hub.get('USD-INR')).toMatchObject({ reason: 'stale' });
      expect(desk.corridor('USD-INR')).toMatchObject({ tradeable: false, reason: 'stale' });
    } finally {
      marker.close();
      await pricer.close();
    }
  });

});

describe('a pricing worker crash', () => {
  it('is counted and loses no corridor: the corridor is re-priced on the next batch', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'fx-crash-')), 'crash');
    process.env.FX_TEST_CRASH_MARKER = marker;
    const engine = engineWith({ pricingWorker: new URL('../helpers/crash-once-worker.ts', import.meta.url) });
    const metrics = new Metrics(() => [], true);
    try {
      await priced(engine);
      const before = engine.hub.get('USD-PHP')!;
      writeFileSync(marker, '');
      // One new tick, the best USD/PHP bid (mids are near 58.20); the batch carrying it dies with its worker.
      // Nothing else is ingested after it.
      expect(engine.ingest({ partner: 'lp-a', pair: 'USD/PHP', bid: '58.300000', ask: '58.310000', ts: Date.now(), seq: 1e9 })).toBe('accepted');
      const after = await eventually(() => {
        const s = engine.hub.get('USD-PHP')!;
        return s.seq > before.seq && s.routes[0]!.rate === '58.3' ? s : undefined;
      });
      expect(existsSync(marker)).toBe(false); // the worker did crash
      expect(after.tradeable).toBe(true);
      expect(await metrics.registry.getSingleMetricAsString('fx_pricing_worker_errors_total')).toMatch(/fx_pricing_worker_errors_total 1$/m);
    } finally {
      metrics.close();
      await engine.close();
      delete process.env.FX_TEST_CRASH_MARKER;
    }
  });
});

describe('a lock retried with the same Idempotency-Key', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await priced(engineWith());
  });
  afterAll(() => engine.close());

  it('answers with the quote it locked before, even once the corridor has no price', async () => {
    const opts = { owner: 'test', idempotencyKey: 'order-1' };
    const first = await lockWith(engine.desk, { corridor: 'USD-INR', side: 'send', amount: '100.00' }, opts);
    expect(first.replayed).toBe(false);
    // The desk disables every partner: USD-INR has no route now.
    const doc = parse(readFileSync(defaultConfigPath(), 'utf8'));
    for (const p of Object.values<any>(doc.partners)) p.enabled = false;
    engine.applyConfig(validateConfig(doc));
    await eventually(() => (engine.desk.corridors().find((c) => c.id === 'USD-INR')?.tradeable ? undefined : true));
    await expect(lockWith(engine.desk, { corridor: 'USD-INR', side: 'send', amount: '100.00' }, { owner: 'test' })).rejects.toMatchObject({ code: 'corridor_unavailable' });
    expect(await lockWith(engine.desk, { corridor: 'USD-INR', side: 'send', amount: '100' }, opts)).toEqual({ body: first.body, replayed: true });
    await expect(lockWith(engine.desk, { corridor: 'USD-INR', side: 'send', amount: '200.00' }, opts)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    // Keys are scoped to the caller: another principal's same key is its own.
    await expect(lockWith(engine.desk, { corridor: 'USD-INR', side: 'send', amount: '100.00' }, { owner: 'other', idempotencyKey: 'order-1' }))
      .rejects.toMatchObject({ code: 'corridor_unavailable' });
  });
});

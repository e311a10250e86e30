// One conformance suite for every feed adapter, each against a real counterpart on loopback (a WebSocket
// server, an HTTP endpoint, a FIX acceptor, a recording file). Time is a ManualClock: backoff, heartbeats,
// timeouts and the circuit's open period pass in milliseconds. Ticks go into the engine's real RateBook, so
// "rejected" means what the engine would do with them.
import { afterEach, describe, expect, it } from 'vitest';
import { feedSchema } from '../../config/index.js';
import type { TickOutcome } from '../../engine/index.js';
import { RateBook } from '../../engine/rate-book.js';
import { buildFeeds, SyntheticFeed, type FeedAdapter, type FeedSpec, type TickSink } from '../../feeds/index.js';
import { FeedEvents } from '../helpers/feed-events.js';
import { FixAcceptor } from '../helpers/fix-acceptor.js';
import { drive, io, ManualClock, waitFor } from '../helpers/manual-clock.js';

/** Registers a scenario only for adapters it applies to (a file cannot hang; synthetic has no counterpart). */
const itWhen = (applies: boolean) => (applies ? it : () => undefined);
import { HttpPartner, ReplayFile, WsPartner, type Counterpart, type WireTick } from '../helpers/partners.js';

const timing = {
  connectTimeoutMs: 20_000, heartbeatMs: 1_000, idleTimeoutMs: 3_000, backoffInitialMs: 100, backoffMaxMs: 400,
  circuitFailures: 3, circuitOpenMs: 5_000, staleAfterMs: 2_000,
};
const PARTNER = 'lp-test';
// Not a literal at the call: the book's limits grow fields as the engine does (tick width), and this stays valid.
const limits = { maxFutureSkewMs: 2_000, maxTickAgeMs: 60_000, maxTickWidthBps: '100' };

interface Harness {
  name: string;
  start(): Promise<Counterpart | undefined>;
  /** Fake time for a sent tick to reach the adapter (a poll interval, a follow interval). */
  deliverMs: number;
  /** What a sequence gap makes the adapter do. */
  resync: 'reconnect' | 'snapshot' | 'none';
  canHang: boolean;
}

const harnesses: Harness[] = [
  { name: 'ws-json', start: () => WsPartner.start(), deliverMs: 0, resync: 'reconnect', canHang: true },
  { name: 'http-poll', start: () => HttpPartner.start(), deliverMs: 500, resync: 'none', canHang: true },
  { name: 'fix44', start: () => FixAcceptor.start(), deliverMs: 0, resync: 'snapshot', canHang: true },
  { name: 'replay (ndjson)', start: async () => new ReplayFile(PARTNER, 'ndjson'), deliverMs: 100, resync: 'none', canHang: false },
  { name: 'replay (csv)', start: async () => new ReplayFile(PARTNER, 'csv'), deliverMs: 100, resync: 'none', canHang: false },
  { name: 'synthetic', start: async () => undefined, deliverMs: 250, resync: 'none', canHang: false },
];

describe.each(harnesses)('feed adapter conformance: $name', (h) => {
  let clock: ManualClock;
  let booked: Map<string, WireTick & { partner: string }>;
  let outcomes: (WireTick & { outcome: TickOutcome })[];
  let feed: FeedAdapter;
  let cp: Counterpart | undefined;
  let events: FeedEvents;
  let close: () => Promise<void>;

  async function setUp(): Promise<Counterpart> {
    clock = new ManualClock();
    const book = new RateBook(limits);
    booked = new Map();
    outcomes = [];
    const sink: TickSink = (t) => {
      const outcome = book.offer(t, clock.nowMs(), clock.nowMs() * 1000);
      outcomes.push({ ...t, outcome });
      if (outcome === 'accepted') booked.set(t.pair, t); // what the book now holds for this partner and pair
      return outcome;
    };
    events = new FeedEvents(PARTNER);
    cp = await h.start();
    if (cp) {
      // Through the config schema, as the composition root does: defaults filled, unknown keys refused.
      const pairs = cp instanceof ReplayFile ? {} : { pairs: ['USD/INR', 'GBP/INR'] };
      const spec: FeedSpec = feedSchema.parse({ ...timing, ...cp.spec(), ...pairs });
      const built = await buildFeeds({ [PARTNER]: spec }, { sink, clock, secrets: { [PARTNER]: 'partner-password' } });
      feed = built.adapters[0]!;
      close = async () => (await built.close(), await cp!.close());
    } else {
      const mids = { 'USD/INR': '84.50', 'GBP/INR': '107.30' };
      feed = new SyntheticFeed(PARTNER, { seed: 7, ticksPerSecond: 4, mids }, { offsetBps: '0', halfSpreadBps: '4', noiseBps: '1', pairs: ['USD/INR', 'GBP/INR'] }, sink, clock, timing);
      close = async () => feed.stop();
    }
    feed.start();
    await waitFor(() => feed.state === 'connected' && (cp?.ready() ?? true));
    return cp!;
  }

  afterEach(async () => {
    events?.close();
    await close?.();
  });

  let seq = 0;
  const tick = (over: Partial<WireTick> = {}): WireTick => ({ pair: 'USD/INR', bid: '84.4512', ask: '84.5301', ts: clock.nowMs(), ...over, seq: over.seq ?? ++seq });

  /** Sends ticks and waits until the book has seen `expect` more of them. */
  async function deliver(ticks: WireTick[], expectSeen = ticks.length): Promise<void> {
    const before = outcomes.length;
    await cp!.send(ticks);
    if (h.deliverMs) clock.advance(h.deliverMs);
    await waitFor(() => outcomes.length >= before + expectSeen).catch((err) => {
      throw new Error(`${err.message}: saw ${JSON.stringify(outcomes.slice(before))}, errors ${JSON.stringify(events.errors)}, states ${events.states}`);
    });
  }

  const latest = (pair = 'USD/INR') => booked.get(pair);

  it('streams ticks into the book with exact decimals and an increasing sequence', async () => {
    seq = 0;
    await setUp();
    if (!cp) {
      clock.advance(1_000);
      expect(outcomes.length).toBeGreaterThanOrEqual(8);
      expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
      expect(latest()!.bid).toMatch(/^\d+\.\d{6}$/);
      return;
    }
    // 17 decimals: a double would round this; a rate must arrive exactly as the partner wrote it.
    await deliver([tick({ bid: '84.12345678901234567', ask: '84.13345678901234567' }), tick({ pair: 'GBP/INR', bid: '107.1', ask: '107.2', seq: 1 }), tick()]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(outcomes[0]!.bid).toBe('84.12345678901234567');
    expect(latest()).toMatchObject({ bid: '84.4512', ask: '84.5301', partner: PARTNER });
    expect(latest('GBP/INR')).toMatchObject({ bid: '107.1', ask: '107.2' });
    expect(events.errors).toEqual([]);
  });

  itWhen(h.name !== 'synthetic')('rejects malformed, crossed, negative and stale ticks, counts them, and never books them', async () => {
    seq = 0;
    await setUp();
    // The old tick is 90 s old: past the book's 60 s, inside a FIX session's SendingTime bound (120 s), so it is the
    // book that refuses it on every adapter, not the FIX session.
    await deliver([tick(), tick({ bid: '84.60', ask: '84.50' }), tick({ bid: '-1', ask: '84.5' }), tick({ bid: '0', ask: '84.5' }), tick({ ts: clock.nowMs() - 90_000 })]);
    const held = latest()!;
    await cp!.sendGarbage();
    if (h.deliverMs) clock.advance(h.deliverMs);
    await waitFor(() => events.count('feed_unparseable') > 0);
    await deliver([tick({ bid: '84.47', ask: '84.55' })]);
    // The book reads a signed number as malformed and zero as non-positive: both are refused and counted.
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'crossed', 'malformed', 'non_positive', 'too_old', 'accepted']);
    expect(held).toMatchObject({ bid: '84.4512' }); // what the book held while the bad ticks came in
    expect(latest()).toMatchObject({ bid: '84.47', ask: '84.55' });
    expect(events.errors.every((e) => e.root === 'rejected')).toBe(true);
    expect(feed.state).toBe('connected');
    expect(feed.status().sessions).toBe(1); // bad data never costs the connection
  });

  itWhen(h.name !== 'synthetic')('reconnects with backoff after the partner drops, and books a partner that restarts its sequence', async () => {
    seq = 0;
    await setUp();
    await deliver([tick()]);
    await cp!.kill();
    await drive(clock, () => events.states.includes('backoff'));
    expect(events.errors.some((e) => e.root === 'retryable')).toBe(true);
    await cp!.revive();
    await drive(clock, () => feed.state === 'connected' && cp!.ready());
    expect(feed.status().sessions).toBe(2);
    seq = 0; // the partner starts over at 1 in its new session
    await deliver([tick({ bid: '84.46', ask: '84.54' })]);
    expect(outcomes.at(-1)!.outcome).toBe('accepted');
    expect(latest()).toMatchObject({ bid: '84.46' });
  });

  itWhen(h.canHang)('detects a hung connection by heartbeat or timeout and replaces it', async () => {
    seq = 0;
    await setUp();
    await deliver([tick()]);
    cp!.hang();
    clock.advance(h.name === 'http-poll' ? 500 : timing.heartbeatMs); // a poll, or a probe (WS ping, FIX TestRequest), goes unanswered
    await io(50);
    // Life already in flight when the partner hung may land late and move the idle deadline: step fake time
    // until the timeout fires (at most twice the idle timeout) rather than advancing once to the exact edge.
    await drive(clock, () => events.count('feed_timeout') >= 1, 50, Math.ceil((2 * timing.idleTimeoutMs) / 50));
    expect(events.count('feed_timeout')).toBe(1);
    expect(events.states.slice(events.states.lastIndexOf('connected')).slice(0, 2)).toEqual(['connected', 'backoff']);
    cp!.unhang();
    await drive(clock, () => feed.state === 'connected' && cp!.ready());
    await deliver([tick({ bid: '84.43', ask: '84.52' })]);
    expect(latest()).toMatchObject({ bid: '84.43' });
  });

  itWhen(h.name !== 'synthetic')('detects a sequence gap and resyncs', async () => {
    seq = 0;
    await setUp();
    await deliver([tick(), tick()]);
    const gapped = tick({ seq: 5, bid: '84.44', ask: '84.53' });
    await cp!.send([gapped]);
    if (h.deliverMs) clock.advance(h.deliverMs);
    await waitFor(() => events.gaps.length === 1);
    expect(events.gaps[0]).toEqual({ pair: 'USD/INR', expected: 3, got: 5 });
    if (h.resync === 'reconnect') {
      // The gapped tick is not trusted: the adapter reconnects, which resubscribes.
      await drive(clock, () => cp!.sessions === 2 && feed.state === 'connected' && cp!.ready());
      expect(outcomes).toHaveLength(2);
      seq = 5;
    } else if (h.resync === 'snapshot') {
      // FIX asks for a snapshot of that pair alone, and prices from it (after the gapped refresh, which
      // carried both sides and so is a whole top of book).
      await waitFor(() => (cp as FixAcceptor).snapshotRequests === 1 && outcomes.length === 4).catch((err) => {
        throw new Error(`${err.message}: ${(cp as FixAcceptor).snapshotRequests} snapshot requests, saw ${JSON.stringify(outcomes)}, states ${events.states}`);
      });
      expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
      expect(latest()).toMatchObject({ bid: '84.44', ask: '84.53' });
      seq = 5;
    } else {
      await waitFor(() => outcomes.length === 3); // a full snapshot (poll) or a recording: counted, and kept
      seq = 5;
    }
    await deliver([tick({ bid: '84.45', ask: '84.54' })]);
    expect(latest()).toMatchObject({ bid: '84.45' });
    expect(events.gaps).toHaveLength(1);
  });

  itWhen(h.name !== 'synthetic')('opens the circuit after repeated failures, probes half-open, and closes when the partner is back', async () => {
    seq = 0;
    await setUp();
    await cp!.kill();
    await drive(clock, () => feed.state === 'open');
    expect(events.states.filter((s) => s === 'backoff')).toHaveLength(timing.circuitFailures - 1);
    const attempts = () => events.states.filter((s) => s === 'connecting' || s === 'half_open').length;
    const before = attempts();
    for (let t = 0; t < timing.circuitOpenMs - 100; t += 100) clock.advance(100);
    expect(attempts()).toBe(before); // open: no attempts at all
    await drive(clock, () => events.states.at(-1) === 'open' && events.states.at(-2) === 'half_open'); // a probe, which fails
    await cp!.revive();
    await drive(clock, () => feed.state === 'connected' && cp!.ready(), 100);
    expect(events.states.slice(-3)).toEqual(['open', 'half_open', 'connected']);
    await deliver([tick()]);
    expect(outcomes.at(-1)!.outcome).toBe('accepted');
  });

  itWhen(h.name !== 'synthetic')('marks a silent pair stale while the session stays up, and fresh on its next tick', async () => {
    seq = 0;
    await setUp();
    await deliver([tick()]);
    await drive(clock, () => events.stale.length === 1, 100);
    expect(events.stale[0]).toEqual({ pair: 'USD/INR', stale: true });
    expect(feed.state).toBe('connected'); // silence answered by heartbeats, 304s or a readable file is not a hang
    await deliver([tick()]);
    expect(events.stale[1]).toEqual({ pair: 'USD/INR', stale: false });
  });

  itWhen(h.name === 'synthetic')('restarts without the book refusing its sequence', async () => {
    await setUp();
    clock.advance(500);
    feed.stop();
    expect(feed.state).toBe('stopped');
    const n = outcomes.length;
    feed.start();
    clock.advance(500);
    expect(outcomes.length).toBeGreaterThan(n);
    expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
  });
});

// FIX session recovery against the test's own acceptor (test/helpers/fix-acceptor.ts), which can misbehave in
// ways QuickFIX will not (plain duplicates, resets, ranges out of bounds). The same cases against QuickFIX itself
// are in fix-quickfix.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { feedSchema } from '../../config/index.js';
import type { PartnerTick } from '../../engine/index.js';
import { buildFeeds, parseFixTime, type BuiltFeeds, type FeedAdapter, type FeedSpec } from '../../feeds/index.js';
import { FeedEvents } from '../helpers/feed-events.js';
import { FixAcceptor } from '../helpers/fix-acceptor.js';
import { drive, io, ManualClock, waitFor } from '../helpers/manual-clock.js';

describe('FIX session recovery (own acceptor)', () => {
  let built: BuiltFeeds | undefined;
  let acceptor: FixAcceptor;
  let events: FeedEvents;
  let ticks: PartnerTick[];
  let feed: FeedAdapter;
  let clock: ManualClock;
  let rpt = 0;

  afterEach(async () => {
    events?.close();
    await built?.close();
    await acceptor?.close();
    built = undefined;
  });

  async function start(over: Record<string, unknown> = {}): Promise<void> {
    acceptor = await FixAcceptor.start();
    clock = new ManualClock();
    ticks = [];
    rpt = 0;
    events = new FeedEvents('lp-fix');
    const spec = feedSchema.parse({ ...acceptor.spec(), pairs: ['USD/INR'], backoffInitialMs: 100, backoffMaxMs: 100, ...over }) as FeedSpec;
    built = await buildFeeds({ 'lp-fix': spec }, { sink: (t) => void ticks.push(t), clock, secrets: { 'lp-fix': 'pw' } });
    feed = built.adapters[0]!;
    feed.start();
    await waitFor(() => feed.state === 'connected' && acceptor.ready());
  }

  /** Pushes one refresh and waits until the engine forwarded it. */
  async function tick(bid = '84.10', ask = '84.20', seq = ++rpt): Promise<void> {
    const n = ticks.length;
    await acceptor.send([{ pair: 'USD/INR', bid, ask, ts: clock.nowMs(), seq }]);
    await waitFor(() => ticks.length > n);
  }

  const last = (type: string) => acceptor.got(type).at(-1)!;

  it('answers a ResendRequest with one GapFill under BeginSeqNo, PossDupFlag=Y, OrigSendingTime and NewSeqNo = our next, and sends an unanswered request afresh', async () => {
    await start();
    // Sent so far: Logon (1) and the subscription (2), unanswered: the acceptor has no prices to snapshot yet.
    acceptor.requestResend(1, 0);
    await waitFor(() => acceptor.got('4').length === 1 && acceptor.requests.length === 2);
    const fill = last('4');
    expect([fill.get(34), fill.get(43), fill.get(123), fill.get(36)]).toEqual(['1', 'Y', 'Y', '3']);
    expect(parseFixTime(fill.get(122))).toBe(parseFixTime(fill.get(52)));
    // The subscription the acceptor never saw goes again, new, under the number the GapFill promised.
    const again = acceptor.requests[1]!;
    expect([again.get(34), again.get(263)]).toEqual(['3', '1']);
    expect(again.get(262)).not.toBe(acceptor.requests[0]!.get(262));
    expect(acceptor.sequenceErrors).toEqual([]);
    await tick();
    expect(events.errors).toEqual([]);
  });

  it('gap-fills a bounded range to EndSeqNo + 1, and asks nothing again for a request already answered', async () => {
    await start();
    await tick(); // the refresh carries the subscription's MDReqID: answered
    acceptor.requestResend(2, 2);
    await waitFor(() => acceptor.got('4').length === 1);
    expect([last('4').get(34), last('4').get(36)]).toEqual(['2', '3']);
    await io(20);
    expect(acceptor.requests).toHaveLength(1);
    expect(feed.state).toBe('connected');
  });

  it('refuses a ResendRequest beyond what it sent with Reject 373=5, and stays up', async () => {
    await start();
    acceptor.requestResend(9, 0);
    await waitFor(() => acceptor.got('3').length === 1);
    expect([last('3').get(373), last('3').get(371), last('3').get(372)]).toEqual(['5', '7', '2']);
    expect(acceptor.got('4')).toEqual([]);
    expect(events.errors.map((e) => e.code)).toEqual(['feed_unmapped']);
    await tick();
    expect(feed.state).toBe('connected');
  });

  it('asks once for a resend on a gap, takes the message, and drops the GapFill that answers as a duplicate', async () => {
    await start();
    await tick();
    acceptor.skipSeq(3);
    await tick('84.11', '84.21');
    await waitFor(() => acceptor.resendRequests.length === 1);
    expect(acceptor.resendRequests[0]).toEqual(['3', '0']);
    await tick('84.12', '84.22');
    await io(20);
    expect(acceptor.resendRequests).toHaveLength(1);
    expect(ticks.map((t) => t.bid)).toEqual(['84.10', '84.11', '84.12']);
    expect(events.errors).toEqual([]);
  });

  it('drops a duplicate marked PossDupFlag=Y without a word', async () => {
    await start();
    await tick();
    acceptor.duplicate(true);
    await tick('84.11', '84.21');
    expect(ticks.map((t) => t.bid)).toEqual(['84.10', '84.11']);
    expect(events.errors).toEqual([]);
    expect(acceptor.got('5')).toEqual([]);
  });

  it('logs out on MsgSeqNum too low without PossDupFlag, as QuickFIX words it, and reconnects', async () => {
    await start();
    await tick();
    await tick('84.11', '84.21');
    acceptor.duplicate(false);
    await waitFor(() => acceptor.got('5').length === 1);
    expect(last('5').get(58)).toBe('MsgSeqNum too low, expecting 4 but received 3');
    await waitFor(() => feed.state === 'backoff');
    expect(events.errors.at(-1)).toMatchObject({ code: 'feed_session_ended', root: 'retryable', detail: 'FIX MsgSeqNum too low, expecting 4 but received 3' });
    expect(ticks).toHaveLength(2);
    await drive(clock, () => feed.state === 'connected' && acceptor.sessions === 2);
  });

  it('honours a SequenceReset-GapFill and a SequenceReset-Reset, and rejects a Reset backwards with 373=5', async () => {
    await start();
    await tick();
    acceptor.gapFill(5);
    await tick('84.11', '84.21');
    acceptor.resetSeq(100);
    await tick('84.12', '84.22');
    expect(acceptor.resendRequests).toEqual([]);
    acceptor.resetSeq(50);
    await waitFor(() => acceptor.got('3').length === 1);
    expect([last('3').get(373), last('3').get(371), last('3').get(372)]).toEqual(['5', '36', '4']);
    expect(events.errors.map((e) => e.code)).toEqual(['feed_unmapped']);
    expect(feed.state).toBe('connected');
  });

  it('prices a resend taken at the expected number by its OrigSendingTime, not the time it was resent', async () => {
    await start();
    await tick();
    const firstSent = clock.nowMs() - 30_000;
    acceptor.sendAsResend({ pair: 'USD/INR', bid: '84.11', ask: '84.21', ts: 0, seq: ++rpt }, firstSent);
    await waitFor(() => ticks.length === 2);
    expect(ticks[1]).toMatchObject({ bid: '84.11', ts: firstSent });
    expect(events.errors).toEqual([]);
  });

  it('refuses a message without SendingTime with Reject 373=1, counts it, and keeps the session and its numbering', async () => {
    await start();
    acceptor.sendFields(({ n }) => [[35, '0'], [49, 'PARTNER'], [56, 'FXENGINE'], [34, n]]);
    await waitFor(() => acceptor.got('3').length === 1);
    expect([last('3').get(373), last('3').get(371), last('3').get(372), last('3').get(45)]).toEqual(['1', '52', '0', '2']);
    expect(events.errors.map((e) => e.code)).toEqual(['feed_unparseable']);
    await tick();
    expect(acceptor.resendRequests).toEqual([]); // its number was used: the next one is no gap
    expect(feed.state).toBe('connected');
  });

  it('rejects a SendingTime beyond maxSendingTimeSkewMs with 373=10, then logs out, counts feed_clock_skew, and recovers once the clock is right', async () => {
    await start({ maxSendingTimeSkewMs: 10_000 });
    acceptor.skewMs = 5_000; // inside the bound
    await tick();
    acceptor.skewMs = -30_000;
    const before = acceptor.received.length;
    await acceptor.send([{ pair: 'USD/INR', bid: '84.11', ask: '84.21', ts: clock.nowMs(), seq: ++rpt }]);
    await waitFor(() => acceptor.got('5').length === 1);
    const [reject, logout] = acceptor.received.slice(before);
    expect(reject!.type).toBe('3');
    expect([reject!.get(373), reject!.get(371), reject!.get(372), reject!.get(45)]).toEqual(['10', '52', 'X', '3']);
    expect(logout!.type).toBe('5');
    expect(logout!.get(58)).toMatch(/^SendingTime accuracy problem: .* is -30\.0 s from our clock \(bound 10000 ms\)$/);
    await waitFor(() => feed.state === 'backoff');
    expect(events.errors.at(-1)).toMatchObject({ code: 'feed_clock_skew', root: 'retryable' });
    expect(ticks).toHaveLength(1); // the skewed refresh was never priced
    acceptor.skewMs = 0;
    await drive(clock, () => feed.state === 'connected' && acceptor.ready());
    rpt = 0;
    await tick('84.12', '84.22');
  });
});

// The fix44 adapter against QuickFIX, the reference FIX engine (test/helpers/quickfix-acceptor.ts): logon and
// ticks, a sequence gap each way, duplicates, and a SendingTime off. Real time throughout: QuickFIX has its own
// clock and timers. Without g++ and libquickfix-dev these tests fail: .ci/run installs them.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { feedSchema } from '../../config/index.js';
import type { PartnerTick } from '../../engine/index.js';
import { buildFeeds, type BuiltFeeds, type FeedAdapter, type FeedSpec } from '../../feeds/index.js';
import { FeedEvents } from '../helpers/feed-events.js';
import { io, waitFor } from '../helpers/manual-clock.js';
import { buildQuickFixAcceptor, QuickFixAcceptor } from '../helpers/quickfix-acceptor.js';

describe('fix44 against QuickFIX', () => {
  let qf: QuickFixAcceptor | undefined;
  let built: BuiltFeeds | undefined;
  let events: FeedEvents;
  let ticks: PartnerTick[];
  let feed: FeedAdapter;

  beforeAll(() => {
    buildQuickFixAcceptor(); // built once, before any test's clock starts
  }, 120_000);

  afterEach(async () => {
    events?.close();
    await built?.close();
    await qf?.close();
    built = undefined;
    qf = undefined;
  });

  const subscribed = () => qf!.messages('in', 'V').filter((m) => m.get(263) === '1');

  async function start(): Promise<QuickFixAcceptor> {
    qf = await QuickFixAcceptor.start();
    ticks = [];
    events = new FeedEvents('lp-qf');
    // Quick reconnects, and a circuit that stays closed through a few refused sessions.
    const spec = feedSchema.parse({ ...qf.spec(), pairs: ['USD/INR'], backoffInitialMs: 50, backoffMaxMs: 100, circuitFailures: 20 }) as FeedSpec;
    built = await buildFeeds({ 'lp-qf': spec }, { sink: (t) => void ticks.push(t), secrets: { 'lp-qf': 'pw' } });
    feed = built.adapters[0]!;
    feed.start();
    await waitFor(() => feed.state === 'connected' && subscribed().length === 1);
    return qf;
  }

  async function tick(bid: string, ask: string, rptSeq: number): Promise<void> {
    const n = ticks.length;
    await qf!.command(`tick USD/INR ${bid} ${ask} ${rptSeq}`);
    await waitFor(() => ticks.length > n).catch((err) => {
      throw new Error(`${err.message}: errors ${JSON.stringify(events.errors)}; QuickFIX: ${qf!.lines.slice(-6).join(' / ')}`);
    });
  }

  /** QuickFIX refused nothing of ours: no Reject, no Logout, no complaint about our numbers. */
  const clean = () => {
    expect(qf!.messages('out', '3')).toEqual([]);
    expect(qf!.messages('out', '5')).toEqual([]);
    expect(qf!.events().filter((e) => /too low|Rejected|Disconnecting/.test(e))).toEqual([]);
  };

  it('logs on with a sequence reset and streams ticks with the decimals as sent', async () => {
    await start();
    const logon = qf!.messages('in', 'A')[0]!;
    expect([logon.get(141), logon.get(553), logon.get(554)]).toEqual(['Y', 'fx', 'pw']);
    await tick('84.12345678901234567', '84.13345678901234567', 1);
    await tick('84.1', '84.2', 2);
    expect(ticks.map((t) => [t.bid, t.ask])).toEqual([['84.12345678901234567', '84.13345678901234567'], ['84.1', '84.2']]);
    expect(events.errors).toEqual([]);
    clean();
  });

  it('QuickFIX skips numbers: we ask once for a resend, take its GapFill, and go on', async () => {
    await start();
    await tick('84.10', '84.20', 1);
    await qf!.command('skip 3');
    await tick('84.11', '84.21', 2); // the message after the gap is taken at once
    await waitFor(() => qf!.messages('out', '4').length === 1);
    const [resend] = qf!.messages('in', '2');
    const fill = qf!.messages('out', '4')[0]!;
    expect([resend!.get(7), resend!.get(16)]).toEqual([fill.get(34), '0']); // from the first missing number, to infinity
    expect([fill.get(43), fill.get(123)]).toEqual(['Y', 'Y']);
    await tick('84.12', '84.22', 3);
    await io(200);
    expect(qf!.messages('in', '2')).toHaveLength(1); // no loop
    expect(ticks.map((t) => t.bid)).toEqual(['84.10', '84.11', '84.12']); // resent copies are not priced twice
    expect(events.errors).toEqual([]);
    clean();
  });

  it('our numbers skip for QuickFIX: it asks a resend, we GapFill with PossDupFlag=Y, it takes it and answers our request sent afresh', async () => {
    await start();
    await tick('84.10', '84.20', 1);
    await qf!.command('rewind-incoming 2'); // QuickFIX now counts two of our messages as never arrived
    // A gap in RptSeq makes the engine ask for a snapshot, which QuickFIX sees as too high and holds back.
    await tick('84.11', '84.21', 3);
    await waitFor(() => qf!.messages('in', '4').length === 1 && qf!.messages('out', 'W').length === 1).catch((err) => {
      throw new Error(`${err.message}: ${qf!.lines.slice(-12).join('\n')}`);
    });
    const [resend] = qf!.messages('out', '2');
    const fill = qf!.messages('in', '4')[0]!;
    const snapshots = qf!.messages('in', 'V').filter((m) => m.get(263) === '0');
    expect(fill.get(34)).toBe(resend!.get(7));
    expect([fill.get(43), fill.get(123), fill.get(36)]).toEqual(['Y', 'Y', snapshots[1]!.get(34)]);
    expect(fill.get(122)).toBeDefined();
    // The first snapshot request was under a number the GapFill covered; the second is new and answered.
    expect(snapshots).toHaveLength(2);
    expect(Number(snapshots[1]!.get(34))).toBeGreaterThan(Number(snapshots[0]!.get(34)));
    expect(qf!.events()).toContain(`Received SequenceReset FROM: ${fill.get(34)} TO: ${fill.get(36)}`);
    await waitFor(() => ticks.length === 3); // the refresh after the gap, then the snapshot
    await tick('84.12', '84.22', 4);
    await io(200);
    expect(qf!.messages('out', '2')).toHaveLength(1); // QuickFIX asked once: nothing loops
    expect(events.errors).toEqual([]);
    clean();
  });

  it("answers QuickFIX's explicit ResendRequest from 1 with a GapFill it accepts", async () => {
    await start();
    await tick('84.10', '84.20', 1); // the subscription is answered: nothing to send again
    await qf!.command('resend 1 0');
    await waitFor(() => qf!.messages('in', '4').length === 1);
    const fill = qf!.messages('in', '4')[0]!;
    const sent = qf!.messages('in').filter((m) => m.type !== '4');
    expect([fill.get(34), fill.get(43), fill.get(123), fill.get(36)]).toEqual(['1', 'Y', 'Y', String(Number(sent.at(-1)!.get(34)) + 1)]);
    await tick('84.11', '84.21', 2);
    await qf!.command('resend 1 0'); // and again: still no loop
    await waitFor(() => qf!.messages('in', '4').length === 2);
    await tick('84.12', '84.22', 3);
    expect(qf!.messages('in', 'V')).toHaveLength(1);
    expect(events.errors).toEqual([]);
    clean();
  });

  it('drops a PossDupFlag=Y duplicate silently; a plain one ends the session with "MsgSeqNum too low", and it logs on again', async () => {
    await start();
    await tick('84.10', '84.20', 1);
    await qf!.command('dup possdup');
    await tick('84.11', '84.21', 2);
    expect(ticks.map((t) => t.bid)).toEqual(['84.10', '84.11']);
    expect(events.errors).toEqual([]);
    clean();
    const x = qf!.messages('out', 'X');
    await qf!.command('dup plain');
    await waitFor(() => qf!.messages('in', '5').length === 1);
    expect(qf!.messages('in', '5')[0]!.get(58)).toBe(`MsgSeqNum too low, expecting ${Number(x.at(-1)!.get(34)) + 1} but received ${x.at(-1)!.get(34)}`);
    expect(events.errors[0]).toMatchObject({ code: 'feed_session_ended', root: 'retryable' });
    await waitFor(() => subscribed().length === 2 && feed.state === 'connected');
    await tick('84.12', '84.22', 1);
  });

  it('rejects a SendingTime off by ten minutes with 373=10, then logs out, and logs on again once the clock is right', async () => {
    await start();
    await tick('84.10', '84.20', 1);
    await qf!.command('skew -600');
    await qf!.command('tick USD/INR 84.11 84.21 2');
    await waitFor(() => qf!.messages('in', '5').length >= 1);
    const reject = qf!.messages('in', '3')[0]!;
    const skewed = qf!.messages('out', 'X').at(-1)!;
    expect([reject.get(373), reject.get(371), reject.get(372), reject.get(45)]).toEqual(['10', '52', 'X', skewed.get(34)]);
    const order = qf!.messages('in').map((m) => m.type);
    expect(order.indexOf('3')).toBeLessThan(order.indexOf('5'));
    expect(events.errors[0]).toMatchObject({ code: 'feed_clock_skew', root: 'retryable' });
    expect(ticks).toHaveLength(1);
    await qf!.command('skew 0');
    await waitFor(() => feed.state === 'connected' && subscribed().length >= 2, 10_000);
    await tick('84.12', '84.22', 1);
  });
});

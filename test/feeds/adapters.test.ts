// What each adapter does beyond the shared conformance: its wire details, the recorder, the config.
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfigPath, feedSchema, validateConfig } from '../../config/index.js';
import type { PartnerTick } from '../../engine/index.js';
import {
  backoffDelayMs, buildFeeds, decodeTick, encodeFix, FixFramer, parseJsonLossless, type BuiltFeeds, type FeedSpec,
} from '../../feeds/index.js';
import { FeedEvents } from '../helpers/feed-events.js';
import { FixAcceptor } from '../helpers/fix-acceptor.js';
import { drive, io, ManualClock, waitFor } from '../helpers/manual-clock.js';
import { HttpPartner, WsPartner } from '../helpers/partners.js';

describe('parseJsonLossless', () => {
  it('keeps every number as the text it was written as', () => {
    expect(parseJsonLossless('{"b":84.12345678901234567,"n":[1,-2.5e3],"s":"x\\"1.5","t":true}')).toEqual({ b: '84.12345678901234567', n: ['1', '-2.5e3'], s: 'x"1.5', t: true });
  });
  it('throws on broken JSON', () => {
    expect(() => parseJsonLossless('{"b":')).toThrow();
  });
});

describe('backoff', () => {
  it('draws full jitter under an exponential ceiling capped at backoffMaxMs', () => {
    const o = { backoffInitialMs: 100, backoffMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 30].map((n) => backoffDelayMs(n, o, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, o, () => 0)).toBe(0);
  });
});

describe('FIX framing', () => {
  it('writes BodyLength and CheckSum as the spec computes them', () => {
    // 8=FIX.4.4|9=5|35=0|10=163|: sum of bytes up to 10= is 163 mod 256
    expect(encodeFix('FIX.4.4', [[35, '0']])).toBe('8=FIX.4.4\x019=5\x0135=0\x0110=163\x01');
  });
  it('reassembles split frames and drops a corrupted one without losing the next', () => {
    const good = encodeFix('FIX.4.4', [[35, '0'], [34, 2]]);
    const bad = encodeFix('FIX.4.4', [[35, '0'], [34, 1]]).replace('34=1', '34=9');
    const f = new FixFramer();
    const out = [...f.push(bad + good.slice(0, 7)), ...f.push(good.slice(7))];
    expect(out.filter((m) => m instanceof Error).length).toBeGreaterThan(0);
    const messages = out.filter((m) => !(m instanceof Error));
    expect(messages.map((m) => (m as { get(t: number): string }).get(34))).toEqual(['2']);
  });
});

describe('adapters on the wire', () => {
  let built: BuiltFeeds | undefined;
  let close: (() => Promise<void>) | undefined;
  let events: FeedEvents | undefined;
  afterEach(async () => {
    events?.close();
    await built?.close();
    await close?.();
    built = undefined;
    close = undefined;
  });

  const start = async (spec: Record<string, unknown>, clock = new ManualClock(), secret?: string) => {
    const ticks: PartnerTick[] = [];
    events = new FeedEvents('p1');
    built = await buildFeeds({ p1: feedSchema.parse(spec) as FeedSpec }, { sink: (t) => void ticks.push(t), clock, secrets: secret ? { p1: secret } : {} });
    built.adapters[0]!.start();
    return { ticks, feed: built.adapters[0]!, clock };
  };

  it('ws-json: sends the configured subscribe message with the partner symbols, and the secret as a header', async () => {
    const p = await WsPartner.start();
    close = () => p.close();
    const { feed } = await start({ ...p.spec(), pairs: ['USD/INR', 'GBP/INR'], headers: { authorization: 'Bearer ${secret}' } }, undefined, 's3cret');
    await waitFor(() => feed.state === 'connected' && p.ready());
    expect(p.subscribes).toEqual([{ op: 'subscribe', symbols: ['USDINR', 'GBPINR'] }]);
    expect(p.lastHeaders?.authorization).toBe('Bearer s3cret');
  });

  it('backs off from a partner that accepts and drops at once, until the circuit opens', async () => {
    const p = await WsPartner.start();
    close = () => p.close();
    p.dropOnConnect = true;
    const { feed, clock } = await start({ ...p.spec(), pairs: ['USD/INR'], backoffInitialMs: 100, backoffMaxMs: 400, circuitFailures: 3, circuitOpenMs: 60_000 });
    for (let i = 0; i < 200 && feed.state !== 'open'; i++) {
      clock.advance(100);
      await io(5);
    }
    expect(feed.state).toBe('open');
    expect(p.sessions).toBe(3); // each connection came up, and each drop still counted as a failure
  });

  it('refuses to build a feed that needs a secret nobody gave, naming the env variable', async () => {
    await expect(buildFeeds({ 'lp-x': feedSchema.parse({ ...new WsSpec(), headers: { authorization: 'Bearer ${secret}' } }) as FeedSpec }, { sink: () => {} }))
      .rejects.toThrow(/FX_FEED_SECRET_LP_X/);
  });

  it('http-poll: reads the base + rates shape, and answers 304s with no new ticks', async () => {
    const p = await HttpPartner.start();
    close = () => p.close();
    p.serve('{"base":"USD","timestamp":1795239508,"rates":{"INR":84.123456789012345678,"PHP":{"bid":"58.1","ask":"58.3"},"EUR":0.92}}');
    const { ticks, feed, clock } = await start({ ...p.spec(), pairs: ['USD/INR', 'USD/PHP'], mapping: { shape: 'base-rates' } });
    await waitFor(() => ticks.length === 2);
    expect(ticks).toEqual([
      { partner: 'p1', pair: 'USD/INR', bid: '84.123456789012345678', ask: '84.123456789012345678', ts: 1795239508000, seq: 1 },
      { partner: 'p1', pair: 'USD/PHP', bid: '58.1', ask: '58.3', ts: 1795239508000, seq: 1 },
    ]);
    clock.advance(500);
    await waitFor(() => p.notModified === 1);
    // Polls are sequential: a second 304 means the first one was read, and brought no tick. (Step fake time until
    // it comes: the next poll is armed only once the first answer is read.)
    await drive(clock, () => p.notModified >= 2, 500, 400);
    expect(ticks).toHaveLength(2);
    expect(feed.state).toBe('connected');
  });

  it('http-poll: an HTTP error status is a retryable failure', async () => {
    const p = await HttpPartner.start();
    close = () => p.close();
    const { feed } = await start({ ...p.spec(), url: p.spec().url.replace('/v1/rates', '/missing'), pairs: ['USD/INR'] });
    p.status = 503;
    await waitFor(() => feed.state === 'backoff');
    expect(events!.errors[0]).toMatchObject({ code: 'feed_http_status', root: 'retryable' });
  });

  it('fix44: logs on with the secret as password, probes a silent acceptor with a TestRequest, and stays up on its Heartbeat', async () => {
    const acceptor = await FixAcceptor.start();
    close = () => acceptor.close();
    const { feed, clock } = await start({ ...acceptor.spec(), pairs: ['USD/INR'], heartbeatMs: 1_000, idleTimeoutMs: 3_000 }, undefined, 'pw-123');
    await waitFor(() => feed.state === 'connected' && acceptor.ready());
    expect(acceptor.logons[0]).toMatchObject({ username: 'fx', password: 'pw-123', resetSeqNum: 'Y' });
    for (let t = 0; t < 5_000; t += 250) {
      clock.advance(250);
      await io(5);
    }
    expect(acceptor.testRequests.length).toBeGreaterThan(0);
    expect(feed.state).toBe('connected');
  });

  it('fix44: asks for a resend on a session sequence gap, keeps pricing, and reconnects after a Logout', async () => {
    const acceptor = await FixAcceptor.start();
    close = () => acceptor.close();
    const { feed, ticks, clock } = await start({ ...acceptor.spec(), pairs: ['USD/INR'], backoffInitialMs: 100, backoffMaxMs: 100 }, undefined, 'pw');
    await waitFor(() => feed.state === 'connected' && acceptor.ready());
    acceptor.skipSeq(3);
    await acceptor.send([{ pair: 'USD/INR', bid: '84.1', ask: '84.2', ts: clock.nowMs(), seq: 1 }]);
    await waitFor(() => acceptor.resendRequests.length === 1 && ticks.length === 1);
    expect(acceptor.resendRequests[0]).toEqual(['2', '0']); // from the first missing number, to infinity
    acceptor.logout('maintenance');
    await waitFor(() => feed.state === 'backoff');
    expect(events!.errors.at(-1)).toMatchObject({ code: 'feed_session_ended', detail: 'FIX Logout: maintenance' });
    clock.advance(100);
    await waitFor(() => feed.state === 'connected' && acceptor.sessions === 2);
  });

  it('records what a live adapter forwards in the format replay reads', async () => {
    const p = await WsPartner.start();
    close = () => p.close();
    const path = join(mkdtempSync(join(tmpdir(), 'fx-rec-')), 'rec.ndjson');
    const { ticks, feed } = await start({ ...p.spec(), pairs: ['USD/INR'], recordPath: path });
    await waitFor(() => feed.state === 'connected' && p.ready());
    await p.send([{ pair: 'USD/INR', bid: '84.1', ask: '84.2', ts: 1795239508000, seq: 7 }]);
    await waitFor(() => ticks.length === 1);
    await built!.close();
    built = undefined;
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((l) => decodeTick(l, 'ndjson'))).toEqual(ticks);
  });
});

class WsSpec {
  type = 'ws-json';
  url = 'ws://127.0.0.1:1/x';
  pairs = ['USD/INR'];
}

describe('feeds config', () => {
  const shipped = () => parse(readFileSync(defaultConfigPath(), 'utf8'));

  it('fills documented defaults and refuses unknown keys', () => {
    const f = feedSchema.parse({ type: 'http-poll', url: 'http://127.0.0.1:1/r', pairs: ['USD/INR'], mapping: { shape: 'base-rates' } });
    expect(f).toMatchObject({ intervalMs: 1_000, requestTimeoutMs: 2_000, heartbeatMs: 5_000, idleTimeoutMs: 15_000, circuitFailures: 5, mapping: { base: 'base', rates: 'rates', tsUnit: 's' } });
    expect(() => feedSchema.parse({ ...new WsSpec(), pollMs: 5 })).toThrow(/pollMs/);
  });

  it('accepts every feed example in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/```yaml\n(feeds:\n[\s\S]*?)```/g)].map((m) => parse(m[1]!).feeds);
    expect(examples.length).toBe(4);
    for (const feeds of examples) for (const f of Object.values(feeds)) expect(() => feedSchema.parse(f)).not.toThrow();
  });

  it('refuses a feed for an unknown partner and a heartbeat not below the idle timeout', () => {
    const doc = shipped();
    doc.feeds = { 'lp-zz': { ...new WsSpec() }, 'lp-a': { ...new WsSpec(), heartbeatMs: 5_000, idleTimeoutMs: 5_000 } };
    let message = '';
    try {
      validateConfig(doc);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/feeds\.lp-zz: is not a partner in partners/);
    expect(message).toMatch(/feeds\.lp-a\.idleTimeoutMs: idleTimeoutMs must be above heartbeatMs/);
  });
});

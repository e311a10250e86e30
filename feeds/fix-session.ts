// A minimal FIX 4.4 initiator session over one socket: Logon (with ResetSeqNumFlag, so every connection starts
// at 1), outbound heartbeats, answers to TestRequest, inbound checks (SendingTime, MsgSeqNum, duplicates),
// message recovery both ways, and Logout. Application messages go to the adapter. Timers are the injected clock's.
//
// Recovery, as FIX 4.4 (Volume 2, "Message Recovery") and QuickFIX, the reference engine, do it:
//
//   partner sends                                   we do
//   SendingTime further than maxSendingTimeSkewMs   Reject 373=10, Logout, disconnect (feed_clock_skew)
//   MsgSeqNum below expected, PossDupFlag=Y         drop it silently (a resend of what we had or skipped over)
//   MsgSeqNum below expected, no PossDupFlag        Logout "MsgSeqNum too low, expecting X but received Y", disconnect
//   MsgSeqNum above expected                        ResendRequest(expected, 0), then take the message and move on
//   SequenceReset-GapFill (123=Y)                   checked like any message, then expect NewSeqNo
//   SequenceReset-Reset                             expect NewSeqNo whatever its MsgSeqNum (lower: Reject 373=5)
//   ResendRequest(B, E), E = 0 meaning infinity     SequenceReset-GapFill under MsgSeqNum B, PossDupFlag=Y,
//                                                   OrigSendingTime, NewSeqNo past E (our next number for 0)
//
// Taking a message past a gap at once (QuickFIX queues it until the gap is filled) suits a market-data session:
// prices are not worth waiting for, what the gap held is either filled (dropped as a duplicate when it comes) or
// recovered by the adapter through RptSeq, and a connection never stalls behind a partner that cannot resend.
//
// Why not an npm FIX engine (jspurefix 5.11 was evaluated): its session runs its own real timers for heartbeats
// and logon, so the base's injected clock could neither drive nor test liveness; its data dictionary is unpacked
// by a postinstall script that this npm setup blocks by default; and it would add ~150 MB (express, axios,
// mathjs, winston, tsyringe with decorators) to the production image for the ten message types a top-of-book
// market-data initiator needs.
import type { Socket } from 'node:net';
import type { FeedClock } from './clock.js';
import { feedError, type FeedError, type FeedErrorCode } from './errors.js';
import { encodeFix, FixFramer, fixTime, parseFixTime, type FixMessage } from './fix-codec.js';

export interface FixSessionOptions {
  senderCompId: string;
  targetCompId: string;
  heartBtIntSec: number;
  username?: string | undefined;
  password?: string | undefined;
  /** A message whose SendingTime (52) is further than this from our clock ends the session. */
  maxSendingTimeSkewMs: number;
}

export interface FixSessionHandlers {
  loggedOn(): void;
  app(msg: FixMessage): void;
  alive(): void;
  reject(err: FeedError): void;
  down(err: FeedError): void;
  /** Our MsgSeqNums from..to were gap-filled for the partner: what we sent under them never reaches it. */
  gapFilled(from: number, to: number): void;
}

const BEGIN = 'FIX.4.4';
/** How long a closing socket may take to deliver our Logout before it is destroyed anyway. */
const LINGER_MS = 1_000;

/** SessionRejectReason (373) values we send. */
const REJECT = { requiredTagMissing: 1, valueIncorrect: 5, incorrectDataFormat: 6, sendingTimeAccuracy: 10 } as const;

export class FixSession {
  #outSeq = 1;
  #inSeq = 1;
  #heartbeat: unknown;
  #lastSentMs = 0;
  #testReq = 0;
  /** We sent Logout: nothing more is read or sent on this socket. */
  #loggedOut = false;
  readonly #framer = new FixFramer();

  constructor(
    private readonly socket: Socket,
    private readonly o: FixSessionOptions,
    private readonly clock: FeedClock,
    private readonly h: FixSessionHandlers,
  ) {
    socket.on('data', (chunk) => this.#receive(chunk));
  }

  logon(): void {
    this.send('A', [[98, 0], [108, this.o.heartBtIntSec], [141, 'Y'],
      ...(this.o.username ? [[553, this.o.username] as [number, string]] : []),
      ...(this.o.password ? [[554, this.o.password] as [number, string]] : [])]);
    this.#scheduleHeartbeat();
  }

  /** Sends one message under the next MsgSeqNum and returns that number (0 when the session is over). */
  send(type: string, body: [number, string | number][]): number {
    if (this.socket.destroyed || this.#loggedOut) return 0;
    const seq = this.#outSeq++;
    this.#write(type, seq, body, false);
    return seq;
  }

  /** The base's probe of a silent acceptor: it must answer with a Heartbeat carrying our TestReqID. */
  testRequest(): void {
    this.send('1', [[112, `T${++this.#testReq}`]]);
  }

  close(): void {
    this.clock.clearTimeout(this.#heartbeat);
    if (this.socket.destroyed) return;
    if (this.socket.pending) return void this.socket.destroy(); // never connected: nobody to tell
    this.#logout();
    // end() lets the Logout (and a Reject before it) reach the partner before the socket goes.
    const socket = this.socket;
    socket.end(() => socket.destroy());
    this.clock.setTimeout(() => socket.destroy(), LINGER_MS);
  }

  #write(type: string, seq: number, body: [number, string | number][], possDup: boolean): void {
    const now = this.clock.nowMs();
    const sendingTime = fixTime(now);
    // A resend says so (PossDupFlag) and when it was first sent; a gap fill has no original, so that is now (the spec's rule).
    const header: [number, string | number][] = [[35, type], [49, this.o.senderCompId], [56, this.o.targetCompId], [34, seq],
      ...(possDup ? [[43, 'Y'] as [number, string]] : []), [52, sendingTime], ...(possDup ? [[122, sendingTime] as [number, string]] : [])];
    this.socket.write(encodeFix(BEGIN, [...header, ...body]), 'latin1');
    this.#lastSentMs = now;
  }

  #logout(text?: string): void {
    if (this.#loggedOut) return;
    this.send('5', text ? [[58, text]] : []);
    this.#loggedOut = true;
  }

  /** A fatal session error: Logout with the reason, then the base drops the connection. */
  #fail(text: string, code: FeedErrorCode = 'feed_session_ended'): void {
    this.#logout(text);
    this.h.down(feedError(code, `FIX ${text}`));
  }

  /** A session-level Reject (35=3) of one message, counted as bad data. */
  #reject(m: FixMessage, seq: number, reason: number, tag: number, text: string, code: FeedErrorCode = 'feed_unmapped'): void {
    this.send('3', [[45, seq], [371, tag], [372, m.type], [373, reason], [58, text]]);
    this.h.reject(feedError(code, `FIX ${m.type} ${seq} rejected: ${text}`));
  }

  #scheduleHeartbeat(): void {
    const everyMs = this.o.heartBtIntSec * 1000;
    this.#heartbeat = this.clock.setTimeout(() => {
      if (this.socket.destroyed) return;
      if (this.clock.nowMs() - this.#lastSentMs >= everyMs - 50) this.send('0', []);
      this.#scheduleHeartbeat();
    }, everyMs);
  }

  #receive(chunk: Buffer): void {
    for (const m of this.#framer.push(chunk)) {
      if (this.socket.destroyed || this.#loggedOut) return;
      if (m instanceof Error) this.h.reject(feedError('feed_unparseable', m.message));
      else this.#handle(m);
    }
  }

  #handle(m: FixMessage): void {
    const seq = Number(m.get(34));
    if (!Number.isSafeInteger(seq) || seq < 1) return this.h.reject(feedError('feed_unparseable', `FIX ${m.type} without MsgSeqNum`));
    if (m.get(49) !== this.o.targetCompId || m.get(56) !== this.o.senderCompId)
      return this.#fail(`comp ids ${m.get(49)}->${m.get(56)} are not ${this.o.targetCompId}->${this.o.senderCompId}`);
    if (!this.#timely(m, seq)) return;
    if (m.type === '4' && m.get(123) !== 'Y') return this.#sequenceReset(m, seq);
    if (seq < this.#inSeq) {
      if (m.get(43) === 'Y') return this.h.alive();
      return this.#fail(`MsgSeqNum too low, expecting ${this.#inSeq} but received ${seq}`);
    }
    // The partner's ResendRequest is answered before we ask for our own gap: each side's recovery stands alone.
    if (m.type === '2') this.#answerResend(m, seq);
    if (seq > this.#inSeq && m.type !== 'A') this.send('2', [[7, this.#inSeq], [16, 0]]);
    this.#inSeq = seq + 1;
    switch (m.type) {
      case 'A':
        return this.h.loggedOn();
      case '0':
      case '2':
        return this.h.alive();
      case '1':
        this.send('0', [[112, m.get(112) ?? '']]);
        return this.h.alive();
      case '3':
        return this.h.reject(feedError('feed_unparseable', `FIX session Reject: ${m.get(58) ?? 'no text'}`));
      case '4':
        return this.#gapFill(m, seq);
      case '5':
        return this.h.down(feedError('feed_session_ended', `FIX Logout: ${m.get(58) ?? 'no text'}`));
      default:
        this.h.app(m);
    }
  }

  /** SendingTime must be there and near our clock; a resend carries the resend's time, so this holds for it too. */
  #timely(m: FixMessage, seq: number): boolean {
    const raw = m.get(52);
    const sentMs = parseFixTime(raw);
    if (sentMs === undefined) {
      const missing = raw === undefined;
      this.#reject(m, seq, missing ? REJECT.requiredTagMissing : REJECT.incorrectDataFormat, 52, `SendingTime ${missing ? 'missing' : `malformed: ${raw}`}`, 'feed_unparseable');
      if (seq === this.#inSeq) this.#inSeq++; // refused, but its number is used
      return false;
    }
    const skewMs = sentMs - this.clock.nowMs();
    if (Math.abs(skewMs) <= this.o.maxSendingTimeSkewMs) return true;
    const text = `SendingTime accuracy problem: ${raw} is ${(skewMs / 1000).toFixed(1)} s from our clock (bound ${this.o.maxSendingTimeSkewMs} ms)`;
    this.send('3', [[45, seq], [371, 52], [372, m.type], [373, REJECT.sendingTimeAccuracy], [58, text]]);
    this.#fail(text, 'feed_clock_skew');
    return false;
  }

  /** SequenceReset-Reset: its own MsgSeqNum is ignored; NewSeqNo may only move forward. */
  #sequenceReset(m: FixMessage, seq: number): void {
    const next = Number(m.get(36));
    if (!Number.isSafeInteger(next) || next < this.#inSeq) return this.#reject(m, seq, REJECT.valueIncorrect, 36, `NewSeqNo ${m.get(36)} below the expected ${this.#inSeq}`);
    this.#inSeq = next;
    this.h.alive();
  }

  /** SequenceReset-GapFill, its MsgSeqNum already checked: nothing was sent under seq..NewSeqNo-1. */
  #gapFill(m: FixMessage, seq: number): void {
    const next = Number(m.get(36));
    if (!Number.isSafeInteger(next) || next <= seq) return this.#reject(m, seq, REJECT.valueIncorrect, 36, `NewSeqNo ${m.get(36)} not above the GapFill's MsgSeqNum ${seq}`);
    this.#inSeq = Math.max(this.#inSeq, next);
    this.h.alive();
  }

  /**
   * We never resend: our application messages are MarketDataRequests, and a request as it stood then is stale by
   * the time the partner asks for it (the adapter sends afresh whatever is still unanswered, see gapFilled). So
   * one SequenceReset-GapFill covers the whole range, under its first number, marked PossDupFlag=Y so the partner
   * takes it as the resend it asked for, not as a new message out of sequence (which would make it ask again).
   */
  #answerResend(m: FixMessage, seq: number): void {
    const begin = Number(m.get(7));
    const end = Number(m.get(16));
    const last = this.#outSeq - 1;
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 1 || begin > last || end < 0 || (end !== 0 && end < begin))
      return this.#reject(m, seq, REJECT.valueIncorrect, 7, `ResendRequest ${m.get(7)}..${m.get(16)} is not a range of 1..${last}`);
    const to = end === 0 || end > last ? last : end; // EndSeqNo 0 means infinity
    this.#write('4', begin, [[123, 'Y'], [36, to + 1]], true);
    this.h.gapFilled(begin, to);
  }
}

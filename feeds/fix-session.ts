// A minimal FIX 4.4 initiator session over one socket: Logon (with ResetSeqNumFlag, so every connection starts
// at 1), outbound heartbeats, answers to TestRequest, inbound sequence checks with ResendRequest on a gap and
// SequenceReset handling, and Logout. Application messages go to the adapter. Timers are the injected clock's.
//
// Why not an npm FIX engine (jspurefix 5.11 was evaluated): its session runs its own real timers for heartbeats
// and logon, so the base's injected clock could neither drive nor test liveness; its data dictionary is unpacked
// by a postinstall script that this npm setup blocks by default; and it would add ~150 MB (express, axios,
// mathjs, winston, tsyringe with decorators) to the production image for the ten message types a top-of-book
// market-data initiator needs.
import type { Socket } from 'node:net';
import type { FeedClock } from './clock.js';
import { feedError, type FeedError } from './errors.js';
import { encodeFix, FixFramer, fixTime, type FixMessage } from './fix-codec.js';

export interface FixSessionOptions {
  senderCompId: string;
  targetCompId: string;
  heartBtIntSec: number;
  username?: string | undefined;
  password?: string | undefined;
}

export interface FixSessionHandlers {
  loggedOn(): void;
  app(msg: FixMessage): void;
  alive(): void;
  reject(err: FeedError): void;
  down(err: FeedError): void;
}

const BEGIN = 'FIX.4.4';

export class FixSession {
  #outSeq = 1;
  #inSeq = 1;
  #heartbeat: unknown;
  #lastSentMs = 0;
  #testReq = 0;
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

  send(type: string, body: [number, string | number][]): void {
    if (this.socket.destroyed) return;
    const now = this.clock.nowMs();
    this.socket.write(encodeFix(BEGIN, [[35, type], [49, this.o.senderCompId], [56, this.o.targetCompId], [34, this.#outSeq++], [52, fixTime(now)], ...body]), 'latin1');
    this.#lastSentMs = now;
  }

  /** The base's probe of a silent acceptor: it must answer with a Heartbeat carrying our TestReqID. */
  testRequest(): void {
    this.send('1', [[112, `T${++this.#testReq}`]]);
  }

  close(): void {
    this.clock.clearTimeout(this.#heartbeat);
    if (!this.socket.destroyed) this.send('5', []);
    this.socket.destroy();
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
      if (m instanceof Error) {
        this.h.reject(feedError('feed_unparseable', m.message));
        continue;
      }
      if (this.socket.destroyed) return;
      this.#handle(m);
    }
  }

  #handle(m: FixMessage): void {
    const seq = Number(m.get(34));
    if (!Number.isSafeInteger(seq)) return this.h.reject(feedError('feed_unparseable', `FIX ${m.type} without MsgSeqNum`));
    if (m.get(49) !== this.o.targetCompId || m.get(56) !== this.o.senderCompId)
      return this.h.down(feedError('feed_session_ended', `FIX comp ids ${m.get(49)}->${m.get(56)} are not ${this.o.targetCompId}->${this.o.senderCompId}`));
    if (m.type === '4') {
      // SequenceReset (gap fill or reset): the next message carries NewSeqNo.
      const next = Number(m.get(36));
      if (Number.isSafeInteger(next) && next >= this.#inSeq) this.#inSeq = next;
      return this.h.alive();
    }
    if (seq < this.#inSeq && m.get(43) !== 'Y') {
      return this.h.down(feedError('feed_session_ended', `FIX MsgSeqNum ${seq} below the expected ${this.#inSeq}`));
    }
    if (seq > this.#inSeq && m.type !== 'A') {
      // Missed messages: ask for them. An acceptor gap-fills market data rather than replay old prices; the
      // adapter resyncs prices through the entries' RptSeq.
      this.send('2', [[7, this.#inSeq], [16, 0]]);
    }
    this.#inSeq = Math.max(this.#inSeq, seq + 1);
    switch (m.type) {
      case 'A':
        this.h.loggedOn();
        return;
      case '0':
        return this.h.alive();
      case '1':
        this.send('0', [[112, m.get(112) ?? '']]);
        return this.h.alive();
      case '2':
        // We send nothing worth replaying (a logon and market data requests): gap-fill to our next number.
        this.send('4', [[123, 'Y'], [36, this.#outSeq + 1]]);
        return this.h.alive();
      case '3':
        return this.h.reject(feedError('feed_unparseable', `FIX session Reject: ${m.get(58) ?? 'no text'}`));
      case '5':
        this.h.down(feedError('feed_session_ended', `FIX Logout: ${m.get(58) ?? 'no text'}`));
        return;
      default:
        this.h.app(m);
    }
  }
}

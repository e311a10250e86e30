// A small FIX 4.4 market-data acceptor for tests: answers Logon, TestRequest and ResendRequest (with a GapFill, as
// the spec says), serves MarketDataRequests with a snapshot (35=W) per symbol, then pushes incremental refreshes
// (35=X). It also misbehaves on demand: sequence gaps, duplicates, resets, resend requests, a skewed clock.
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFix, FixFramer, fixTime, type FixMessage } from '../../feeds/index.js';
import type { Counterpart, WireTick } from './partners.js';

interface Session {
  socket: Socket;
  outSeq: number;
  /** The MsgSeqNum expected from the engine next. */
  inSeq: number;
  loggedOn: boolean;
  /** The MDReqID of the engine's subscription: increments carry it. */
  subscription: string;
  lastRefresh?: { seq: number; ts: number; body: [number, string | number][] };
}

interface SendOptions {
  ts?: number;
  seq?: number;
  /** Mark it as a resend first sent at this time (PossDupFlag=Y, OrigSendingTime). */
  origTs?: number;
}

export class FixAcceptor implements Counterpart {
  sessions = 0;
  /** MarketDataRequests received; 263=0 ones are snapshot requests (a resync). */
  readonly requests: FixMessage[] = [];
  readonly testRequests: string[] = [];
  /** ResendRequests received, as [BeginSeqNo, EndSeqNo]. */
  readonly resendRequests: [string | undefined, string | undefined][] = [];
  readonly logons: { username?: string; password?: string; resetSeqNum?: string }[] = [];
  /** Every message the engine sent, in order. */
  readonly received: FixMessage[] = [];
  /** MsgSeqNums from the engine that were not the expected one, as "expected X, got Y". */
  readonly sequenceErrors: string[] = [];
  /** Added to the SendingTime of everything sent: a partner whose clock is off. */
  skewMs = 0;
  #server: Server = createServer();
  #port = 0;
  #hung = false;
  readonly #live = new Set<Session>();
  readonly #raw = new Set<Socket>();
  /** symbol -> latest bid/ask pushed, served as the snapshot */
  readonly #book = new Map<string, { bid: string; ask: string; ts: number }>();

  static async start(): Promise<FixAcceptor> {
    const a = new FixAcceptor();
    await a.#listen(0);
    return a;
  }

  ready(): boolean {
    return this.requests.filter((m) => m.get(263) === '1').length >= this.sessions;
  }

  get snapshotRequests(): number {
    return this.requests.filter((m) => m.get(263) === '0').length;
  }

  /** The messages of one type the engine sent. */
  got(type: string): FixMessage[] {
    return this.received.filter((m) => m.type === type);
  }

  async #listen(port: number): Promise<void> {
    this.#server = createServer((socket) => this.#accept(socket));
    this.#port = await new Promise<number>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port));
    });
  }

  #accept(socket: Socket): void {
    this.#raw.add(socket);
    socket.on('close', () => this.#raw.delete(socket));
    socket.on('error', () => {});
    if (this.#hung) {
      socket.pause();
      return;
    }
    const s: Session = { socket, outSeq: 1, inSeq: 1, loggedOn: false, subscription: '' };
    const framer = new FixFramer();
    socket.on('data', (chunk) => {
      for (const m of framer.push(chunk)) if (!(m instanceof Error)) this.#handle(s, m);
    });
    socket.on('close', () => this.#live.delete(s));
  }

  #send(s: Session, type: string, body: [number, string | number][], o: SendOptions = {}): void {
    if (s.socket.destroyed) return;
    const seq = o.seq ?? s.outSeq++;
    const sendingTime = fixTime((o.origTs === undefined ? (o.ts ?? Date.now()) : Date.now()) + this.skewMs);
    const resend: [number, string][] = o.origTs === undefined ? [] : [[43, 'Y'], [122, fixTime(o.origTs + this.skewMs)]];
    s.socket.write(encodeFix('FIX.4.4', [[35, type], [49, 'PARTNER'], [56, 'FXENGINE'], [34, seq], [52, sendingTime], ...resend, ...body]), 'latin1');
  }

  /** Tracks the engine's numbering as a real acceptor would: a GapFill moves it, anything else must be the next. */
  #sequence(s: Session, m: FixMessage): void {
    const seq = Number(m.get(34));
    if (m.type === 'A' && m.get(141) === 'Y') s.inSeq = 1;
    if (seq < s.inSeq && m.get(43) === 'Y') return;
    if (seq !== s.inSeq) this.sequenceErrors.push(`${m.type}: expected ${s.inSeq}, got ${seq}`);
    s.inSeq = m.type === '4' && m.get(123) === 'Y' ? Number(m.get(36)) : seq + 1;
  }

  #handle(s: Session, m: FixMessage): void {
    this.received.push(m);
    this.#sequence(s, m);
    switch (m.type) {
      case 'A':
        this.logons.push({ username: m.get(553), password: m.get(554), resetSeqNum: m.get(141) });
        this.sessions++;
        s.loggedOn = true;
        this.#live.add(s);
        return this.#send(s, 'A', [[98, 0], [108, m.get(108) ?? '30'], [141, 'Y']]);
      case '1':
        this.testRequests.push(m.get(112) ?? '');
        return this.#send(s, '0', [[112, m.get(112) ?? '']]);
      case '2':
        // Nothing worth resending: one GapFill, under the first number asked for, to our next number.
        this.resendRequests.push([m.get(7), m.get(16)]);
        return this.#send(s, '4', [[123, 'Y'], [36, s.outSeq]], { seq: Number(m.get(7)), origTs: Date.now() });
      case '5':
        this.#send(s, '5', []);
        s.socket.end();
        return;
      case 'V':
        this.requests.push(m);
        if (m.get(263) === '1') s.subscription = m.get(262) ?? '';
        for (const [tag, sym] of m.fields) {
          if (tag !== 55) continue;
          const b = this.#book.get(sym);
          if (b) this.#send(s, 'W', [[262, m.get(262) ?? ''], [55, sym], [268, 2], [269, 0], [270, b.bid], [269, 1], [270, b.ask]], { ts: b.ts });
        }
    }
  }

  spec() {
    return { type: 'fix44', host: '127.0.0.1', port: this.#port, senderCompId: 'FXENGINE', targetCompId: 'PARTNER', heartBtIntSec: 30, username: 'fx', password: '${secret}' };
  }

  async send(ticks: WireTick[]): Promise<void> {
    for (const t of ticks) {
      this.#book.set(t.pair, { bid: t.bid, ask: t.ask, ts: t.ts });
      for (const s of this.#live) {
        const body: [number, string | number][] = [[262, s.subscription], [268, 2],
          [279, 1], [269, 0], [55, t.pair], [270, t.bid], [83, t.seq],
          [279, 1], [269, 1], [55, t.pair], [270, t.ask], [83, t.seq]];
        s.lastRefresh = { seq: s.outSeq, ts: t.ts, body };
        this.#send(s, 'X', body, { ts: t.ts });
      }
    }
  }

  /** A refresh at our next number marked as a resend of one first sent at `firstSentMs` (PossDupFlag=Y). */
  sendAsResend(t: WireTick, firstSentMs: number): void {
    for (const s of this.#live)
      this.#send(s, 'X', [[262, s.subscription], [268, 2], [279, 1], [269, 0], [55, t.pair], [270, t.bid], [83, t.seq],
        [279, 1], [269, 1], [55, t.pair], [270, t.ask], [83, t.seq]], { origTs: firstSentMs });
  }

  /** A message with exactly these fields after BodyLength, under our next number (`n` marks where it goes). */
  sendFields(fields: (s: { n: number }) => [number, string | number][]): void {
    for (const s of this.#live) s.socket.write(encodeFix('FIX.4.4', fields({ n: s.outSeq++ })), 'latin1');
  }

  /** Loses `n` outbound messages: the next one carries a MsgSeqNum `n` too high. */
  skipSeq(n: number): void {
    for (const s of this.#live) s.outSeq += n;
  }

  /** Sends the last refresh again under its old MsgSeqNum: as a marked resend (PossDupFlag=Y), or plainly (a bug). */
  duplicate(possDup: boolean): void {
    for (const s of this.#live) {
      const r = s.lastRefresh;
      if (r) this.#send(s, 'X', r.body, possDup ? { seq: r.seq, origTs: r.ts } : { seq: r.seq, ts: r.ts });
    }
  }

  /** Asks the engine to resend from `begin` (EndSeqNo 0: everything since), as if those never arrived. */
  requestResend(begin: number, end = 0): void {
    for (const s of this.#live) {
      s.inSeq = begin;
      this.#send(s, '2', [[7, begin], [16, end]]);
    }
  }

  /** SequenceReset-Reset: from now on our numbers start at `newSeqNo`. */
  resetSeq(newSeqNo: number): void {
    for (const s of this.#live) {
      this.#send(s, '4', [[36, newSeqNo]]);
      s.outSeq = newSeqNo;
    }
  }

  /** SequenceReset-GapFill at our next number, over `n` numbers we will not use. */
  gapFill(n: number): void {
    for (const s of this.#live) {
      this.#send(s, '4', [[123, 'Y'], [36, s.outSeq + n + 1]], { seq: s.outSeq });
      s.outSeq += n + 1;
    }
  }

  /** Ends every session with a Logout. */
  logout(text: string): void {
    for (const s of this.#live) this.#send(s, '5', [[58, text]]);
  }

  async sendGarbage(): Promise<void> {
    for (const s of this.#live) s.socket.write('8=FIX.4.4\x019=12\x0135=X\x01garbage\x0110=000\x01');
  }

  async kill(): Promise<void> {
    for (const s of this.#raw) s.destroy();
    await new Promise((r) => this.#server.close(r));
  }

  /** Comes back as a restarted process: no prices to snapshot until ticks are sent. */
  revive(): Promise<void> {
    this.#book.clear();
    return this.#listen(this.#port);
  }

  hang(): void {
    this.#hung = true;
    for (const s of this.#live) s.socket.pause();
    this.#live.clear();
  }

  unhang(): void {
    this.#hung = false;
  }

  async close(): Promise<void> {
    await this.kill();
  }
}

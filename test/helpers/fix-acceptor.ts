// A small FIX 4.4 market-data acceptor for tests: answers Logon, TestRequest and ResendRequest, serves
// MarketDataRequests with a snapshot (35=W) per symbol, then pushes incremental refreshes (35=X).
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFix, FixFramer, fixTime, type FixMessage } from '../../feeds/index.js';
import type { Counterpart, WireTick } from './partners.js';

interface Session {
  socket: Socket;
  outSeq: number;
  loggedOn: boolean;
}

export class FixAcceptor implements Counterpart {
  sessions = 0;
  /** MarketDataRequests received; 263=0 ones are snapshot requests (a resync). */
  readonly requests: FixMessage[] = [];
  readonly testRequests: string[] = [];
  /** ResendRequests received, as [BeginSeqNo, EndSeqNo]. */
  readonly resendRequests: [string | undefined, string | undefined][] = [];
  readonly logons: { username?: string; password?: string; resetSeqNum?: string }[] = [];
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
    const s: Session = { socket, outSeq: 1, loggedOn: false };
    const framer = new FixFramer();
    socket.on('data', (chunk) => {
      for (const m of framer.push(chunk)) if (!(m instanceof Error)) this.#handle(s, m);
    });
    socket.on('close', () => this.#live.delete(s));
  }

  #send(s: Session, type: string, body: [number, string | number][], ts = Date.now()): void {
    if (!s.socket.destroyed) s.socket.write(encodeFix('FIX.4.4', [[35, type], [49, 'PARTNER'], [56, 'FXENGINE'], [34, s.outSeq++], [52, fixTime(ts)], ...body]), 'latin1');
  }

  #handle(s: Session, m: FixMessage): void {
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
        this.resendRequests.push([m.get(7), m.get(16)]);
        return this.#send(s, '4', [[123, 'Y'], [36, s.outSeq + 1]]);
      case '5':
        this.#send(s, '5', []);
        s.socket.end();
        return;
      case 'V':
        this.requests.push(m);
        for (const [tag, sym] of m.fields) {
          if (tag !== 55) continue;
          const b = this.#book.get(sym);
          if (b) this.#send(s, 'W', [[262, m.get(262) ?? ''], [55, sym], [268, 2], [269, 0], [270, b.bid], [269, 1], [270, b.ask]], b.ts);
        }
    }
  }

  spec() {
    return { type: 'fix44', host: '127.0.0.1', port: this.#port, senderCompId: 'FXENGINE', targetCompId: 'PARTNER', heartBtIntSec: 30, username: 'fx', password: '${secret}' };
  }

  async send(ticks: WireTick[]): Promise<void> {
    for (const t of ticks) {
      this.#book.set(t.pair, { bid: t.bid, ask: t.ask, ts: t.ts });
      for (const s of this.#live)
        this.#send(s, 'X', [[262, 'md'], [268, 2],
          [279, 1], [269, 0], [55, t.pair], [270, t.bid], [83, t.seq],
          [279, 1], [269, 1], [55, t.pair], [270, t.ask], [83, t.seq]], t.ts);
    }
  }

  /** Loses `n` outbound messages: the next one carries a MsgSeqNum `n` too high. */
  skipSeq(n: number): void {
    for (const s of this.#live) s.outSeq += n;
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

// Real partner counterparts on loopback for feed tests: a WebSocket server, an HTTP rates endpoint and a
// recording file. Each can send ticks, send garbage, die and come back, or hang (keep the connection, answer
// nothing). The FIX acceptor is in fix-acceptor.ts.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CSV_HEADER, encodeTick, type TickFormat } from '../../feeds/index.js';

export interface WireTick {
  pair: string;
  /** Decimal text, written to the wire as a JSON number literal (so the adapter must not round it). */
  bid: string;
  ask: string;
  ts: number;
  seq: number;
}

export interface Counterpart {
  /** The feed config (without the common timing options) that points an adapter here. */
  spec(): Record<string, unknown>;
  /** Sessions the counterpart has accepted (connections, logons or file opens). */
  readonly sessions: number;
  /** Every session has subscribed (a partner streams only after that). */
  ready(): boolean;
  send(ticks: WireTick[]): Promise<void>;
  sendGarbage(): Promise<void>;
  /** Drops every connection and refuses new ones until revive(). */
  kill(): Promise<void>;
  revive(): Promise<void>;
  /** Keeps connections open and accepts new ones, but answers nothing. */
  hang(): void;
  unhang(): void;
  close(): Promise<void>;
}

const symbol = (pair: string) => pair.replace('/', '');
const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });

/** A WebSocket partner: JSON ticks { type, symbol, b, a, t, n } with numbers as number literals. */
export class WsPartner implements Counterpart {
  sessions = 0;
  readonly subscribes: unknown[] = [];
  /** Accept every connection, then drop it at once (a flapping partner). */
  dropOnConnect = false;
  /** The headers of the last upgrade request. */
  lastHeaders: IncomingMessage['headers'] | undefined;
  #server = createServer();
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #raw = new Set<Socket>();
  #port = 0;
  #hung = false;

  static async start(): Promise<WsPartner> {
    const p = new WsPartner();
    await p.#listen(0);
    return p;
  }

  async #listen(port: number): Promise<void> {
    this.#server = createServer();
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.#raw.add(socket);
      socket.on('close', () => this.#raw.delete(socket));
      this.lastHeaders = req.headers;
      if (this.#hung) return; // never completes the handshake
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.sessions++;
        if (this.dropOnConnect) return void setTimeout(() => ws.terminate(), 5);
        ws.on('message', (m) => this.subscribes.push(JSON.parse(m.toString())));
      });
    });
    this.#port = await listen(this.#server, port);
  }

  get port(): number {
    return this.#port;
  }

  ready(): boolean {
    return this.subscribes.length >= this.sessions;
  }

  spec() {
    return {
      type: 'ws-json', url: `ws://127.0.0.1:${this.#port}/rates`, subscribe: { op: 'subscribe', symbols: '${pairs}' },
      mapping: { where: { path: 'type', equals: 'tick' }, pair: 'symbol', bid: 'b', ask: 'a', ts: 't', seq: 'n', symbols: { USDINR: 'USD/INR', GBPINR: 'GBP/INR' } },
    };
  }

  #broadcast(text: string): void {
    for (const ws of this.#wss.clients) if (!this.#hung) ws.send(text);
  }

  async send(ticks: WireTick[]): Promise<void> {
    for (const t of ticks) this.#broadcast(`{"type":"tick","symbol":"${symbol(t.pair)}","b":${t.bid},"a":${t.ask},"t":${t.ts},"n":${t.seq}}`);
  }

  /** A heartbeat frame: life, no ticks. */
  async heartbeat(): Promise<void> {
    this.#broadcast('{"type":"heartbeat"}');
  }

  async sendGarbage(): Promise<void> {
    this.#broadcast('{"type":"tick","symbol":"USDINR","b":');
  }

  async kill(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    for (const s of this.#raw) s.destroy();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  revive(): Promise<void> {
    return this.#listen(this.#port);
  }

  hang(): void {
    this.#hung = true;
    // Stop reading: pings go unanswered, as with a partner process that is stuck.
    for (const ws of this.#wss.clients) (ws as WebSocket & { _socket: Socket })._socket.pause();
  }

  unhang(): void {
    this.#hung = false;
  }

  async close(): Promise<void> {
    await this.kill();
    this.#wss.close();
  }
}

/** An HTTP rates endpoint in the pair-list shape, with ETag / If-None-Match. */
export class HttpPartner implements Counterpart {
  sessions = 0;
  requests = 0;
  notModified = 0;
  /** When set, every request is answered with this status and no body. */
  status: number | undefined;
  #server = createServer();
  #port = 0;
  #body = '{"data":[]}';
  #garbageNext = false;
  #hung = false;
  readonly #pending = new Set<ServerResponse>();

  static async start(): Promise<HttpPartner> {
    const p = new HttpPartner();
    await p.#listen(0);
    return p;
  }

  async #listen(port: number): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', () => this.sessions++);
    this.#port = await listen(this.#server, port);
  }

  ready(): boolean {
    return true;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    if (this.#hung) {
      this.#pending.add(res);
      return;
    }
    if (this.status !== undefined) {
      res.writeHead(this.status).end();
      return;
    }
    if (this.#garbageNext) {
      this.#garbageNext = false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
      return;
    }
    const etag = `"${createHash('sha1').update(this.#body).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      this.notModified++;
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(this.#body);
  }

  spec() {
    return {
      type: 'http-poll', url: `http://127.0.0.1:${this.#port}/v1/rates`, intervalMs: 500, requestTimeoutMs: 1_000,
      mapping: { shape: 'pair-list', items: 'data', pair: 'pair', bid: 'bid', ask: 'ask', ts: 'ts', seq: 'seq' },
    };
  }

  /** The next polls answer these ticks (a poll sees only the latest snapshot). */
  async send(ticks: WireTick[]): Promise<void> {
    this.#body = `{"data":[${ticks.map((t) => `{"pair":"${t.pair}","bid":${t.bid},"ask":${t.ask},"ts":${t.ts},"seq":${t.seq}}`).join(',')}]}`;
  }

  /** Any document at all, for the base-rates shape. */
  serve(body: string): void {
    this.#body = body;
  }

  async sendGarbage(): Promise<void> {
    this.#garbageNext = true;
  }

  async kill(): Promise<void> {
    for (const r of this.#pending) r.destroy();
    this.#pending.clear();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  /** Comes back as a restarted process: with nothing to serve until ticks are sent. */
  revive(): Promise<void> {
    this.#body = '{"data":[]}';
    return this.#listen(this.#port);
  }

  hang(): void {
    this.#hung = true;
  }

  unhang(): void {
    this.#hung = false;
  }

  async close(): Promise<void> {
    await this.kill();
  }
}

/** A recording being written, which a replay feed follows; killing it removes the file. */
export class ReplayFile implements Counterpart {
  readonly path: string;
  readonly #dir: string;

  constructor(readonly partner: string, readonly format: TickFormat) {
    this.#dir = mkdtempSync(join(tmpdir(), 'fx-replay-'));
    this.path = join(this.#dir, `ticks.${format}`);
    this.#create();
  }

  #create(): void {
    writeFileSync(this.path, this.format === 'csv' ? CSV_HEADER + '\n' : '');
  }

  ready(): boolean {
    return true;
  }

  /** Replay has no connection: a file open is not counted. */
  get sessions(): number {
    return 0;
  }

  spec() {
    return { type: 'replay', path: this.path, follow: true, followPollMs: 100, timestamps: 'recorded', speed: 1, loop: false };
  }

  async send(ticks: WireTick[]): Promise<void> {
    appendFileSync(this.path, ticks.map((t) => encodeTick({ partner: this.partner, ...t }, this.format) + '\n').join(''));
  }

  async sendGarbage(): Promise<void> {
    appendFileSync(this.path, this.format === 'csv' ? 'lp-x,USD/INR,not,enough\n' : '{"partner":"lp-x","pair":\n');
  }

  async kill(): Promise<void> {
    rmSync(this.path, { force: true });
  }

  async revive(): Promise<void> {
    this.#create();
  }

  hang(): void {
    throw new Error('a file cannot hang');
  }

  unhang(): void {}

  async close(): Promise<void> {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

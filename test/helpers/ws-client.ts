import WebSocket from 'ws';
import { checkServerFrame } from './contract.js';

/** A real WebSocket client that keeps every frame it receives, each checked against docs/asyncapi.yaml. */
export class StreamClient {
  readonly frames: any[] = [];
  /** Frames that did not match the published contract; close() throws the first. */
  readonly contractErrors: Error[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      try {
        checkServerFrame(frame);
      } catch (err) {
        this.contractErrors.push(err as Error);
      }
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const client = new StreamClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  send(msg: unknown): void {
    this.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next frame (already received or future) that matches. */
  next(match: (f: any) => boolean, timeoutMs = 5_000): Promise<any> {
    if (this.contractErrors.length) return Promise.reject(this.contractErrors[0]);
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-3))}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  close(): void {
    this.socket.close();
    if (this.contractErrors.length) throw this.contractErrors[0];
  }
}

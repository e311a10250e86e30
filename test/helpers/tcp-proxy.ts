// A TCP proxy on loopback between a client and the engine, that can fail the way networks do: cut a
// connection just as the server's answer starts (the request was processed, the client never hears),
// hold an answer (the client times out), or go silent both ways without closing (a half-open link).
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; held: boolean }>();
  #cutNext = 0;
  #holdNext = 0;
  /** Answers cut off after the server had begun sending them. */
  cuts = 0;
  /** Answers held back. */
  holds = 0;
  /** Connections accepted. */
  connections = 0;

  private constructor(server: Server, readonly port: number) {
    this.#server = server;
  }

  static start(targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve) => {
      let proxy!: TcpProxy;
      const server = createServer((client) => proxy.#accept(client, targetPort));
      server.listen(0, '127.0.0.1', () => {
        proxy = new TcpProxy(server, (server.address() as { port: number }).port);
        resolve(proxy);
      });
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #accept(client: Socket, targetPort: number): void {
    this.connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, held: false };
    this.#pairs.add(pair);
    const drop = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (pair.held) return;
      if (this.#cutNext > 0) {
        this.#cutNext--;
        this.cuts++;
        return drop();
      }
      if (this.#holdNext > 0) {
        this.#holdNext--;
        this.holds++;
        pair.held = true;
        return;
      }
      client.write(chunk);
    });
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }

  /** The next answer from the server, on whichever connection it comes: the client's connection is dropped. */
  cutNextResponse(): void {
    this.#cutNext++;
  }

  /** The next answer is never forwarded (nor anything after it on that connection); the socket stays open. */
  holdNextResponse(): void {
    this.#holdNext++;
  }

  /** The connections open now go silent both ways, without closing; new ones pass. */
  freeze(): void {
    for (const p of this.#pairs) {
      p.held = true;
      p.client.removeAllListeners('data');
    }
  }

  close(): Promise<void> {
    for (const p of this.#pairs) (p.client.destroy(), p.upstream.destroy());
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

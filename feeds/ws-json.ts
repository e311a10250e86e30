// A partner that streams JSON ticks over a WebSocket. The config's mapping says where each field sits; the
// base owns reconnects, heartbeats (WS ping) and resync (reconnect, which resubscribes).
import WebSocket from 'ws';
import { FeedAdapter, type Connection, type FeedOptions, type Link, type RawTick, type TickSink } from './adapter.js';
import type { FeedClock } from './clock.js';
import { feedError, type FeedError } from './errors.js';
import { parseJsonLossless } from './json-lossless.js';
import { at, ticksOf, type FieldMapping } from './mapping.js';
import { fill, symbolsFor } from './template.js';

export interface WsJsonOptions {
  url: string;
  pairs: string[];
  /** Sent once the socket is open; strings may use ${secret} and "${pairs}". */
  subscribe?: unknown;
  headers?: Record<string, string> | undefined;
  mapping: FieldMapping & {
    /** Path of an array of ticks inside a message; without it a message is one tick. */
    items?: string | undefined;
    /** Only messages whose value at `path` equals `equals` carry ticks; others (heartbeats, acks) only show life. */
    where?: { path: string; equals: string } | undefined;
  };
}

export class WsJsonFeed extends FeedAdapter<string> {
  readonly #pairs: ReadonlySet<string>;
  #socket: WebSocket | undefined;

  constructor(partner: string, readonly opts: WsJsonOptions, sink: TickSink, clock: FeedClock, options: FeedOptions, private readonly secret?: string) {
    super(partner, sink, clock, options);
    this.#pairs = new Set(opts.pairs);
  }

  protected connect(link: Link): Connection {
    const vars = { secret: this.secret, symbols: symbolsFor(this.opts.pairs, this.opts.mapping.symbols) };
    const socket = new WebSocket(this.opts.url, { headers: fill(this.opts.headers ?? {}, vars) as Record<string, string>, handshakeTimeout: this.options.connectTimeoutMs });
    this.#socket = socket;
    socket.on('open', () => {
      if (this.opts.subscribe !== undefined) socket.send(JSON.stringify(fill(this.opts.subscribe, vars)));
      link.up();
    });
    socket.on('message', (data, isBinary) => link.message(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()));
    socket.on('pong', () => link.alive());
    socket.on('unexpected-response', (_req, res) => link.down(feedError('feed_connect_failed', `upgrade refused with HTTP ${res.statusCode}`)));
    socket.on('error', (err) => link.down(feedError(socket.readyState === WebSocket.OPEN ? 'feed_disconnected' : 'feed_connect_failed', err.message)));
    socket.on('close', (code) => link.down(feedError('feed_disconnected', `socket closed (${code})`)));
    return { close: () => socket.terminate() };
  }

  protected override ping(): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.ping();
  }

  protected parse(text: string): (RawTick | FeedError)[] {
    const msg = parseJsonLossless(text);
    const { where, items } = this.opts.mapping;
    if (where && at(msg, where.path) !== where.equals) return [];
    const list = items === undefined ? [msg] : at(msg, items);
    if (!Array.isArray(list)) throw feedError('feed_unmapped', `no array at "${items}"`);
    return ticksOf(list, this.opts.mapping, this.#pairs);
  }
}

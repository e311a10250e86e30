// Replays recorded ticks (NDJSON or CSV, as the recorder writes them) at the recorded pace, faster, or as they
// are appended to a growing file (follow). For tests, demos and benchmarks.
import { open, readFile } from 'node:fs/promises';
import type { PartnerTick } from '../engine/index.js';
import { FeedAdapter, type Connection, type FeedOptions, type Link, type RawTick, type TickSink } from './adapter.js';
import type { FeedClock } from './clock.js';
import { asFeedError, feedError } from './errors.js';
import { decodeTick, formatOf, type TickFormat } from './tick-format.js';

export interface ReplayOptions {
  path: string;
  format?: TickFormat | undefined;
  /** 1 replays at the recorded pace, 10 ten times faster. */
  speed: number;
  /** Start over at the end of the file (sequences keep increasing across passes). */
  loop: boolean;
  /** Keep reading as the file grows; ticks then go out as they are read, without pacing. */
  follow: boolean;
  followPollMs: number;
  /** Recorded partners whose ticks this feed replays (default: the feed's own id). */
  from?: string[] | undefined;
  /** 'replay': a tick carries the time it is replayed at, so old recordings price as fresh; 'recorded': as recorded. */
  timestamps: 'replay' | 'recorded';
}

/** The partners a recording holds, so the composition root can start one replay feed per partner. */
export async function recordedPartners(path: string): Promise<string[]> {
  const format = formatOf(path);
  const partners = new Set<string>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    try {
      const t = decodeTick(line, format);
      if (t) partners.add(t.partner);
    } catch {
      // a bad line is the replay's to count, not ours
    }
  }
  return [...partners];
}

async function readFrom(path: string, offset: number): Promise<{ text: string; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < offset) throw feedError('feed_disconnected', `${path} shrank: it was replaced or truncated`);
    const buf = Buffer.alloc(size - offset);
    if (buf.length) await fh.read(buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), size };
  } finally {
    await fh.close();
  }
}

export class ReplayFeed extends FeedAdapter<PartnerTick> {
  readonly #format: TickFormat;
  readonly #from: ReadonlySet<string>;
  /** pair -> [first, last] recorded seq, to shift the next pass past this one. */
  readonly #span = new Map<string, [number, number]>();
  /** pair -> added to the recorded seq in this pass. */
  readonly #shift = new Map<string, number>();

  constructor(partner: string, readonly opts: ReplayOptions, sink: TickSink, clock: FeedClock, options: FeedOptions) {
    super(partner, sink, clock, options);
    this.#format = opts.format ?? formatOf(opts.path);
    this.#from = new Set(opts.from ?? [partner]);
  }

  protected connect(link: Link): Connection {
    let offset = 0;
    let partial = '';
    let queue: PartnerTick[] = [];
    let prevTs: number | undefined;
    let timer: unknown;
    this.#span.clear();
    this.#shift.clear();
    const later = (ms: number, fn: () => void) => (timer = this.clock.setTimeout(fn, ms));

    const read = async () => {
      let chunk: { text: string; size: number };
      try {
        chunk = await readFrom(this.opts.path, offset);
      } catch (err) {
        return link.down(asFeedError(err, 'feed_connect_failed'));
      }
      if (!link.current) return;
      offset = chunk.size;
      const lines = (partial + chunk.text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const t = decodeTick(line, this.#format);
          if (t && this.#from.has(t.partner)) queue.push(t);
        } catch (err) {
          link.reject(asFeedError(err, 'feed_unparseable'));
        }
      }
      link.up();
      link.alive();
      pump();
    };

    // A long pause in the recording is waited out in slices that each show life, so it is not taken for a hang.
    const wait = (ms: number, then: () => void) => {
      const slice = Math.min(ms, Math.max(1, this.options.heartbeatMs / 2));
      later(slice, () => {
        link.alive();
        if (ms - slice > 0) wait(ms - slice, then);
        else then();
      });
    };

    const pump = () => {
      while (link.current && queue.length) {
        const t = queue[0]!;
        if (!this.opts.follow && prevTs !== undefined && t.ts > prevTs) {
          const delay = (t.ts - prevTs) / this.opts.speed;
          prevTs = t.ts;
          if (delay >= 1) return wait(delay, () => {
            queue.shift();
            link.message(t);
            pump();
          });
        }
        prevTs = t.ts;
        queue.shift();
        link.message(t);
      }
      if (!link.current) return;
      if (this.opts.follow) return later(this.opts.followPollMs, () => void read());
      if (!this.opts.loop) return void Promise.resolve().then(() => this.stop()); // the recording has ended
      for (const [pair, [first, last]] of this.#span) this.#shift.set(pair, (this.#shift.get(pair) ?? 0) + last - first + 1);
      this.#span.clear();
      offset = 0;
      partial = '';
      queue = [];
      void read();
    };

    void read();
    return { close: () => this.clock.clearTimeout(timer) };
  }

  /** A recording cannot be asked again: the gap is counted and the replay goes on. */
  protected override resync(): void {}

  protected parse(t: PartnerTick): RawTick[] {
    const span = this.#span.get(t.pair);
    this.#span.set(t.pair, span ? [span[0], t.seq] : [t.seq, t.seq]);
    const ts = this.opts.timestamps === 'replay' ? this.clock.nowMs() : t.ts;
    return [{ pair: t.pair, bid: t.bid, ask: t.ask, ts, seq: t.seq + (this.#shift.get(t.pair) ?? 0) }];
  }
}

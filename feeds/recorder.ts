// Records what any adapter forwards, in the format replay reads. Writes go through a buffered stream, so the
// tick path only appends to a buffer; bad ticks are recorded too, so a replay reproduces the partner.
import { createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import type { TickSink } from './adapter.js';
import { CSV_HEADER, encodeTick, formatOf, type TickFormat } from './tick-format.js';

export class TickRecorder {
  readonly #out: WriteStream;
  readonly #format: TickFormat;

  constructor(readonly path: string, format: TickFormat = formatOf(path)) {
    this.#format = format;
    const fresh = !existsSync(path) || statSync(path).size === 0;
    this.#out = createWriteStream(path, { flags: 'a' });
    if (fresh && format === 'csv') this.#out.write(CSV_HEADER + '\n');
  }

  /** A sink that records each tick, then hands it on and answers what the next sink answers. */
  wrap(next: TickSink): TickSink {
    return (tick) => {
      this.#out.write(encodeTick(tick, this.#format) + '\n');
      return next(tick);
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#out.end(resolve));
  }
}

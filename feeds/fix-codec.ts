// FIX tag=value framing: encode with BodyLength (9) and CheckSum (10), and cut a byte stream into checked
// messages. Pure: no sockets, no session state.

export const SOH = '\x01';

/** One decoded message: its fields in wire order (repeating groups stay flat, in order). */
export interface FixMessage {
  type: string;
  fields: [number, string][];
  get(tag: number): string | undefined;
}

export function fixMessage(fields: [number, string][]): FixMessage {
  return {
    type: fields.find(([t]) => t === 35)?.[1] ?? '',
    fields,
    get: (tag) => fields.find(([t]) => t === tag)?.[1],
  };
}

const checksum = (s: string): string => {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return String(sum % 256).padStart(3, '0');
};

/** "8=FIX.4.4|9=..|<fields>|10=..|" for the fields after BodyLength (35 first). Values are ASCII. */
export function encodeFix(beginString: string, fields: [number, string | number][]): string {
  const body = fields.map(([t, v]) => `${t}=${v}${SOH}`).join('');
  const head = `8=${beginString}${SOH}9=${body.length}${SOH}`;
  return `${head}${body}10=${checksum(head + body)}${SOH}`;
}

/** FIX UTCTimestamp (YYYYMMDD-HH:MM:SS.sss) from epoch ms, and back (undefined when malformed). */
export const fixTime = (ms: number): string => new Date(ms).toISOString().replace(/[-]/g, '').replace('T', '-').slice(0, 21);
export function parseFixTime(s: string | undefined): number | undefined {
  const m = s && /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Cuts a byte stream into messages. A frame with a bad BodyLength or CheckSum comes out as an Error (the
 * session counts it) and the framer resynchronises on the next "8=FIX"; it never throws.
 */
export class FixFramer {
  #buf = '';

  push(chunk: Buffer | string): (FixMessage | Error)[] {
    this.#buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: (FixMessage | Error)[] = [];
    for (;;) {
      const start = this.#buf.indexOf('8=FIX');
      if (start < 0) {
        if (this.#buf.length > 5) out.push(new Error(`garbage before a FIX header: ${JSON.stringify(this.#buf.slice(0, 40))}`));
        this.#buf = this.#buf.slice(-5); // keep a possible split "8=FI"
        return out;
      }
      if (start > 0) {
        out.push(new Error(`garbage before a FIX header: ${JSON.stringify(this.#buf.slice(0, Math.min(start, 40)))}`));
        this.#buf = this.#buf.slice(start);
      }
      const m = /^8=[^\x01]*\x019=(\d{1,6})\x01/.exec(this.#buf);
      if (!m) {
        if (this.#buf.length < 32 && !/\x019=[^\d]/.test(this.#buf)) return out; // header not complete yet
        out.push(new Error('a FIX header without a numeric BodyLength'));
        this.#buf = this.#buf.slice(1);
        continue;
      }
      const bodyEnd = m[0].length + Number(m[1]);
      if (this.#buf.length < bodyEnd + 7) return out; // wait for the rest
      const trailer = this.#buf.slice(bodyEnd, bodyEnd + 7);
      const frame = this.#buf.slice(0, bodyEnd);
      if (!/^10=\d{3}\x01$/.test(trailer) || trailer.slice(3, 6) !== checksum(frame)) {
        out.push(new Error(`bad BodyLength or CheckSum (${JSON.stringify(trailer)})`));
        this.#buf = this.#buf.slice(1);
        continue;
      }
      this.#buf = this.#buf.slice(bodyEnd + 7);
      const fields: [number, string][] = [];
      for (const f of frame.slice(0, -1).split(SOH)) {
        const eq = f.indexOf('=');
        fields.push([Number(f.slice(0, eq)), f.slice(eq + 1)]);
      }
      out.push(fixMessage(fields.slice(2))); // without 8 and 9
    }
  }
}

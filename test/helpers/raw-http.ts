import { connect } from 'node:net';

/** Writes raw bytes (each string a separate write, `gapMs` apart) and collects what comes back until close or `waitMs`. */
export function raw(port: number, writes: (string | Buffer)[], opts: { waitMs?: number; gapMs?: number } = {}): Promise<{ text: string; closed: boolean; responses: RawResponse[] }> {
  const waitMs = opts.waitMs ?? 1_000;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, responses: parseResponses(text) });
    };
    socket.on('close', () => ((closed = true), finish()));
    const timer = setTimeout(finish, waitMs);
    socket.once('connect', async () => {
      for (const w of writes) {
        socket.write(w);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits HTTP/1.1 responses by their Content-Length (a response without one has no body here: HEAD, 204). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [line, ...lines] = text.slice(at, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(line!.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

/** A JSON POST as raw HTTP/1.1 bytes, with a bearer key. */
export const rawPost = (key: string, path: string, body: string, headers: Record<string, string> = {}) =>
  `POST ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
  + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `\r\n${body}`;

/** A GET as raw HTTP/1.1 bytes, with a bearer key and any extra header lines. */
export const rawGet = (key: string, path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${key}\r\n${extra}\r\n`;

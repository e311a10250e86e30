// One load process of the stream bench: holds N WebSocket subscribers and measures publish-to-receive from
// each frame's `ts` (epoch µs, same machine clock, read through the engine's true clock: the wall clock to a
// few µs). Reads commands on stdin (measure, report, exit) and answers `report` with one JSON line: frames
// counted, frames received before their own `ts` (a clock error on one side), and the latency histogram as
// [bucket, count] pairs (10 µs buckets), so the parent merges the processes' histograms exactly.
// Run as: node dist/bench/stream-clients.js <url> <count> <corridors,comma,separated>
import WebSocket from 'ws';
import { systemClock } from '../engine/index.js';

const [url, countArg, corridorsArg] = process.argv.slice(2);
const count = Number(countArg);
const corridors = (corridorsArg ?? 'USD-INR').split(',');
const nowUs = () => systemClock.nowUs();

// Latency histogram in 10 µs buckets up to 1 s (plus overflow): cheap per frame, exact enough for p99.9.
const BUCKET_US = 10;
const buckets = new Uint32Array(100_001);
let frames = 0;
/** Frames whose receipt time is before their `ts`. */
let early = 0;
let measuring = false;
let closedEarly = 0;
const sockets: WebSocket[] = [];

const QUOTE = Buffer.from('{"type":"quote"');
const TS = Buffer.from('"ts":');

// Reads the frame's bytes in place (no string, no regex): on one shared core, every µs per frame spent here is
// latency added to the frames behind it.
function onMessage(data: Buffer): void {
  if (!measuring || data.compare(QUOTE, 0, QUOTE.length, 0, QUOTE.length) !== 0) return;
  let i = data.indexOf(TS) + TS.length;
  let ts = 0;
  for (let c = data[i]!; c >= 0x30 && c <= 0x39; c = data[++i]!) ts = ts * 10 + (c - 0x30);
  const lat = nowUs() - ts;
  if (lat < 0) early++;
  buckets[Math.min(buckets.length - 1, Math.max(0, Math.floor(lat / BUCKET_US)))]!++;
  frames++;
}

async function open(i: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url!, { headers: { authorization: 'Bearer demo-client-key' }, perMessageDeflate: false, skipUTF8Validation: true });
    ws.on('message', (data) => onMessage(data as Buffer));
    ws.once('open', () => {
      ws.send(JSON.stringify({ op: 'subscribe', corridors: [corridors[i % corridors.length]] }));
      resolve();
    });
    ws.once('error', reject);
    ws.on('close', () => measuring && closedEarly++);
    sockets.push(ws);
  });
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (cmd: string) => {
  if (cmd.includes('measure')) {
    buckets.fill(0);
    frames = 0;
    early = 0;
    measuring = true;
  }
  if (cmd.includes('report')) {
    measuring = false;
    const histogram: [number, number][] = [];
    buckets.forEach((count, i) => count && histogram.push([i, count]));
    const r = { frames, early, bucketUs: BUCKET_US, histogram, closedEarly };
    process.stdout.write(JSON.stringify(r) + '\n');
  }
  if (cmd.includes('exit')) {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});

// Open in batches so the server's accept queue is not flooded.
for (let i = 0; i < count; i += 200) await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, j) => open(i + j)));
process.stdout.write(JSON.stringify({ ready: sockets.length }) + '\n');

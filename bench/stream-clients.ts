// One load process of the stream bench: holds N WebSocket subscribers and measures publish-to-receive from
// each frame's `ts` (epoch µs, same machine clock). Reports one JSON line on stdout when told to stop.
// Run as: node dist/bench/stream-clients.js <url> <count> <corridors,comma,separated>
import WebSocket from 'ws';

const [url, countArg, corridorsArg] = process.argv.slice(2);
const count = Number(countArg);
const corridors = (corridorsArg ?? 'USD-INR').split(',');
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

// Latency histogram in 10 µs buckets up to 100 ms (plus overflow): cheap per frame, exact enough for p99.9.
const BUCKET_US = 10;
const buckets = new Uint32Array(10_001);
let frames = 0;
let measuring = false;
let closedEarly = 0;
const sockets: WebSocket[] = [];

function onMessage(data: WebSocket.RawData): void {
  if (!measuring) return;
  const text = data.toString();
  if (!text.startsWith('{"type":"quote"')) return;
  const ts = Number(/"ts":(\d+)/.exec(text)?.[1]);
  const lat = nowUs() - ts;
  buckets[Math.min(buckets.length - 1, Math.max(0, Math.floor(lat / BUCKET_US)))]!++;
  frames++;
}

function percentile(p: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= total * p) return (i + 0.5) * BUCKET_US;
  }
  return NaN;
}

async function open(i: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url!, { headers: { authorization: 'Bearer demo-client-key' }, perMessageDeflate: false });
    ws.on('message', onMessage);
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
    measuring = true;
  }
  if (cmd.includes('report')) {
    measuring = false;
    const r = { frames, p50Us: percentile(0.5), p99Us: percentile(0.99), p999Us: percentile(0.999), closedEarly };
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

// The bare uWS server of the limit rows: the least a uWebSockets.js server can do on this machine, to show how
// close the engine comes to it. No config, no auth, no JSON parsing, no metrics library.
//
//   GET /hello     200 "hello"                                   (HTTP floor, autocannon like the other servers)
//   WS  /echo      sends every message back as is                (WS round-trip floor)
//   WS  /fanout    a socket that sends anything joins one topic; the server publishes a quote-shaped frame,
//                  stamped with `ts` (epoch µs) as the engine does, FANOUT_PER_SEC times a second (fan-out floor)
//   GET /readyz    200, for the bench runner
//   GET /metrics   frames published, CPU time and RSS
//
// Run as the engine is: PORT, HOST; plus FANOUT_PER_SEC (default 10).
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

const uws: typeof UWS = createRequire(import.meta.url)('uWebSockets.js');
if (!String(uws.App).includes('[native code]')) throw new Error('uWebSockets.js loaded its pure-JS fallback, not the native binding');

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const fanoutPerSec = Number(process.env.FANOUT_PER_SEC ?? 10);
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

let published = 0;
// Named as the engine's and the peer's /metrics name them (prom-client), so the stream bench reads all three alike.
const metrics = () => {
  const cpu = process.cpuUsage();
  return [
    `fx_ws_frames_published_total ${published}`,
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`, '',
  ].join('\n');
};

const app = uws.App()
  .get('/hello', (res) => void res.end('hello'))
  .get('/readyz', (res) => void res.end('{"status":"ready"}'))
  .get('/metrics', (res) => void res.end(metrics()))
  .ws('/echo', { message: (ws, message, isBinary) => void ws.send(message, isBinary) })
  .ws('/fanout', { message: (ws) => void ws.subscribe('quotes'), maxBackpressure: 512 * 1024 });

let seq = 0;
const publisher = setInterval(() => {
  if (app.numSubscribers('quotes') === 0) return;
  const ts = nowUs();
  app.publish('quotes', `{"type":"quote","corridor":"USD-INR","rate":"83.9543","mid":"84.49493","spreadBps":"60","tier":0,"tradeable":true,"seq":${++seq},"ts":${ts},"tickTs":${ts},"configVersion":"c_39c171c7"}`);
  published++;
}, 1000 / fanoutPerSec);

app.listen(host, port, (socket) => {
  if (!socket) throw new Error(`cannot listen on ${host}:${port}`);
  console.log(`limit server listening on http://${host}:${uws.us_socket_local_port(socket)}`);
  const stop = () => {
    clearInterval(publisher);
    uws.us_listen_socket_close(socket);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});

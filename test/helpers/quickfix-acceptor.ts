// QuickFIX, the reference FIX engine, as a market-data acceptor for interop tests: quickfix/md-acceptor.cpp is
// built here with g++ against Debian's libquickfix-dev (cached by source hash, so reruns start at once), run on a
// free loopback port and driven over stdin. Missing g++ or QuickFIX is an error, never a skip: .ci/run installs both.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FixFramer, SOH, type FixMessage } from '../../feeds/index.js';

const SOURCE = fileURLToPath(new URL('./quickfix/md-acceptor.cpp', import.meta.url));
const DICTIONARY = fileURLToPath(new URL('./quickfix/FIX44-md.xml', import.meta.url));
// QuickFIX 1.15's headers use dynamic exception specifications, gone in C++17.
const FLAGS = ['-std=c++14', '-Wno-deprecated', '-O1'];

/** The acceptor's binary, built once per source version. */
export function buildQuickFixAcceptor(): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).update(FLAGS.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'fx-quickfix');
  const bin = join(dir, `md-acceptor-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`; // renamed into place: a parallel build never runs a half-written file
  const r = spawnSync('g++', [...FLAGS, SOURCE, '-o', tmp, '-lquickfix', '-lpthread'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`cannot build the QuickFIX acceptor: these tests need g++ and QuickFIX (apt-get install -y g++ libquickfix-dev): ${r.error?.message ?? r.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const decode = (raw: string): FixMessage => new FixFramer().push(raw.replaceAll('|', SOH))[0] as FixMessage;

export class QuickFixAcceptor {
  /** Every line the acceptor printed. */
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #exited: Promise<unknown>;
  readonly #killOnExit = () => this.child.kill('SIGKILL');

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.#exited = new Promise((r) => child.once('exit', r));
    child.on('error', (err) => this.lines.push(`error start: ${err.message}`));
    process.once('exit', this.#killOnExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const w of this.#waiters) w();
    });
    // Its stdin is a pipe from this process: if the test runner dies, the acceptor reads end of file and exits.
  }

  static async start(): Promise<QuickFixAcceptor> {
    const bin = buildQuickFixAcceptor();
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(bin, ['--port', String(port), '--dict', DICTIONARY], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const a = new QuickFixAcceptor(child, port);
      const started = await a.#until((l) => l === 'ready' || l.startsWith('error start:'), 10_000).catch((err) => `error ${err.message}`);
      if (started === 'ready') return a;
      await a.close();
      // Another process may have taken the free port in between: try another, then give up loudly.
      if (attempt === 3) throw new Error(`QuickFIX acceptor did not start: ${started} ${stderr}`);
    }
  }

  /** Resolves with the first line (already printed or to come) that matches. */
  #until(match: (line: string) => boolean, timeoutMs = 5_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(from).find(match);
        if (hit === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      const timer = setTimeout(() => (this.#waiters.delete(check), reject(new Error(`no line matched within ${timeoutMs} ms; last: ${this.lines.slice(-5).join(' / ')}`))), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Runs one stdin command (see md-acceptor.cpp) and waits for its "ok". */
  async command(cmd: string): Promise<void> {
    const from = this.lines.length;
    const name = cmd.split(' ')[0]!;
    this.child.stdin!.write(`${cmd}\n`);
    const reply = await this.#until((l) => l === `ok ${name}` || l.startsWith(`error ${name}:`), 5_000, from);
    if (reply.startsWith('error')) throw new Error(`QuickFIX acceptor: ${reply}`);
  }

  /** Messages QuickFIX received from the engine ("in") or sent to it ("out"), in order. */
  messages(direction: 'in' | 'out', type?: string): FixMessage[] {
    return this.lines.filter((l) => l.startsWith(`${direction} `)).map((l) => decode(l.slice(direction.length + 1))).filter((m) => !type || m.type === type);
  }

  /** QuickFIX's session events ("MsgSeqNum too high, expecting 4 but received 6", "logon", ...). */
  events(): string[] {
    return this.lines.filter((l) => l.startsWith('event ')).map((l) => l.slice(6));
  }

  spec() {
    return { type: 'fix44', host: '127.0.0.1', port: this.port, senderCompId: 'FXENGINE', targetCompId: 'PARTNER', heartBtIntSec: 30, username: 'fx', password: '${secret}' };
  }

  async close(): Promise<void> {
    process.off('exit', this.#killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end('quit\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}

// The fx CLI as a user runs it: the compiled CLI started through its bin shim as a child process, against
// the real server; tables and JSON, and the exit codes (0 done, 1 refused, 2 usage, 3 no answer).
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT, startServer, TRANSFER, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the fx CLI', () => {
  let server: TestServer;
  let build: string;
  let fxBin: string;

  beforeAll(async () => {
    // Compiled as `npm run build` compiles it (only the CLI and the SDK), into a folder of its own inside the repo (so node_modules resolve),
    // with the launcher beside it and no source: as in the Docker image, it runs the compiled CLI.
    build = mkdtempSync(join(ROOT, 'node_modules', '.fx-cli-test-'));
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'sdk/cli/tsconfig.json'), '--outDir', join(build, 'dist')]);
    mkdirSync(join(build, 'bin'));
    fxBin = join(build, 'bin', 'fx.js');
    copyFileSync(join(ROOT, 'bin/fx.js'), fxBin);
    server = await startServer({ store: 'memory', edit: (c) => (c.synthetic.ticksPerSecond = 20) });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    if (build) rmSync(build, { recursive: true, force: true });
  });

  /** Runs fx with FX_URL and FX_API_KEY set; stdout is a pipe (not a terminal) unless run under `script`. */
  const fx = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [fxBin, ...args], { env: { ...process.env, FX_URL: server.base, FX_API_KEY: CLIENT, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  it('lists corridors as JSON when piped, and as a table with --table', async () => {
    const piped = await fx(['corridors']);
    expect(piped.code).toBe(0);
    const json = JSON.parse(piped.stdout);
    expect(json.corridors.find((c: any) => c.id === 'GBP-INR')).toMatchObject({ fee: '1.50', minAmount: '10.00' });
    const table = await fx(['corridors', '--table']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^CORRIDOR\s+TRADEABLE\s+RATE\s+MID\s+MIN\s+MAX\s+FEE\s+TTL/);
    expect(table.stdout).toMatch(/^KWD-INR\s+(yes|no)\s+\S+\s+\S+\s+5\.000\s+15000\.000\s+0\.000\s+30s/m);
  });

  it('quotes, locks, reads and redeems, taking the id from the lock as a script would', async () => {
    const quote = await fx(['quote', 'USD-INR', '--receive', '10000', '--table']);
    expect(quote.code).toBe(0);
    expect(quote.stdout).toMatch(/^receive:\s+10000\.00 INR$/m);
    expect(quote.stdout).toMatch(/^note:\s+indicative/m);

    const lock = await fx(['lock', 'USD-INR', '--send', '1000', '--json', '--idempotency-key', `cli-${Date.now()}`]);
    expect(lock.code).toBe(0);
    const q = JSON.parse(lock.stdout);
    expect(q).toMatchObject({ status: 'locked', sendAmount: '1000.00' });

    const get = await fx(['get', q.id, '--table']);
    expect(get.stdout).toMatch(new RegExp(`^id:\\s+${q.id}$`, 'm'));
    expect(get.stdout).toMatch(/^status:\s+locked$/m);
    expect(get.stdout).toMatch(/^expires:\s+\S+ \(in \d+ s\)$/m);

    const redeem = await fx(['redeem', q.id, '--send', '1000', '--idempotency-key', 'cli-t1'], { FX_API_KEY: TRANSFER });
    expect(redeem.code).toBe(0);
    expect(JSON.parse(redeem.stdout)).toMatchObject({ id: q.id, status: 'redeemed' });
    const replay = await fx(['redeem', q.id, '--send', '1000', '--idempotency-key', 'cli-t1', '--key', TRANSFER]);
    expect(replay).toMatchObject({ code: 0, stdout: redeem.stdout });

    // Refused: exit 1 and the code on stderr (text at a terminal or with --table, JSON otherwise).
    const again = await fx(['redeem', q.id, '--send', '1000', '--idempotency-key', 'cli-t2', '--key', TRANSFER, '--table']);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toMatch(/^fx: quote_already_redeemed: /);
    const againJson = await fx(['redeem', q.id, '--send', '1000', '--idempotency-key', 'cli-t2', '--key', TRANSFER]);
    expect(againJson.code).toBe(1);
    expect(JSON.parse(againJson.stderr)).toMatchObject({ error: { code: 'quote_already_redeemed', status: 409 } });
    expect(await fx(['quote', 'USD-INR', '--send', '1.001'])).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid_amount') });
    expect(await fx(['corridors', '--key', 'wrong'])).toMatchObject({ code: 1, stderr: expect.stringContaining('unauthorized') });
  });

  it('exits 2 on a usage error and 3 when the server cannot be reached', async () => {
    for (const args of [['lock', 'USD-INR'], ['lock', 'USD-INR', '--send', '1', '--receive', '2'], ['redeem', 'q_x', '--send', '1'], ['nope'], ['quote']]) {
      const r = await fx(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    expect((await fx(['corridors'], { FX_API_KEY: '' })).stderr).toMatch(/no API key/);
    const down = await fx(['corridors', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stderr).error.code).toBe('network_error');
    const help = await fx(['--help']);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toMatch(/subscribe \[options\] <corridor\.\.\.>/);
  });

  it('subscribes: NDJSON when piped, stopping after --count fresh quotes', async () => {
    const r = await fx(['subscribe', 'USD-INR', 'GBP-INR', '--amount', '5000', '--count', '3']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatchObject({ type: 'quote', tier: 1, stale: false, corridor: expect.stringMatching(/^(USD|GBP)-INR$/) });
    expect(await fx(['subscribe', 'XXX-YYY', '--count', '1'])).toMatchObject({ code: 1, stderr: expect.stringContaining('corridor_not_found') });
  });

  it('subscribes at a terminal: a board redrawn in place', async () => {
    // `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const cmd = [process.execPath, fxBin, 'subscribe', 'USD-INR', 'GBP-INR', '--count', '4'].map((a) => `'${a}'`).join(' ');
    const { stdout } = await run('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, FX_URL: server.base, FX_API_KEY: CLIENT } });
    const boards = stdout.split('\x1b[4F\x1b[J'); // cursor up over the 4 lines of the board, then clear below
    expect(boards.length).toBeGreaterThan(3);
    const last = boards.at(-1)!;
    expect(last).toMatch(/^CORRIDOR\s+RATE\s+MID\s+SPREAD\s+TIER\s+STATUS/);
    expect(last).toMatch(/USD-INR\s+\d+\.\d+\s+\d+\.\d+\s+\d+ bps\s+0\s+live/);
    expect(last).toMatch(/stream: open/);
  });
});

describe('npx fx', () => {
  it('runs the package\'s own bin from the repo after npm ci (the source, through tsx)', async () => {
    const { stdout } = await run('npx', ['--no-install', 'fx', '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^Usage: fx \[options\] \[command\]/);
  }, 60_000);
});

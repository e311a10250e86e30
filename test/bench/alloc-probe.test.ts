// The allocation probe the lock bench loads into every server: the bytes it reports between two signals are
// what the process allocated on its JS heap in between, across GCs, and next to nothing when it was idle.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('../../bench/lib/alloc-probe.ts', import.meta.url));
// Allocates 20,000 arrays of 126 small integers (a 1 KiB backing store each, 8-byte slots), keeping none (so
// GCs run in between), each time a line comes in.
const CHILD = `
const rl = require('node:readline').createInterface({ input: process.stdin });
let keep = 0;
rl.on('line', () => {
  for (let i = 0; i < 20000; i++) {
    const a = new Array(126);
    for (let j = 0; j < 126; j++) a[j] = j;
    keep += a.length;
  }
  console.log('done');
});
console.log('ready');
`;

describe('the allocation probe', () => {
  it('counts the JS heap allocated between two samples, across garbage collections', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fx-alloc-')), 'alloc.json');
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PROBE, '--max-semi-space-size=1', '-e', CHILD], {
      env: { ...process.env, FX_ALLOC_FILE: file }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const line = async () => (await lines.next()).value as string;
    let seq = 0;
    const sample = async () => {
      child.kill('SIGUSR2');
      for (;;) {
        try {
          const got = JSON.parse(readFileSync(file, 'utf8')) as { seq: number; allocatedBytes: number };
          if (got.seq > seq) return (seq = got.seq), got.allocatedBytes;
        } catch {
          // not written yet
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      expect(await line()).toBe('ready');
      const a = await sample();
      const idle = (await sample()) - a;
      child.stdin!.write('go\n');
      expect(await line()).toBe('done');
      const b = await sample();
      child.stdin!.write('go\n');
      expect(await line()).toBe('done');
      const c = await sample();
      const mb = (n: number) => n / 2 ** 20;
      // 20,000 arrays of a bit over 1 KiB each: about 20 MiB a round, far more than the 1 MiB semi-space.
      expect(mb(b - a)).toBeGreaterThan(18);
      expect(mb(b - a)).toBeLessThan(60);
      expect(mb(c - b) / mb(b - a)).toBeGreaterThan(0.7);
      expect(mb(c - b) / mb(b - a)).toBeLessThan(1.4);
      expect(mb(idle)).toBeLessThan(1);
    } finally {
      child.kill();
    }
  }, 20_000);
});

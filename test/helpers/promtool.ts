// promtool (from Debian's prometheus package, unpacked by .ci/run into .cache/prometheus) and PromQL helpers.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHED = fileURLToPath(new URL('../../.cache/prometheus/usr/bin/promtool', import.meta.url));

/** PROMTOOL, the unpacked copy, or one on PATH; missing is a failure, not a skip. */
export function promtoolPath(): string {
  const candidates = [process.env.PROMTOOL, CACHED, '/usr/bin/promtool'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error('promtool is missing: run .ci/run, or `apt-get download prometheus && dpkg-deb -x prometheus_*.deb .cache/prometheus`, or set PROMTOOL');
  return found;
}

/** Runs promtool; resolves with its output, or rejects with it (promtool exits non-zero on any problem). */
export async function promtool(args: string[], stdin?: string, cwd?: string): Promise<string> {
  const child = run(promtoolPath(), args, { cwd });
  if (stdin !== undefined) {
    child.child.stdin!.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

/** The metric names a PromQL expression reads (functions, keywords, label names and Grafana variables left out). */
export function metricNames(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  const names = new Set<string>();
  for (const m of e.matchAll(/(?<![\w.])[a-zA-Z_:][\w:]*/g)) {
    if (KEYWORDS.has(m[0]) || e.slice(m.index! + m[0].length).trimStart().startsWith('(')) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** name -> type from a Prometheus text exposition's # TYPE lines. */
export function exposedTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Whether a name is exposed: itself, or a histogram's _bucket/_sum/_count, or a summary's _sum/_count. */
export function isExposed(name: string, types: Map<string, string>): boolean {
  if (types.has(name)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!m) return false;
  const type = types.get(m[1]!);
  return type === 'histogram' || (type === 'summary' && m[2] !== 'bucket');
}

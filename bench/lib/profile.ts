// Where a server's CPU time went: self time from a V8 .cpuprofile (node --cpu-prof), by function and by
// package or source file, idle time left out.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

/** node_modules/<pkg> -> pkg, node:internal/http -> node:internal/http, project files relative to the root. */
function whereOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const project = /\/(dist\/.+|engine\/.+|gateway\/.+|bench\/.+|feeds\/.+)$/.exec(url);
  return project ? project[1]! : url;
}

export function profileCosts(file: string, top = 15): { busyMs: number; idleMs: number; functions: Cost[]; places: Cost[] } {
  const p: CpuProfile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0)));
  const fns = new Map<string, number>();
  const places = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = whereOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    places.set(where, (places.get(where) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>): Cost[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((us / busyUs) * 1000) / 10 }));
  return { busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), functions: ranked(fns), places: ranked(places) };
}

export function formatCosts(title: string, c: ReturnType<typeof profileCosts>): string {
  const list = (costs: Cost[]) => costs.map((x) => `  ${x.percent.toFixed(1).padStart(5)}%  ${String(x.ms).padStart(6)} ms  ${x.name}`).join('\n');
  return `${title}: busy ${c.busyMs} ms, idle ${c.idleMs} ms\n by package or file (self time):\n${list(c.places)}\n top functions (self time):\n${list(c.functions)}`;
}

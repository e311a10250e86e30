// The shared runner: measure systems alternately (A B A B ...), keep every run's figures, take medians, print
// one table and write everything as JSON to bench/results/<name>-<date>-<shortcommit>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../config/index.js';
import { gitCommit, machine, type Machine, type Pinning } from './machine.js';
import { median } from './stats.js';

export type Figures = Record<string, number>;

export interface Metric {
  key: string;
  label: string;
  better: 'higher' | 'lower';
}

export interface RunRecord {
  round: number;
  system: string;
  figures: Figures;
  /** Whatever else the bench wants kept for this run (status counts, pool sizes). */
  detail?: unknown;
}

/** Runs `measure` for every system in turn, `rounds` times: A B A B, so drift and noise hit both alike. */
export async function alternate(opts: {
  systems: readonly string[];
  rounds: number;
  measure: (system: string, round: number) => Promise<{ figures: Figures; detail?: unknown }>;
  log?: (line: string) => void;
}): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (let round = 1; round <= opts.rounds; round++)
    for (const system of opts.systems) {
      const { figures, detail } = await opts.measure(system, round);
      records.push({ round, system, figures, detail });
      opts.log?.(`round ${round}/${opts.rounds} ${system}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
  return records;
}

export function medians(records: readonly RunRecord[], systems: readonly string[]): Record<string, Figures> {
  return Object.fromEntries(systems.map((system) => {
    const mine = records.filter((r) => r.system === system);
    const keys = [...new Set(mine.flatMap((r) => Object.keys(r.figures)))];
    return [system, Object.fromEntries(keys.map((k) => [k, median(mine.map((r) => r.figures[k]!).filter((v) => v !== undefined))]))];
  }));
}

export interface Row {
  metric: string;
  values: number[];
  /** first system / second system */
  ratio: number;
  runs: number;
}

export function rows(metrics: readonly Metric[], records: readonly RunRecord[], systems: readonly string[]): Row[] {
  const m = medians(records, systems);
  return metrics.map((metric) => {
    const values = systems.map((s) => m[s]![metric.key]!);
    return {
      metric: `${metric.label} (${metric.better} is better)`,
      values,
      ratio: values[1] ? Math.round((values[0]! / values[1]) * 100) / 100 : Number.NaN,
      runs: Math.min(...systems.map((s) => records.filter((r) => r.system === s && metric.key in r.figures).length)),
    };
  });
}

/** A plain-text table: metric, one median per system, ratio, runs. */
export function table(rs: readonly Row[], systems: readonly string[]): string {
  const header = ['metric', ...systems.map((s) => `${s} median`), `ratio ${systems[0]}/${systems[1]}`, 'runs'];
  const body = rs.map((r) => [r.metric, ...r.values.map((v) => String(v)), r.ratio.toFixed(2), String(r.runs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...body.map(line)].join('\n');
}

export interface Results {
  name: string;
  date: string;
  commit: string;
  dirty: boolean;
  machine: Machine;
  pinning: Pinning;
  settings: Record<string, unknown>;
  systems: readonly string[];
  metrics: readonly Metric[];
  runs: readonly RunRecord[];
  medians: Record<string, Figures>;
  table: Row[];
  notes: string[];
}

/** Assembles the results of one bench and writes them; returns the file written and the results. */
export function writeResults(opts: {
  name: string;
  pinning: Pinning;
  machine?: Machine;
  settings: Record<string, unknown>;
  systems: readonly string[];
  metrics: readonly Metric[];
  runs: readonly RunRecord[];
  notes?: string[];
}): { path: string; results: Results } {
  const git = gitCommit();
  const date = new Date().toISOString();
  const results: Results = {
    name: opts.name, date, commit: git.commit, dirty: git.dirty, machine: opts.machine ?? machine(), pinning: opts.pinning, settings: opts.settings,
    systems: opts.systems, metrics: opts.metrics, runs: opts.runs, medians: medians(opts.runs, opts.systems),
    table: rows(opts.metrics, opts.runs, opts.systems), notes: opts.notes ?? [],
  };
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${opts.name}-${date.slice(0, 10)}-${git.short}${git.dirty ? '-dirty' : ''}.json`);
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  return { path, results };
}

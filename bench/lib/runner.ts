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
    return [system, Object.fromEntries(keys.map((k) => [k, median(mine.map((r) => r.figures[k]!).filter((v) => Number.isFinite(v)))]))];
  }));
}

export interface Row {
  metric: string;
  /** The median of each system, in the order of `systems`; NaN where a system has no such figure. */
  values: number[];
  /** first system / second system (kept for older readers of the JSON) */
  ratio: number;
  /** The first system over each other one, keyed `engine/peer`, `engine/limit` ... */
  ratios: Record<string, number>;
  /** How many runs the medians are over (the most any system had). */
  runs: number;
}

const ratioOf = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? Number.NaN : Math.round((a / b) * 100) / 100;

export function rows(metrics: readonly Metric[], records: readonly RunRecord[], systems: readonly string[]): Row[] {
  const m = medians(records, systems);
  return metrics.map((metric) => {
    const values = systems.map((s) => m[s]![metric.key] ?? Number.NaN);
    return {
      metric: `${metric.label} (${metric.better} is better)`,
      values,
      ratio: ratioOf(values[0], values[1]),
      ratios: Object.fromEntries(systems.slice(1).map((s, i) => [`${systems[0]}/${s}`, ratioOf(values[0], values[i + 1])])),
      runs: Math.max(...systems.map((s) => records.filter((r) => r.system === s && Number.isFinite(r.figures[metric.key])).length)),
    };
  });
}

/** A figure as the table prints it: whole numbers from 100 up, two decimals below, a dash for none. */
export function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return '—';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 100) / 100);
}

/**
 * A plain-text (Markdown) table: metric, one median per system, the first system over each other one, runs.
 * Columns where every row has a dash are left out (a bench with no limit rows prints no limit column).
 */
export function table(rs: readonly Row[], systems: readonly string[]): string {
  const shown = systems.filter((s, i) => rs.some((r) => Number.isFinite(r.values[i]!)));
  const others = shown.filter((s) => s !== systems[0]);
  const header = ['metric', ...shown.map((s) => `${s} median`), ...others.map((s) => `ratio ${systems[0]}/${s}`), 'runs'];
  const body = rs.map((r) => [
    r.metric,
    ...shown.map((s) => formatFigure(r.values[systems.indexOf(s)]!)),
    ...others.map((s) => { const v = r.ratios[`${systems[0]}/${s}`]!; return Number.isFinite(v) ? v.toFixed(2) : '—'; }),
    String(r.runs),
  ]);
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
  /** Figures measured at several levels (subscribers, connections), for the cost-growth plots. */
  series?: Record<string, Series>;
}

/** One figure set measured at several levels of load: per level, every run and each system's medians. */
export interface Series {
  /** What the level counts: `subscribers`, `connections`. */
  level: string;
  points: { level: number; runs: RunRecord[]; medians: Record<string, Figures> }[];
}

/** Runs `alternate` once per level and keeps each level's runs and medians. */
export async function series(opts: {
  level: string;
  levels: readonly number[];
  systems: readonly string[];
  rounds: number;
  measure: (system: string, round: number, level: number) => Promise<{ figures: Figures; detail?: unknown }>;
  log?: (line: string) => void;
}): Promise<Series> {
  const points: Series['points'] = [];
  for (const level of opts.levels) {
    const runs = await alternate({
      systems: opts.systems, rounds: opts.rounds, measure: (system, round) => opts.measure(system, round, level),
      log: opts.log && ((line) => opts.log!(`${opts.level} ${level}, ${line}`)),
    });
    points.push({ level, runs, medians: medians(runs, opts.systems) });
  }
  return { level: opts.level, points };
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
  series?: Record<string, Series>;
  /** The file's name without `.json`; by default `<name>-<date>-<shortcommit>`. */
  file?: (date: string, shortCommit: string) => string;
}): { path: string; results: Results } {
  const git = gitCommit();
  const date = new Date().toISOString();
  const results: Results = {
    name: opts.name, date, commit: git.commit, dirty: git.dirty, machine: opts.machine ?? machine(), pinning: opts.pinning, settings: opts.settings,
    systems: opts.systems, metrics: opts.metrics, runs: opts.runs, medians: medians(opts.runs, opts.systems),
    table: rows(opts.metrics, opts.runs, opts.systems), notes: opts.notes ?? [], ...(opts.series ? { series: opts.series } : {}),
  };
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const short = `${git.short}${git.dirty ? '-dirty' : ''}`;
  const path = join(dir, `${opts.file ? opts.file(date.slice(0, 10), short) : `${opts.name}-${date.slice(0, 10)}-${short}`}.json`);
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  return { path, results };
}

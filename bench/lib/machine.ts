// What a result was measured on: the machine, the commit, and how the cores were shared.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the bench started: other work on the machine shows here. */
  loadAverage: number[];
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export interface Commit {
  commit: string;
  short: string;
  /** Uncommitted changes in the work tree: the figures are not exactly those of `commit`. */
  dirty: boolean;
}

export function gitCommit(): Commit {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    return { commit, short: commit.slice(0, 7), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', short: 'nogit', dirty: false };
  }
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface Pinning {
  /** taskset was there and the cores were split; otherwise the OS scheduled everything on every core. */
  pinned: boolean;
  serverCpu?: number;
  loadCpu?: number;
  note: string;
}

/**
 * With 2+ cores and taskset: servers on core 0, this process (the load generator) on core 1, every thread of it.
 * Redis and anything else on the machine are left where the OS puts them.
 */
export function pinLoadGenerator(): Pinning {
  if (!hasTaskset || cpus().length < 2)
    return { pinned: false, note: `not pinned (${hasTaskset ? 'one core' : 'no taskset'}): servers, load generator and Redis share every core` };
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  return {
    pinned: true, serverCpu: 0, loadCpu: 1,
    note: 'server under test (all its threads) on core 0, load generator on core 1 (taskset); Redis and other work on the machine unpinned, sharing both cores',
  };
}

/** The command that starts a server process on the server core (or as is, unpinned). */
export function serverCommand(pinning: Pinning, argv: string[]): [string, string[]] {
  return pinning.pinned ? ['taskset', ['-c', String(pinning.serverCpu), ...argv]] : [argv[0]!, argv.slice(1)];
}

/**
 * CPU time a process has used so far (user + system, every thread), ms, from /proc; NaN where there is none.
 * Per request it measures a server's cost even when other work on the machine steals its core.
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Time the process's threads spent runnable but waiting for a core (summed over threads), ms, from
 * /proc/<pid>/task/<tid>/schedstat; NaN where there is none. High while a server is far from one core busy
 * means other work on the machine held the core, not that the server had nothing to do.
 */
export function processRunQueueWaitMs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
      try {
        return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
      } catch {
        return sum; // the thread ended meanwhile
      }
    }, 0);
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

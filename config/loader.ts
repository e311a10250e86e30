import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { configSchema, type Config } from './schema.js';

export interface LoadedConfig {
  readonly config: Config;
  /** Short hash of the normalised content, stamped on every quote. */
  readonly version: string;
  readonly path: string;
}

/** A config the engine cannot use: `config_invalid` (validation, the paths named) or `config_unreadable` (file or YAML). */
export class ConfigError extends Error {
  constructor(readonly code: 'config_invalid' | 'config_unreadable', message: string) {
    super(message);
  }
}

/** The project root: the nearest folder above this file holding package.json (works from src and dist). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const defaultConfigPath = (): string => join(projectRoot(), 'config', 'default.yaml');

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** Validates a parsed document; throws ConfigError naming the first offending keys. */
export function validateConfig(doc: unknown, path = '<inline>'): LoadedConfig {
  const result = configSchema.safeParse(doc);
  if (!result.success) {
    const lines = result.error.issues.slice(0, 10).map((i) => {
      const where = i.path.join('.') || '(root)';
      return `${where}: ${i.message}`;
    });
    throw new ConfigError('config_invalid', `invalid config ${path}: ${lines.join('; ')}`);
  }
  const normalised = JSON.stringify(sortKeys(result.data));
  const version = 'c_' + createHash('sha256').update(normalised).digest('hex').slice(0, 8);
  return { config: deepFreeze(result.data), version, path };
}

export function loadConfig(path: string): LoadedConfig {
  const abs = resolve(path);
  let doc: unknown;
  try {
    doc = parse(readFileSync(abs, 'utf8'));
  } catch (err) {
    throw new ConfigError('config_unreadable', `cannot read config ${abs}: ${(err as Error).message}`);
  }
  return validateConfig(doc, abs);
}

export interface ConfigChange {
  path: string;
  old: unknown;
  new: unknown;
}

/** What changed between two configs, leaf by leaf ("corridors.USD-INR.tiers.0.spreadBps: 50 -> 45"). */
export function diffConfig(a: unknown, b: unknown, path = ''): ConfigChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object';
  if (!isObj(a) || !isObj(b)) return Object.is(a, b) ? [] : [{ path, old: a, new: b }];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffConfig(a[k], b[k], path ? `${path}.${k}` : k));
}

/**
 * Watches the config file and reloads on change (debounced) or on demand (SIGHUP). A good file is handed
 * to onApply; a bad one to onReject, and the last good config stays in force.
 */
export class ConfigWatcher {
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #current: LoadedConfig;

  constructor(
    initial: LoadedConfig,
    private readonly handlers: {
      onApply: (next: LoadedConfig, changes: ConfigChange[]) => void;
      onReject: (err: Error) => void;
    },
    private readonly debounceMs = 100,
  ) {
    this.#current = initial;
  }

  get current(): LoadedConfig {
    return this.#current;
  }

  start(): this {
    // Watch the folder, not the file: editors replace files by rename, which ends a file watch. A Kubernetes
    // ConfigMap never touches the file either: kubelet writes a new ..<timestamp> folder, points a
    // ..data_tmp symlink at it and renames that over ..data (config.yaml -> ..data/config.yaml), so the
    // events name ..data and its kin. Either way the content hash skips a reload that changed nothing.
    const file = this.#current.path;
    const base = basename(file);
    this.#watcher = watch(dirname(file), (_event, name) => {
      const changed = name?.toString();
      if (changed && changed !== base && !changed.startsWith('..')) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload(), this.debounceMs);
    });
    this.#watcher.on('error', (err) => this.handlers.onReject(err));
    return this;
  }

  /** Takes a file the engine wrote itself (the desk's change) as the current one, so it is not reloaded as a hand edit. */
  adopt(next: LoadedConfig): void {
    this.#current = next;
  }

  reload(): void {
    let next: LoadedConfig;
    try {
      next = loadConfig(this.#current.path);
    } catch (err) {
      this.handlers.onReject(err as Error);
      return;
    }
    if (next.version === this.#current.version) return;
    const changes = diffConfig(this.#current.config, next.config);
    this.#current = next;
    this.handlers.onApply(next, changes);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}

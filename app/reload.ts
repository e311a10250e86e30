// Live config reload: a good file is applied to every part at once; a bad one is refused, counted and logged,
// and the last good config stays in force.
import { ConfigWatcher, takesEffectOnRestart, type ConfigChange, type LoadedConfig } from '../config/index.js';
import type { Logger } from 'pino';

/** A corridor change reads as (corridor, field, old, new): "USD-INR", "tiers.0.spreadBps", "60", "55". Key material is never logged. */
export function loggedChanges(changes: ConfigChange[]): unknown[] {
  return changes.map((c) => {
    if (c.path.startsWith('apiKeys')) return { path: 'apiKeys', changed: 'values not logged' };
    const corridor = /^corridors\.([A-Z]{3}-[A-Z]{3})(?:\.(.+))?$/.exec(c.path);
    return corridor ? { corridor: corridor[1], field: corridor[2] ?? '(whole corridor)', old: c.old, new: c.new } : c;
  });
}

export function watchConfig(initial: LoadedConfig, logger: Logger, on: { apply(next: LoadedConfig): void; refused(): void }): ConfigWatcher {
  return new ConfigWatcher(initial, {
    onApply: (next, changes) => {
      on.apply(next);
      logger.info({ version: next.version, changes: loggedChanges(changes) }, 'config reloaded');
      const restart = changes.filter((c) => takesEffectOnRestart(c.path));
      if (restart.length) logger.warn({ paths: restart.map((c) => c.path) }, 'these settings take effect on restart');
    },
    onReject: (err) => {
      on.refused();
      logger.error({ error: err.message }, 'config reload refused; the last good config stays in force');
    },
  }).start();
}

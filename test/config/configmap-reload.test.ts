// A Kubernetes ConfigMap update, done as kubelet does it: a new ..<timestamp> folder, a ..data_tmp symlink
// to it renamed atomically over ..data, the old folder removed. config.yaml itself never changes.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigWatcher, loadConfig, type ConfigChange, type LoadedConfig } from '../../config/index.js';
import { eventually, writeConfig } from '../helpers/server.js';

describe('config reload from a Kubernetes ConfigMap', () => {
  let watcher: ConfigWatcher | undefined;
  afterEach(() => watcher?.stop());

  /** A mounted ConfigMap folder holding config.yaml; swap() publishes a new version the way kubelet does. */
  function configMap(text: string) {
    const dir = mkdtempSync(join(tmpdir(), 'fx-configmap-'));
    let n = 0;
    let current = '';
    const version = (content: string) => {
      const name = `..2026_12_01_10_00_0${n++}.000000001`;
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'config.yaml'), content);
      return name;
    };
    current = version(text);
    symlinkSync(current, join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
    return {
      path: join(dir, 'config.yaml'),
      swap(content: string) {
        const next = version(content);
        symlinkSync(next, join(dir, '..data_tmp'));
        renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
        rmSync(join(dir, current), { recursive: true });
        current = next;
      },
    };
  }

  it('applies a new version, skips one that changes nothing, and refuses a broken one', async () => {
    const shipped = readFileSync(writeConfig(), 'utf8');
    const map = configMap(shipped);
    const applied: { next: LoadedConfig; changes: ConfigChange[] }[] = [];
    const refused: Error[] = [];
    watcher = new ConfigWatcher(loadConfig(map.path), {
      onApply: (next, changes) => applied.push({ next, changes }),
      onReject: (err) => refused.push(err),
    }).start();

    const doc = parse(shipped);
    doc.corridors['USD-INR'].tiers[0].spreadBps = '75';
    map.swap(stringify(doc));
    await eventually(() => (applied.length === 1 ? true : undefined), 3_000);
    expect(applied[0]!.changes).toEqual([{ path: 'corridors.USD-INR.tiers.0.spreadBps', old: '60', new: '75' }]);
    expect(watcher.current.version).toBe(applied[0]!.next.version);

    map.swap(stringify(doc)); // same content, new folder: no reload
    doc.corridors['USD-INR'].tiers[0].spreadBps = 'seventy';
    await new Promise((r) => setTimeout(r, 400));
    expect(applied).toHaveLength(1);

    map.swap(stringify(doc));
    await eventually(() => (refused.length > 0 ? true : undefined), 3_000);
    expect(refused[0]!.message).toMatch(/corridors\.USD-INR\.tiers\.0\.spreadBps/);
    expect(watcher.current.version).toBe(applied[0]!.next.version);
  });
});

// DESIGN.md's dependency directions, checked on every import of the source folders:
// app -> gateway -> engine; app -> feeds -> engine types only; engine never imports gateway, feeds or app;
// config is imported by all (patterns, schema types) and imports none of them; sdk imports nothing of the server
// but the wire types (gateway/wire/types.ts), with `import type`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../config/index.js';

const root = projectRoot();
const FOLDERS = ['app', 'engine', 'feeds', 'gateway', 'config', 'sdk'];

function files(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : files(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  } catch {
    return [];
  }
}

/** Every relative import of a file that leaves its folder: [folder imported, type-only?, path imported]. */
function imports(file: string): { folder: string; typeOnly: boolean; path: string }[] {
  const own = relative(root, file).split('/')[0];
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gm)].flatMap((m) => {
    const path = relative(root, join(file, '..', m[3]!));
    const target = path.split('/')[0]!;
    return target === own || !FOLDERS.includes(target) ? [] : [{ folder: target, typeOnly: m[2] !== undefined, path }];
  });
}

const allowed: Record<string, (i: { folder: string; typeOnly: boolean; path: string }) => boolean> = {
  app: () => true,
  gateway: (i) => i.folder === 'engine' || i.folder === 'config',
  feeds: (i) => i.folder === 'config' || (i.folder === 'engine' && i.typeOnly),
  engine: (i) => i.folder === 'config',
  config: () => false,
  // The one thing the SDK takes from the server: the wire types, generated from the schemas, as types only.
  sdk: (i) => i.typeOnly && i.path === 'gateway/wire/types.js',
};

describe('the dependency directions of DESIGN.md', () => {
  for (const folder of FOLDERS)
    it(`holds for ${folder}/`, () => {
      const wrong = files(join(root, folder)).flatMap((f) =>
        imports(f).filter((i) => !allowed[folder]!(i)).map((i) => `${relative(root, f)} imports ${i.typeOnly ? 'types of ' : ''}${i.folder}/`));
      expect(wrong).toEqual([]);
    });
});

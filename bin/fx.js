#!/usr/bin/env node
// The `fx` CLI's launcher. In a checkout it runs the TypeScript source through tsx (a dev dependency), so it
// is never behind the source and `npx fx` works right after `npm ci`; where there is no source or no tsx (the
// Docker image, an install without dev dependencies) it runs the compiled CLI that `npm run build` puts in dist/.
import { existsSync } from 'node:fs';

const source = new URL('../sdk/cli/main.ts', import.meta.url);
const built = new URL('../dist/sdk/cli/main.js', import.meta.url);

async function tsx() {
  try {
    (await import('tsx/esm/api')).register();
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && (await tsx())) await import(source.href);
else if (existsSync(built)) await import(built.href);
else {
  process.stderr.write('fx: the CLI is not built: run `npm run build` (or `npm ci` for the dev dependencies)\n');
  process.exit(2);
}

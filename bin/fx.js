#!/usr/bin/env node
// The `fx` CLI. Runs the compiled CLI from dist/ (npm run build; the Docker image has it); in a checkout
// that has not been built, the TypeScript source through tsx (a dev dependency), so `npx fx` works right
// after `npm ci`.
import { existsSync } from 'node:fs';

const built = new URL('../dist/sdk/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../sdk/cli/main.ts', import.meta.url).href);
}

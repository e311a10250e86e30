import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STARTUP_ERRORS } from '../../app/index.js';
import { ERRORS } from '../../engine/index.js';

const [api, startup] = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').split('\n## Start-up errors') as [string, string];

describe('error registry', () => {
  const doc = api;
  it('documents every code with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(ERRORS)) expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });
  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERRORS).sort());
  });
});

describe('start-up error registry', () => {
  it('documents every start-up code, and no other', () => {
    const documented = [...startup.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(STARTUP_ERRORS).sort());
  });
});

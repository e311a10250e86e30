import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEED_ERRORS } from '../../feeds/index.js';

describe('feed error registry', () => {
  const doc = readFileSync(new URL('../../docs/feed-errors.md', import.meta.url), 'utf8');
  it('documents every code with its root, and no other', () => {
    for (const [code, { root }] of Object.entries(FEED_ERRORS)) expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${root} \\|`));
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(FEED_ERRORS).sort());
  });
});

// RFC 7396's own examples (Appendix A), and the halt test the kill switch rests on.
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { mergePatch, patchDocument, patchLeaves } from '../../app/desk/index.js';

describe('mergePatch', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('applies RFC 7396 A: %j patched with %j is %j', (target, patch, result) => {
    const before = JSON.stringify(target);
    expect(mergePatch(target, patch)).toEqual(result);
    expect(JSON.stringify(target)).toBe(before); // the target is never changed
  });

  it('lists the leaves a patch sets', () => {
    expect(patchLeaves({ corridors: { 'USD-INR': { halted: true }, 'GBP-INR': { tiers: [{ spreadBps: '1' }] } }, partners: { 'lp-a': { enabled: false } } }))
      .toEqual([[['corridors', 'USD-INR', 'halted'], true], [['corridors', 'GBP-INR', 'tiers'], [{ spreadBps: '1' }]], [['partners', 'lp-a', 'enabled'], false]]);
  });
});

describe('patchDocument (the file store writes what mergePatch validated)', () => {
  it('writes a new subtree without the null members RFC 7396 drops, at every depth', () => {
    const text = 'corridors:\n  USD-INR: # the main one\n    halted: false\n';
    const patch = { corridors: { 'USD-INR': { halted: true }, 'EUR-INR': { minAmount: '1', halted: null, tiers: { a: null, b: 2 } } } };
    const doc = parseDocument(text);
    patchDocument(doc, patch);
    expect(parse(doc.toString())).toEqual(mergePatch(parse(text), patch));
    expect(doc.toString()).toContain('# the main one');
  });
});

import { describe, expect, it } from 'vitest';
import { parseCondition } from './parser.js';
import { printCondition } from './printer.js';
import { collectFields, collectIdentifiers, MacroCycleError, substituteMacros } from './walk.js';

describe('substituteMacros', () => {
  it('inserts macro ASTs so their grouping survives without parentheses', () => {
    const macros = new Map([['m', parseCondition('a.b = 1 or c.d = 2')]]);
    const out = substituteMacros(parseCondition('x.y exists and m'), (n) => macros.get(n));
    expect(printCondition(out)).toBe('(x.y exists and (a.b = 1 or c.d = 2))');
  });

  it('expands nested macros and leaves unknown identifiers in place', () => {
    const macros = new Map([
      ['outer', parseCondition('inner and not unknown')],
      ['inner', parseCondition('a.b exists')],
    ]);
    const out = substituteMacros(parseCondition('outer'), (n) => macros.get(n));
    expect(printCondition(out)).toBe('(a.b exists and not unknown)');
  });

  it('detects cycles', () => {
    const macros = new Map([
      ['a', parseCondition('b')],
      ['b', parseCondition('x.y exists or a')],
    ]);
    expect(() => substituteMacros(parseCondition('a'), (n) => macros.get(n))).toThrow(MacroCycleError);
  });

  it('returns the same tree when nothing changes', () => {
    const ast = parseCondition('a.b = 1 and not c.d exists');
    expect(substituteMacros(ast, () => undefined)).toBe(ast);
  });
});

describe('collectors', () => {
  it('collects macro names and fields on both sides and inside transformers', () => {
    const ast = parseCondition('m1 and tolower(a.b) = val(c.d[x]) or not m1 or m2');
    expect(collectIdentifiers(ast)).toEqual(['m1', 'm2']);
    expect(collectFields(ast).map((f) => (f.arg === undefined ? f.name : `${f.name}[${f.arg}]`))).toEqual([
      'a.b',
      'c.d[x]',
    ]);
  });
});

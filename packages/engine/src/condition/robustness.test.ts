/**
 * Seeded random inputs built from the language's own tokens: parsing and compiling must either
 * succeed or throw ConditionError (never a TypeError, never hang), and compiled filters must not
 * throw on events with odd values.
 */
import { describe, expect, it } from 'vitest';
import type { Extracted, FieldDef, SourceDef } from '../fields/types.js';
import { compileCondition } from './compiler.js';
import { ConditionError } from './errors.js';
import { parseCondition } from './parser.js';
import { printCondition } from './printer.js';

const TOKENS = [
  'a.b',
  'c.d',
  'n.num',
  'l.list',
  'm',
  'and',
  'or',
  'not',
  'not(',
  '(',
  ')',
  '=',
  '==',
  '!=',
  '<',
  '>=',
  'in',
  'intersects',
  'pmatch',
  'contains',
  'icontains',
  'glob',
  'regex',
  'startswith',
  'bcontains',
  'exists',
  'oneof',
  'anyof',
  'val(',
  'tolower(',
  'len(',
  'join(',
  'getopt(',
  'concat(',
  ',',
  '[',
  ']',
  '"x y"',
  "'q\\''",
  '"\\x41"',
  '1',
  '0x1f',
  '-2.5',
  '/tmp/*',
  '[a-z]*',
  '<NA>',
  'abc',
  '"',
  '\\',
  ' ',
  '\t',
  '\n',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const defs: Record<string, FieldDef> = {
  'a.b': { name: 'a.b', type: 'CHARBUF', isList: false, description: '' },
  'c.d': { name: 'c.d', type: 'FSPATH', isList: false, description: '' },
  'n.num': { name: 'n.num', type: 'INT64', isList: false, description: '' },
  'l.list': { name: 'l.list', type: 'CHARBUF', isList: true, description: '' },
};
const source: SourceDef = {
  name: 'fuzz',
  fields: Object.values(defs),
  field: (n) => defs[n],
  bind: (n) => ({ def: defs[n]!, extract: (e) => (e as Record<string, Extracted>)[n], mode: 'scalar' }),
};
const events: Record<string, Extracted>[] = [
  {},
  { 'a.b': 'x y', 'c.d': '/tmp/a', 'n.num': 1, 'l.list': ['x', 'abc'] },
  { 'a.b': '', 'c.d': '', 'n.num': -9007199254740993n, 'l.list': [] },
];

describe('robustness', () => {
  it('parses, prints, compiles and evaluates random token soup without crashing', () => {
    const next = rng(42);
    let parsed = 0;
    let compiled = 0;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const check = (): string =>
      `${pick(['a.b', 'c.d', 'n.num', 'l.list', 'tolower(a.b)', 'len(l.list)'])} ${pick(['=', '!=', '<', 'in', 'intersects', 'contains', 'glob', 'pmatch', 'exists', '== oneof', 'regex'])} ${pick(['abc', '(x, abc)', '1', '"x y"', '/tmp/*', 'val(a.b)', '[a-z]*', '()'])}`;
    const expr = (depth: number): string => {
      const r = next();
      if (depth > 2 || r < 0.4) return check();
      if (r < 0.6) return `not ${expr(depth + 1)}`;
      if (r < 0.8) return `(${expr(depth + 1)} and ${expr(depth + 1)})`;
      return `${expr(depth + 1)} or ${expr(depth + 1)}`;
    };
    for (let i = 0; i < 3000; i++) {
      let text = expr(0);
      // Mutate some inputs with random tokens to reach the error paths.
      if (next() < 0.5) {
        const at = Math.floor(next() * (text.length + 1));
        text = `${text.slice(0, at)}${pick(TOKENS)}${next() < 0.5 ? ' ' : ''}${text.slice(at)}`;
      }
      let ast: ReturnType<typeof parseCondition>;
      try {
        ast = parseCondition(text);
      } catch (e) {
        expect(e, text).toBeInstanceOf(ConditionError);
        continue;
      }
      parsed++;
      expect(typeof printCondition(ast)).toBe('string');
      try {
        const { filter } = compileCondition(ast, source);
        compiled++;
        for (const ev of events) expect(typeof filter(ev)).toBe('boolean');
      } catch (e) {
        expect(e, text).toBeInstanceOf(ConditionError);
      }
    }
    // The generator must exercise both paths, or this test proves nothing.
    expect(parsed).toBeGreaterThan(300);
    expect(compiled).toBeGreaterThan(100);
  });
});

import { describe, expect, it } from 'vitest';
import type { BinaryCheckExpr, Expr, TransformerExpr } from './ast.js';
import { ConditionError } from './errors.js';
import { parseCondition } from './parser.js';
import { printCondition } from './printer.js';

function parseError(text: string, maxDepth?: number): ConditionError {
  try {
    parseCondition(text, maxDepth === undefined ? {} : { maxDepth });
  } catch (e) {
    if (e instanceof ConditionError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${text}`);
}

describe('parseCondition', () => {
  it('builds n-ary and/or with not binding tighter than and, and tighter than or', () => {
    expect(printCondition(parseCondition('not a and b or c and not d'))).toBe(
      '((not a and b) or (c and not d))',
    );
  });

  it('keeps = and == apart and appends modifiers to the operator', () => {
    const eq = parseCondition('p.n = x') as BinaryCheckExpr;
    const eqeq = parseCondition('p.n == oneof (x, y)') as BinaryCheckExpr;
    expect(eq.op).toBe('=');
    expect(eqeq.op).toBe('== oneof');
    expect(eqeq.right).toMatchObject({ kind: 'list', values: ['x', 'y'] });
  });

  it('reads a modifier word as a plain value outside the modifier window', () => {
    expect(parseCondition('p.n == oneof')).toMatchObject({ right: { kind: 'value', value: 'oneof' } });
    expect(parseCondition('p.n == anyof and q.r exists')).toMatchObject({ kind: 'and' });
    expect(parseCondition('p.n == oneof oneof')).toMatchObject({ op: '== oneof', right: { value: 'oneof' } });
  });

  it('does not rewind after a word operator without a blank, as libsinsp', () => {
    expect(parseCondition('x.y containsin (a)')).toMatchObject({ op: 'in', right: { values: ['a'] } });
    expect(() => parseCondition('x.y containsvalue')).toThrow(ConditionError);
  });

  it('parses every transformer with the same argument grammar (arity is checked later)', () => {
    expect(parseCondition('tolower("x") = y')).toMatchObject({
      left: { args: [{ kind: 'value', value: 'x' }] },
    });
    expect(parseCondition('join() = y')).toMatchObject({ left: { name: 'join', args: [] } });
  });

  it('distinguishes a missing argument from an empty one', () => {
    const none = parseCondition('a.b exists') as Expr & { left: { arg?: string } };
    const empty = parseCondition('a.b[""] exists') as Expr & { left: { arg?: string } };
    expect(none.left.arg).toBeUndefined();
    expect(empty.left.arg).toBe('');
  });

  it('parses multi-value transformers with lists, quoted strings and numbers', () => {
    const check = parseCondition(
      'join("-", (fd.name, "x", 12, toupper(fd.directory))) = a',
    ) as BinaryCheckExpr;
    const t = check.left as TransformerExpr;
    expect(t.name).toBe('join');
    expect(t.args.map((a) => a.kind)).toEqual(['value', 'transformer_list']);
    expect(printCondition(check)).toBe('join(-,(fd.name,x,12,toupper(fd.directory))) = a');
  });

  it('accepts a field argument after getopt and val on the right-hand side', () => {
    expect(parseCondition('getopt(proc.args, "t:")[t] = x')).toMatchObject({
      left: { name: 'getopt', arg: 't' },
    });
    expect(parseCondition('a.b = val(c.d)')).toMatchObject({ right: { kind: 'transformer', name: 'val' } });
  });

  it('reports Falco messages with a stable code and the failing position', () => {
    const e = parseError('a.b = 1 and');
    expect(e.code).toBe('PARSE_EXPECTED_BLANK');
    expect(e.message).toBe("expected blank or '(' after 'and'");
    expect(e.pos).toEqual({ idx: 11, line: 1, col: 12 });
    expect(parseError('a.b = x y').message).toBe("unexpected token after 'x', expecting 'or', 'and'");
    expect(parseError('').code).toBe('PARSE_EMPTY_INPUT');
    expect(parseError("a.b = 'x\\\"'").message).toBe(`invalid \\" escape in '-quoted string`);
  });

  it('tracks lines and columns across CR and LF', () => {
    const e = parseError('a.b = 1 and\r\n  c.d === x');
    expect(e.pos.line).toBe(3);
  });

  it('guards recursion depth: 19 parenthesis levels by default, 199 with a limit of 1000', () => {
    const nest = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    expect(() => parseCondition(nest(19))).not.toThrow();
    expect(parseError(nest(20)).message).toBe('exceeded max depth limit of 100');
    expect(() => parseCondition(nest(199), { maxDepth: 1000 })).not.toThrow();
    expect(parseError(nest(200), 1000).code).toBe('PARSE_MAX_DEPTH');
  });

  it('records node end offsets', () => {
    const check = parseCondition('proc.name in (a, b) and x') as Expr & { children: Expr[] };
    expect(check.children[0]!.end).toBe(19);
    expect(check.end).toBe(25);
  });
});

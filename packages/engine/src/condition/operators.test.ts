import { describe, expect, it } from 'vitest';
import type { BinaryCheckExpr, Expr } from './ast.js';
import { ConditionError } from './errors.js';
import {
  BOOLEAN_OPERATORS,
  CHECK_OPERATORS,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  OPERATOR_MODIFIERS,
  SYMBOL_OPERATORS,
  WORD_OPERATORS,
} from './operators.js';
import { parseCondition } from './parser.js';

/** A condition using `op` with the kind of value the parser expects after it. */
function checkWith(op: string): string {
  if (op === 'exists') return 'proc.name exists';
  if ((LIST_OPERATORS as readonly string[]).includes(op)) return `proc.name ${op} (a, b)`;
  if ((NUMERIC_OPERATORS as readonly string[]).includes(op)) return `proc.pid ${op} 1`;
  return `proc.name ${op} "a"`;
}

describe('condition operators', () => {
  it('parses a check with every listed check operator, as written', () => {
    for (const op of CHECK_OPERATORS) {
      const e = parseCondition(checkWith(op)) as Expr & { op: string };
      expect(e.op, op).toBe(op);
    }
  });

  it('parses every modifier after an operator', () => {
    for (const modifier of OPERATOR_MODIFIERS) {
      const e = parseCondition(`proc.name startswith ${modifier} (a, b)`) as BinaryCheckExpr;
      expect(e.op).toBe(`startswith ${modifier}`);
    }
  });

  it('names the listed operators, in order, when an operator is missing', () => {
    let error: unknown;
    try {
      parseCondition('proc.name ~ a');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConditionError);
    expect((error as ConditionError).message).toBe(
      `expected a valid check operator: one of ${CHECK_OPERATORS.map((op) => `'${op}'`).join(', ')}`,
    );
  });

  it('splits the operators into words and symbols, each once', () => {
    const all = [...WORD_OPERATORS, ...SYMBOL_OPERATORS];
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set([...BOOLEAN_OPERATORS, ...CHECK_OPERATORS]));
    expect(SYMBOL_OPERATORS.every((op) => /^[=!<>]+$/.test(op))).toBe(true);
  });
});

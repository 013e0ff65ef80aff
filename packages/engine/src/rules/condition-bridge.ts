/**
 * The loader's view of the condition compiler (src/condition): compile an expanded AST against
 * a source into a predicate, reporting compile-time warnings with offsets.
 */
import type { Expr } from '../condition/ast.js';
import { compileCondition } from '../condition/compiler.js';
import type { SourceDef } from '../fields/types.js';

export interface FilterWarning {
  message: string;
  start: number;
  end: number;
}

export interface CompiledFilter {
  filter: (event: unknown) => boolean;
  warnings: FilterWarning[];
}

/** Compile an AST (macros already substituted). Throws ConditionError with Falco's message. */
export function compileFilter(expr: Expr, source: SourceDef): CompiledFilter {
  const c = compileCondition(expr, source);
  return {
    filter: c.filter,
    warnings: c.warnings.map((w) => ({ message: w.message, start: w.range.start, end: w.range.end })),
  };
}

/**
 * The loader's view of the condition compiler (src/condition): compile an expanded AST against
 * a source into a predicate, reporting compile-time warnings with offsets.
 */
import type { Expr } from '../condition/ast.js';
import { compileCondition, type SharedCompile } from '../condition/compiler.js';
import type { Plan } from '../condition/plan.js';
import type { SourceDef } from '../fields/types.js';

export interface FilterWarning {
  message: string;
  start: number;
  end: number;
}

export interface CompiledFilter {
  filter: (event: unknown) => boolean;
  warnings: FilterWarning[];
  plan: Plan;
}

/**
 * Compile an AST (macros already substituted). Throws ConditionError with Falco's message. With
 * `shared`, subtrees are shared with the other filters compiled with it (see SharedCompile).
 */
export function compileFilter(expr: Expr, source: SourceDef, shared?: SharedCompile): CompiledFilter {
  const c = compileCondition(expr, source, shared === undefined ? {} : { shared });
  return {
    filter: c.filter,
    plan: c.plan,
    warnings: c.warnings.map((w) => ({ message: w.message, start: w.range.start, end: w.range.end })),
  };
}

/**
 * A compiled condition described as data beside its closure (the "plan"): the and/or/not tree,
 * and per check the field read, the value test and a structural key. Evaluators that run many
 * conditions over one event (a RuleSet's per-type groups, see rules/group-eval.ts) use it to
 * read each field once, compute a subexpression several rules share once, and fold `evt.type`
 * checks for an event type known in advance. Filters and plans always agree: the plan's checks
 * wrap the very matchers the closure calls.
 */
import type { Extracted, Extractor, Scalar } from '../fields/types.js';
import type { Node } from './ast.js';
import type { Matcher } from './matchers.js';

/** How a check applies its value matcher to what the field read returned. */
export type CheckShape =
  /** `v !== undefined && m(v)` */
  | 'scalar'
  /** list field with `in`: every item matches (a lone value: it matches). */
  | 'every'
  /** list, any-ancestor or either-endpoint: some item matches (a lone value: it matches). */
  | 'some'
  /** either-endpoint `!=`: a non-empty list whose every item matches. */
  | 'all-nonempty'
  /** `exists` on a scalar field. */
  | 'exists'
  /** `exists` on a list field: present and, when a list, not empty. */
  | 'exists-list';

/** One field (or transformer chain) read, shared by every check with the same key. */
export interface PlanRead {
  key: string;
  extract: Extractor;
  /** The field's extractor for structured events only (no flat-map test), when it has one. */
  structured?: Extractor;
}

/** A literal matcher described for code generation (the matcher itself is always kept). */
export interface MatcherInfo {
  /**
   * `str-eq`: `v === lit` (or the C-string prefix); `str-set`: membership in `set`; `bool-eq` /
   * `bool-ne`: `v` is (is not) `bool` or its number; `num-cmp`: `v op num` for a number `v` (the
   * matcher for other values).
   */
  kind:
    | 'str-eq'
    | 'str-ne'
    | 'str-set'
    | 'str-startswith'
    | 'str-endswith'
    | 'str-contains'
    | 'bool-eq'
    | 'bool-ne'
    | 'num-cmp';
  lit?: string;
  set?: ReadonlySet<string>;
  bool?: boolean;
  /** A finite number. */
  num?: number;
  op?: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
}

/** A check: a field read and a test of its value, or (`read` undefined) an opaque filter. */
export interface CheckPlan {
  kind: 'check';
  key: string;
  /** The check as one call (what the closure tree runs). */
  filter: (event: unknown) => boolean;
  read?: PlanRead;
  shape?: CheckShape;
  match?: Matcher;
  info?: MatcherInfo;
  /** A plain `evt.type` check: its result for an event type known in advance. */
  onType?: (type: string) => boolean;
}

export type Plan =
  | { kind: 'and' | 'or'; key: string; children: readonly Plan[] }
  | { kind: 'not'; key: string; child: Plan }
  | CheckPlan;

/** A node's structure without positions, as text: equal texts compile to equal checks. */
export function structuralKey(node: Node): string {
  return JSON.stringify(node, (k, v) => (k === 'pos' || k === 'end' ? undefined : v));
}

/** The value test of a check shape (used by the code generator for shapes it does not inline). */
export function shapeTest(shape: CheckShape, m: Matcher | undefined): (v: Extracted) => boolean {
  switch (shape) {
    case 'scalar':
      return (v) => v !== undefined && m!(v as Scalar);
    case 'every':
      return (v) => {
        if (v === undefined) return false;
        if (!Array.isArray(v)) return m!(v as Scalar);
        for (const x of v as readonly Scalar[]) if (!m!(x)) return false;
        return true;
      };
    case 'some':
      return (v) => {
        if (v === undefined) return false;
        if (!Array.isArray(v)) return m!(v as Scalar);
        for (const x of v as readonly Scalar[]) if (m!(x)) return true;
        return false;
      };
    case 'all-nonempty':
      return (v) => {
        if (v === undefined) return false;
        if (!Array.isArray(v)) return m!(v as Scalar);
        if (v.length === 0) return false;
        for (const x of v as readonly Scalar[]) if (!m!(x)) return false;
        return true;
      };
    case 'exists':
      return (v) => v !== undefined;
    case 'exists-list':
      return (v) => v !== undefined && (!Array.isArray(v) || v.length > 0);
  }
}

/**
 * A value index for sources without event types (the JSON "plugin" sources: k8s_audit,
 * aws_cloudtrail, okta, github...). Falco indexes syscall rules by `evt.type`; their rules name
 * other fields instead (`ka.verb = create`, `ct.name = "RunInstances"`, `okta.evt.type = ...`).
 * For one text field per source, the index keeps, per value a rule requires, the rules an event
 * with that value can match: a rule whose condition holds only when the field equals one of a
 * few values is skipped for events with any other value, without being evaluated.
 *
 * Exact: a rule is left out only when its condition is false for that value (string `=`/`in`
 * compare whole text, and text after a NUL is ignored as libsinsp does; a missing or non-text
 * value equals nothing). Leaving a rule out is like the short-circuit of `and`: its other fields
 * are not read for that event (a rule whose condition throws on it no longer does so).
 */
import type { Expr } from '../condition/ast.js';
import { kindOf } from '../condition/value-kinds.js';
import type { Extractor, SourceDef } from '../fields/types.js';
import type { CompiledRule } from './compile.js';

/** Values of `field` a condition requires; `undefined` when it requires none. */
export function requiredValues(expr: Expr, field: string): ReadonlySet<string> | undefined {
  const visit = (e: Expr, inverted: boolean): Set<string> | undefined => {
    switch (e.kind) {
      case 'and':
      case 'or': {
        // Under `not`, De Morgan swaps the two: `not (a and b)` is `not a or not b`.
        const intersect = (e.kind === 'and') !== inverted;
        let out: Set<string> | undefined;
        for (const child of e.children) {
          const s = visit(child, inverted);
          if (intersect) {
            if (s === undefined) continue;
            out = out === undefined ? s : new Set([...out].filter((v) => s.has(v)));
          } else {
            if (s === undefined) return undefined;
            out = out === undefined ? s : new Set([...out, ...s]);
          }
        }
        return out;
      }
      case 'not':
        return visit(e.child, !inverted);
      case 'binary': {
        if (e.left.kind !== 'field' || e.left.name !== field || e.left.arg !== undefined) return undefined;
        const values =
          e.right.kind === 'value' ? [e.right.value] : e.right.kind === 'list' ? e.right.values : undefined;
        if (values === undefined) return undefined;
        if (e.op === '=' || e.op === '==' || e.op === 'in') return inverted ? undefined : new Set(values);
        if (e.op === '!=' && values.length === 1) return inverted ? new Set(values) : undefined;
        return undefined;
      }
      default:
        return undefined;
    }
  };
  return visit(expr, false);
}

/** Plain text fields compared with `=`/`in` in a condition (candidates for the index). */
function comparedFields(expr: Expr, out: Set<string>): void {
  switch (expr.kind) {
    case 'and':
    case 'or':
      for (const c of expr.children) comparedFields(c, out);
      return;
    case 'not':
      comparedFields(expr.child, out);
      return;
    case 'binary':
      if (expr.left.kind === 'field' && expr.left.arg === undefined) out.add(expr.left.name);
      return;
    default:
      return;
  }
}

/** The rules an event of one source may match, by the value of one field. */
export interface ValueIndex {
  field: string;
  extract: Extractor;
  /** Per value some rule requires: the rules (in order) an event with that value may match. */
  byValue: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules that require no value: all an event with any other value (or none) may match. */
  rest: readonly CompiledRule[];
}

/** A text field read as one scalar, so `=` and `in` on it mean whole-text equality. */
function indexable(def: SourceDef, name: string): Extractor | undefined {
  const field = def.field(name);
  if (!field || field.isList || field.arg?.required || kindOf(field.type) !== 'str') return undefined;
  try {
    const bound = def.bind(name, undefined);
    return bound.mode === 'scalar' && !bound.def.isList ? bound.extract : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the index over the field that the most rules require values of; undefined when fewer
 * than two rules would be skipped by any field (the index would not pay for its lookup).
 */
export function buildValueIndex(def: SourceDef, rules: readonly CompiledRule[]): ValueIndex | undefined {
  const fields = new Set<string>();
  for (const r of rules) comparedFields(r.expandedCondition, fields);
  let best:
    | { field: string; extract: Extractor; sets: (ReadonlySet<string> | undefined)[]; n: number }
    | undefined;
  for (const field of [...fields].sort()) {
    const extract = indexable(def, field);
    if (!extract) continue;
    const sets = rules.map((r) => requiredValues(r.expandedCondition, field));
    const n = sets.filter((s) => s !== undefined).length;
    if (n >= 2 && (!best || n > best.n)) best = { field, extract, sets, n };
  }
  if (!best) return undefined;
  const { sets } = best;
  const values = new Set<string>();
  for (const s of sets) if (s) for (const v of s) values.add(v);
  const byValue = new Map<string, CompiledRule[]>();
  for (const v of values)
    byValue.set(
      v,
      rules.filter((_, i) => sets[i] === undefined || sets[i]?.has(v)),
    );
  return {
    field: best.field,
    extract: best.extract,
    byValue,
    rest: rules.filter((_, i) => sets[i] === undefined),
  };
}

/** The rules of the index an event may match; `all` when its field cannot be read. */
export function rulesByValue(
  index: ValueIndex,
  event: unknown,
  all: readonly CompiledRule[],
): readonly CompiledRule[] {
  let v: unknown;
  try {
    v = index.extract(event);
  } catch {
    // Let the rules themselves meet whatever made the field unreadable, as before the index.
    return all;
  }
  if (typeof v !== 'string') return index.rest;
  const nul = v.indexOf('\0');
  return index.byValue.get(nul === -1 ? v : v.slice(0, nul)) ?? index.rest;
}

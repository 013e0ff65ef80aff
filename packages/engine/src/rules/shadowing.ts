/**
 * Rule shadowing under `rule_matching: first`: Falco stops at the first rule that matches an
 * event, so a rule every one of whose events an earlier rule of its source also matches can never
 * fire. The check is sound, not complete: it reports a pair only when the later rule's condition
 * provably implies the earlier one's (conjunction of the same or stronger checks: equal values, a
 * smaller `in` list, a longer `startswith` prefix, a negation of a larger list, ...); conditions it
 * cannot compare are never reported.
 */
import type { Expr, Node, Operand, Rhs } from '../condition/ast.js';
import type { CompiledRule } from './compile.js';
import type { Range } from './diagnostics.js';
import type { RuleSet } from './ruleset.js';

/** A rule that cannot fire because an earlier rule takes all its events. */
export interface ShadowedRule {
  source: string;
  /** The rule that never fires. */
  rule: string;
  range: Range;
  /** The earlier rule that takes its events. */
  by: string;
  byRange: Range;
}

/** The pairs of `ruleset` (when its rule matching is `first`), each shadowed rule once. */
export function findShadowedRules(ruleset: RuleSet): ShadowedRule[] {
  if (ruleset.options.ruleMatching !== 'first') return [];
  const bySource = new Map<string, CompiledRule[]>();
  for (const r of ruleset.rules) {
    if (!ruleset.isEnabled(r.name)) continue;
    const list = bySource.get(r.source) ?? [];
    list.push(r);
    bySource.set(r.source, list);
  }
  const out: ShadowedRule[] = [];
  for (const [source, rules] of bySource) {
    const conjunctions = rules.map((r) => conjuncts(r.expandedCondition));
    for (let j = 1; j < rules.length; j++) {
      const later = rules[j]!;
      for (let i = 0; i < j; i++) {
        const earlier = rules[i]!;
        // Cheap first: a later rule that can see an event type the earlier one cannot is not
        // shadowed by it.
        if (!coversTypes(earlier.eventCodes, later.eventCodes)) continue;
        if (!implies(conjunctions[j]!, earlier.expandedCondition)) continue;
        out.push({
          source,
          rule: later.name,
          range: later.ctx.last.range,
          by: earlier.name,
          byRange: earlier.ctx.last.range,
        });
        break;
      }
    }
  }
  return out;
}

function coversTypes(earlier: readonly number[] | undefined, later: readonly number[] | undefined): boolean {
  if (earlier === undefined) return true;
  if (later === undefined) return false;
  const have = new Set(earlier);
  return later.every((c) => have.has(c));
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.children.flatMap(conjuncts) : [e];
}

/**
 * True when the conjunction `facts` implies `goal` (every event satisfying all facts satisfies
 * goal). `splits` bounds the case analysis on `or` facts, which is exponential in their number.
 */
function implies(facts: readonly Expr[], goal: Expr, splits = 1): boolean {
  if (goal.kind === 'and') return goal.children.every((c) => implies(facts, c, splits));
  const key = canonical(goal);
  for (const f of facts) {
    if (canonical(f) === key || atomImplies(f, goal)) return true;
  }
  if (goal.kind === 'or' && goal.children.some((c) => implies(facts, c, splits))) return true;
  if (splits === 0) return false;
  // A fact `x or y` implies the goal when each of its cases does.
  for (const f of facts) {
    if (f.kind !== 'or') continue;
    const rest = facts.filter((o) => o !== f);
    if (f.children.every((c) => implies([...rest, ...conjuncts(c)], goal, splits - 1))) return true;
  }
  return false;
}

function atomImplies(fact: Expr, goal: Expr): boolean {
  // not X implies not Y when Y implies X.
  if (fact.kind === 'not' && goal.kind === 'not') return implies(conjuncts(goal.child), fact.child);
  if (fact.kind !== 'binary' || goal.kind !== 'binary') return false;
  if (canonical(fact.left) !== canonical(goal.left)) return false;
  const have = valuesOf(fact.op, fact.right);
  if (!have) return false;
  const want = literal(goal.right);
  switch (goal.op) {
    case '=':
    case '==':
      return want !== undefined && have.kind === 'set' && have.values.length === 1 && have.values[0] === want;
    case 'in': {
      const allowed = literalList(goal.right);
      return allowed !== undefined && have.kind === 'set' && have.values.every((v) => allowed.has(v));
    }
    case 'startswith':
      return want !== undefined && every(have, (v) => v.startsWith(want), ['startswith']);
    case 'endswith':
      return want !== undefined && every(have, (v) => v.endsWith(want), ['endswith']);
    case 'contains':
      return (
        want !== undefined && every(have, (v) => v.includes(want), ['startswith', 'endswith', 'contains'])
      );
    default:
      return false;
  }
}

/** What a fact says of its operand's value: one of a set, or a text property (`startswith p`). */
type Known = { kind: 'set'; values: string[] } | { kind: 'text'; op: string; value: string };

function valuesOf(op: string, right: Rhs): Known | undefined {
  if (op === '=' || op === '==') {
    const v = literal(right);
    return v === undefined ? undefined : { kind: 'set', values: [v] };
  }
  if (op === 'in') {
    const list = literalList(right);
    return list === undefined ? undefined : { kind: 'set', values: [...list] };
  }
  if (op === 'startswith' || op === 'endswith' || op === 'contains') {
    const v = literal(right);
    return v === undefined ? undefined : { kind: 'text', op, value: v };
  }
  return undefined;
}

/** Every value the fact allows has the property; for a text fact, when its op is one of `ops`. */
function every(have: Known, test: (v: string) => boolean, ops: readonly string[]): boolean {
  if (have.kind === 'set') return have.values.every(test);
  return ops.includes(have.op) && test(have.value);
}

function literal(right: Rhs): string | undefined {
  if (right.kind === 'value') return right.value;
  if (right.kind === 'list' && right.values.length === 1) return right.values[0];
  return undefined;
}

function literalList(right: Rhs): Set<string> | undefined {
  if (right.kind === 'list') return new Set(right.values);
  if (right.kind === 'value') return new Set([right.value]);
  return undefined;
}

const keys = new WeakMap<object, string>();

/** A position-free rendering of a node: two nodes with equal keys are the same check. */
function canonical(node: Node | Operand): string {
  let key = keys.get(node);
  if (key === undefined) {
    key = JSON.stringify(node, (k, v) => (k === 'pos' || k === 'end' ? undefined : v));
    keys.set(node, key);
  }
  return key;
}

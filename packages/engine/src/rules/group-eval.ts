/**
 * One generated evaluator per group of rules (a source's candidates for one event type): the
 * rules' condition plans (condition/plan.ts) folded for the known event type and written out as
 * one JavaScript function, so that per event
 *
 * - each field is read at most once (a local per distinct read),
 * - a subexpression several rules contain (a macro such as `spawned_process`, `container`, a
 *   repeated check) is computed at most once (a local per structural key),
 * - `evt.type` checks are constants, and the and/or tree is plain `&&` / `||` that the JIT
 *   compiles per group instead of a tree of closures whose call sites every rule shares.
 *
 * Results are those of the rules' own filters (the differential test compares them); where code
 * cannot be generated (a browser page, whose Content-Security-Policy forbids eval) the RuleSet
 * runs the closures instead.
 */
import { cStringEquals } from '../condition/matchers.js';
import { type CheckPlan, type Plan, shapeTest } from '../condition/plan.js';
import type { CompiledRule } from './compile.js';

/** Appends the group's matching rules to `out`, in order (only the first with `first`). */
export type GroupEvaluator = (event: unknown, out: CompiledRule[]) => void;

let generationAllowed: boolean | undefined;

/**
 * True where `new Function` may run. A browser page is never tried: the console's policy forbids
 * eval, and even a caught attempt is reported as a violation.
 */
export function canGenerateCode(): boolean {
  if (generationAllowed === undefined) {
    if (typeof (globalThis as { document?: unknown }).document !== 'undefined') generationAllowed = false;
    else {
      try {
        generationAllowed = new Function('return 1')() === 1;
      } catch {
        generationAllowed = false;
      }
    }
  }
  return generationAllowed;
}

type Folded = Plan | boolean;

/** The plan with `evt.type` checks replaced by their result for `type`, and/or/not simplified. */
function folder(type: string | undefined): (p: Plan) => Folded {
  const done = new Map<Plan, Folded>();
  const fold = (p: Plan): Folded => {
    const hit = done.get(p);
    if (hit !== undefined) return hit;
    let out: Folded;
    switch (p.kind) {
      case 'check':
        out = type !== undefined && p.onType !== undefined ? p.onType(type) : p;
        break;
      case 'not': {
        const c = fold(p.child);
        out = typeof c === 'boolean' ? !c : c === p.child ? p : { kind: 'not', key: `!(${c.key})`, child: c };
        break;
      }
      default: {
        const absorbing = p.kind === 'or';
        const kept: Plan[] = [];
        let decided = false;
        for (const c of p.children) {
          const f = fold(c);
          if (f === absorbing) {
            decided = true;
            break;
          }
          if (typeof f !== 'boolean') kept.push(f);
        }
        if (decided) out = absorbing;
        else if (kept.length === 0) out = !absorbing;
        else if (kept.length === 1) out = kept[0]!;
        else if (kept.length === p.children.length && kept.every((c, i) => c === p.children[i])) out = p;
        else {
          const sym = p.kind === 'and' ? '&' : '|';
          out = { kind: p.kind, key: `${sym}(${kept.map((c) => c.key).join(',')})`, children: kept };
        }
      }
    }
    done.set(p, out);
    return out;
  };
  return fold;
}

/** Checks cheap enough inline that a memo would cost as much as the check itself. */
function cheapCheck(p: CheckPlan): boolean {
  if (p.read === undefined) return false;
  if (p.shape === 'exists') return true;
  if (p.shape !== 'scalar' || p.info === undefined) return false;
  return p.info.kind !== 'str-set' && p.info.kind !== 'str-contains';
}

/**
 * Generates the evaluator of `rules` (all with plans) for events of `type` (undefined: any type
 * of the source). Undefined when code cannot be generated here.
 */
export function generateGroupEvaluator(
  rules: readonly CompiledRule[],
  type: string | undefined,
  first: boolean,
): GroupEvaluator | undefined {
  if (!canGenerateCode() || rules.some((r) => r.plan === undefined)) return undefined;
  const fold = folder(type);
  const folded = rules.map((r) => fold(r.plan!));

  // Subexpressions met more than once (by key); a repeat's own children are not counted again,
  // since the memo of the repeat answers for them.
  const seen = new Map<string, number>();
  const count = (p: Folded) => {
    if (typeof p === 'boolean') return;
    const n = seen.get(p.key) ?? 0;
    seen.set(p.key, n + 1);
    if (n > 0) return;
    if (p.kind === 'not') count(p.child);
    else if (p.kind !== 'check') for (const c of p.children) count(c);
  };
  for (const p of folded) count(p);

  const consts: unknown[] = [];
  const constIndex = new Map<unknown, number>();
  const ref = (value: unknown): string => {
    let i = constIndex.get(value);
    if (i === undefined) {
      i = consts.length;
      consts.push(value);
      constIndex.set(value, i);
    }
    return `k${i}`;
  };
  const reads = new Map<string, number>();
  const memos = new Map<string, number>();
  const readExpr = (p: CheckPlan): string => {
    const key = p.read!.key;
    let i = reads.get(key);
    if (i === undefined) {
      i = reads.size;
      reads.set(key, i);
    }
    return `(r${i} === U ? (r${i} = ${ref(p.read!.extract)}(ev)) : r${i})`;
  };
  const check = (p: CheckPlan): string => {
    if (p.read === undefined) return `${ref(p.filter)}(ev)`;
    const v = readExpr(p);
    if (p.shape === 'exists') return `(${v} !== undefined)`;
    if (p.shape !== 'scalar') return `${ref(shapeTest(p.shape!, p.match))}(${v})`;
    const info = p.info;
    let test: string;
    if (info === undefined) test = `${ref(p.match)}(v)`;
    else {
      const lit = info.lit === undefined ? '' : JSON.stringify(info.lit);
      switch (info.kind) {
        case 'str-eq':
          test = `(v === ${lit} || CS(v, ${lit}))`;
          break;
        case 'str-ne':
          test = `(v !== ${lit} && !CS(v, ${lit}))`;
          break;
        case 'str-set':
          test = `(typeof v === 'string' && (${ref(info.set)}.has(v) || NS(v, ${ref(info.set)})))`;
          break;
        case 'str-startswith':
          test = `(typeof v === 'string' && v.startsWith(${lit}))`;
          break;
        case 'str-endswith':
          test = `(typeof v === 'string' && v.endsWith(${lit}))`;
          break;
        case 'str-contains':
          test = `(typeof v === 'string' && v.includes(${lit}))`;
          break;
      }
    }
    return `((v = ${v}) !== undefined && ${test})`;
  };
  const expr = (p: Folded): string => {
    if (typeof p === 'boolean') return String(p);
    let raw: string;
    switch (p.kind) {
      case 'check':
        raw = check(p);
        break;
      case 'not':
        raw = `!${expr(p.child)}`;
        break;
      default:
        raw = `(${p.children.map(expr).join(p.kind === 'and' ? ' && ' : ' || ')})`;
    }
    if ((seen.get(p.key) ?? 0) < 2 || (p.kind === 'check' && cheapCheck(p))) return raw;
    let m = memos.get(p.key);
    if (m === undefined) {
      m = memos.size;
      memos.set(p.key, m);
    }
    return `(m${m} === 0 ? (m${m} = ${raw} ? 1 : 2) === 1 : m${m} === 1)`;
  };

  const body: string[] = [];
  folded.forEach((p, i) => {
    if (p === false) return;
    const hit = `out.push(${ref(rules[i])});${first ? ' return;' : ''}`;
    body.push(p === true ? `${hit}` : `if (${expr(p)}) { ${hit} }`);
  });
  const locals = [
    'let v;',
    ...[...reads.values()].map((i) => `let r${i} = U;`),
    ...[...memos.values()].map((i) => `let m${i} = 0;`),
  ];
  const source = [
    '"use strict";',
    ...consts.map((_, i) => `const k${i} = K[${i}];`),
    'return function evaluateGroup(ev, out) {',
    ...locals,
    ...body,
    '};',
  ].join('\n');
  try {
    return new Function('K', 'U', 'CS', 'NS', source)(
      consts,
      UNREAD,
      cStringEquals,
      nulPrefixIn,
    ) as GroupEvaluator;
  } catch {
    return undefined;
  }
}

/** A field not read yet for this event (reads may legitimately return undefined). */
const UNREAD = Object.freeze({});

/** The set matcher's C-string rule: a value with a NUL is in the set when its part before it is. */
function nulPrefixIn(v: string, set: ReadonlySet<string>): boolean {
  const nul = v.indexOf('\0');
  return nul !== -1 && set.has(v.slice(0, nul));
}

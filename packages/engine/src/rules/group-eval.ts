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

/**
 * The group's matches for one event: with `first`, the first matching rule (undefined: none);
 * otherwise every matching rule in order (undefined: none).
 */
export type GroupEvaluator = (event: unknown) => CompiledRule | CompiledRule[] | undefined;

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

const NUM_OPS = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

/** A finite number as JavaScript source (`-0` compares as `0`). */
function numberText(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

/** Checks cheap enough inline that a memo would cost as much as the check itself. */
function cheapCheck(p: CheckPlan): boolean {
  if (p.read === undefined) return false;
  if (p.shape === 'exists') return true;
  if (p.shape !== 'scalar' || p.info === undefined) return false;
  return p.info.kind !== 'str-set' && p.info.kind !== 'str-contains';
}

/**
 * The longest source one generated function of a group may have, in characters (both of its
 * bodies, for flat maps and for structured events). V8 optimises no function whose bytecode is
 * over 60 KiB (`--max-optimized-bytecode-size`): a group past it runs in the interpreter and the
 * baseline compilers only, several times slower. Measured with `--print-bytecode`: the openat
 * group of the three upstream files, 133 k characters, is 48.9 KiB of bytecode per body (80 % of
 * the limit), execve's 94.8 k characters 33.2 KiB; at that ratio 140 k characters are about
 * 51 KiB. A larger group is split in runs of rules, each its own function: shared reads and
 * subexpressions are then computed once per function instead of once per group (the upstream
 * rules split in half cost 1.25-1.3x, docs/BENCHMARKS.md), so groups are split only where V8
 * would not optimise them whole, and into as few runs as fit.
 */
export const MAX_GROUP_FUNCTION_SOURCE = 140_000;

/** The source of one generated function: its rules (a run of the group's, in order) and constants. */
export interface GroupFunction {
  rules: readonly CompiledRule[];
  source: string;
  consts: unknown[];
}

/**
 * The generated functions of a group: the whole group, or runs of its rules in order, each the
 * longest that fits in `maxSource` characters (a rule too long alone is a function of its own).
 * Each function reads fields and computes shared subexpressions for its own rules only, so the
 * fewer functions, and the fewer rules past the first, the less is computed twice.
 */
export function writeGroupFunctions(
  rules: readonly CompiledRule[],
  type: string | undefined,
  first: boolean,
  isFlat?: (event: Record<string, unknown>) => boolean,
  maxSource = MAX_GROUP_FUNCTION_SOURCE,
): GroupFunction[] {
  const out: GroupFunction[] = [];
  let rest = rules;
  while (rest.length > 0) {
    const whole = writeGroupFunction(rest, type, first, isFlat);
    if (whole.source.length <= maxSource || rest.length === 1) {
      out.push(whole);
      break;
    }
    // The longest prefix that fits: a rule more never makes the source shorter.
    let fits = writeGroupFunction(rest.slice(0, 1), type, first, isFlat);
    let lo = 2;
    let hi = rest.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const w = writeGroupFunction(rest.slice(0, mid), type, first, isFlat);
      if (w.source.length <= maxSource) {
        fits = w;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    out.push(fits);
    rest = rest.slice(fits.rules.length);
  }
  return out;
}

/**
 * Generates the evaluator of `rules` (all with plans) for events of `type` (undefined: any type
 * of the source): one function, or several called in order (writeGroupFunctions). Undefined when
 * code cannot be generated here.
 */
export function generateGroupEvaluator(
  rules: readonly CompiledRule[],
  type: string | undefined,
  first: boolean,
  isFlat?: (event: Record<string, unknown>) => boolean,
  maxSource = MAX_GROUP_FUNCTION_SOURCE,
): GroupEvaluator | undefined {
  if (!canGenerateCode() || rules.some((r) => r.plan === undefined)) return undefined;
  const parts: GroupEvaluator[] = [];
  for (const f of writeGroupFunctions(rules, type, first, isFlat, maxSource)) {
    try {
      parts.push(
        new Function('K', 'U', 'CV', 'CS', 'FLAT', f.source)(
          f.consts,
          UNREAD,
          cString,
          cStringEquals,
          isFlat,
        ) as GroupEvaluator,
      );
    } catch {
      return undefined;
    }
  }
  if (parts.length === 1) return parts[0];
  if (first) {
    return (event) => {
      for (const part of parts) {
        const hit = part(event);
        if (hit !== undefined) return hit;
      }
      return undefined;
    };
  }
  return (event) => {
    let out: CompiledRule[] | undefined;
    for (const part of parts) {
      const hits = part(event) as CompiledRule[] | undefined;
      if (hits === undefined) continue;
      if (out === undefined) out = hits;
      else for (const r of hits) out.push(r);
    }
    return out;
  };
}

/** The source of one function evaluating `rules` in order (see the module comment). */
function writeGroupFunction(
  rules: readonly CompiledRule[],
  type: string | undefined,
  first: boolean,
  isFlat: ((event: Record<string, unknown>) => boolean) | undefined,
): GroupFunction {
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
  /** Per read: the extractor for any event, and the one for structured events (when it has one). */
  const readFns: { any: string; structured: string }[] = [];
  const memos = new Map<string, number>();
  const cstrings = new Set<number>();
  const readIndex = (p: CheckPlan): number => {
    const read = p.read!;
    let i = reads.get(read.key);
    if (i === undefined) {
      i = reads.size;
      reads.set(read.key, i);
      const any = ref(read.extract);
      readFns.push({ any, structured: read.structured === undefined ? any : ref(read.structured) });
    }
    return i;
  };
  /**
   * The body is written twice: for flat maps, every read through the field's extractor (which
   * tells flat maps from structured events itself); for structured events, through the
   * structured extractor directly, the flat-map test made once per event instead of once per read.
   */
  let structuredBody = false;
  const readExpr = (p: CheckPlan): string => {
    const i = readIndex(p);
    const fn = structuredBody ? readFns[i]!.structured : readFns[i]!.any;
    return `(r${i} === u ? (r${i} = ${fn}(ev)) : r${i})`;
  };
  /**
   * A text read as Falco compares it, a C string (the part before a NUL), once per event;
   * undefined for a missing or non-text value. Literals never contain NUL (the compiler refuses
   * them), so the set matcher's two lookups (the value, then its part before a NUL) are one.
   */
  const cstringExpr = (p: CheckPlan): string => {
    const i = readIndex(p);
    cstrings.add(i);
    return `(c${i} === u ? (c${i} = CV(${readExpr(p)})) : c${i})`;
  };
  const check = (p: CheckPlan): string => {
    if (p.read === undefined) return `${ref(p.filter)}(ev)`;
    if (p.shape === 'scalar' && p.info !== undefined) {
      const info = p.info;
      const lit = info.lit === undefined ? '' : JSON.stringify(info.lit);
      switch (info.kind) {
        case 'str-eq':
          return `((v = ${readExpr(p)}) === ${lit} || CS(v, ${lit}))`;
        case 'str-set':
          return `${ref(info.set)}.has(${cstringExpr(p)})`;
        case 'str-ne':
          return `((v = ${readExpr(p)}) !== undefined && v !== ${lit} && !CS(v, ${lit}))`;
        case 'str-startswith':
          return `(typeof (v = ${readExpr(p)}) === 'string' && v.startsWith(${lit}))`;
        case 'str-endswith':
          return `(typeof (v = ${readExpr(p)}) === 'string' && v.endsWith(${lit}))`;
        case 'str-contains':
          return `(typeof (v = ${readExpr(p)}) === 'string' && v.includes(${lit}))`;
        case 'bool-eq':
          return `((v = ${readExpr(p)}) === ${info.bool} || v === ${info.bool ? 1 : 0})`;
        case 'bool-ne':
          return `((v = ${readExpr(p)}) !== undefined && v !== ${info.bool} && v !== ${info.bool ? 1 : 0})`;
        case 'num-cmp':
          return `(typeof (v = ${readExpr(p)}) === 'number' ? v ${NUM_OPS[info.op!]} ${numberText(info.num!)} : v !== undefined && ${ref(p.match)}(v))`;
      }
    }
    const v = readExpr(p);
    if (p.shape === 'exists') return `(${v} !== undefined)`;
    if (p.shape !== 'scalar') return `${ref(shapeTest(p.shape!, p.match))}(${v})`;
    return `((v = ${v}) !== undefined && ${ref(p.match)}(v))`;
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

  const writeBody = (): string[] => {
    const body: string[] = [];
    folded.forEach((p, i) => {
      if (p === false) return;
      const hit = first ? `return ${ref(rules[i])};` : `(out ??= []).push(${ref(rules[i])});`;
      body.push(p === true ? `${hit}` : `if (${expr(p)}) { ${hit} }`);
    });
    return body;
  };
  const anyBody = writeBody();
  const twoBodies = isFlat !== undefined && readFns.some((f) => f.structured !== f.any);
  structuredBody = true;
  const mainBody = twoBodies ? writeBody() : anyBody;
  // Every read, memo and C string was numbered by the first pass; the second reuses them.
  const locals = [
    // The not-read marker in a local: compared at every read, loaded from the closure once.
    'let v;',
    'const u = U;',
    ...[...reads.values()].map((i) => `let r${i} = u;`),
    ...[...cstrings].map((i) => `let c${i} = u;`),
    ...[...memos.values()].map((i) => `let m${i} = 0;`),
  ];
  const fn = (name: string, body: readonly string[]) => [
    `function ${name}(ev) {`,
    ...(name === 'evaluateGroup' && twoBodies ? ['if (FLAT(ev)) return evaluateFlat(ev);'] : []),
    ...(first ? [] : ['let out;']),
    ...locals,
    ...body,
    first ? 'return undefined;' : 'return out;',
    '}',
  ];
  const source = [
    '"use strict";',
    ...consts.map((_, i) => `const k${i} = K[${i}];`),
    ...(twoBodies ? fn('evaluateFlat', anyBody) : []),
    ...fn('evaluateGroup', mainBody),
    'return evaluateGroup;',
  ].join('\n');
  return { rules, source, consts };
}

/** A field not read yet for this event (reads may legitimately return undefined). */
const UNREAD = Object.freeze({});

/** A text value as a C string (up to its first NUL); undefined for anything else. */
function cString(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const nul = v.indexOf('\0');
  return nul === -1 ? v : v.slice(0, nul);
}

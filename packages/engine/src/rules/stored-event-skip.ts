/**
 * Stored events no rule can act on, told from their JSON without parsing it: a backtest lets the
 * database leave them out (it counts them as evaluated with no alert) instead of sending and
 * parsing every payload.
 *
 * Each rule's condition (its compiled plan: macros expanded, every check as the compiler built
 * it) is translated into a test of the stored JSON that holds whenever evaluating the rule on the
 * event could do anything observable: fire, throw, or move a stateful field. The translation is
 * an over-approximation: a check it cannot read exactly from the JSON (a field without a declared
 * stored member, a transformer, a list or non-text value, an operator other than the text ones)
 * may be true, false, throw or move state. An event is left out only when the test is false for
 * every rule of its source in every set: evaluating it would have fired nothing, failed on
 * nothing and moved no state, which is what counting it as evaluated without an alert says.
 */
import type { CheckPlan, Plan } from '../condition/plan.js';
import type { SourceDef } from '../fields/types.js';
import { ENVELOPE_KEYS, pointerTokens } from '../sources/plugin/common.js';
import type { RuleSet } from './ruleset.js';

/**
 * A test of one stored event's JSON (paths walk object members from the top of the event, the
 * collector's `{ts, payload}` envelope). The text tests hold only for a JSON string member (a
 * store's JSON never holds U+0000; a string that does is no text here).
 */
export type StoredTest =
  | boolean
  | { kind: 'and' | 'or'; parts: readonly StoredTest[] }
  | { kind: 'not'; part: StoredTest }
  /** The member is a JSON string. */
  | { kind: 'text'; path: readonly string[] }
  /** The member is a JSON string equal to one of `values`. */
  | { kind: 'in'; path: readonly string[]; values: readonly string[] }
  /** The member is a JSON string that starts with, ends with or contains `value`. */
  | { kind: 'startswith' | 'endswith' | 'contains'; path: readonly string[]; value: string }
  /** The member exists (any JSON value, null included). */
  | { kind: 'has'; path: readonly string[] };

/**
 * Every part must hold for an event to be skipped. Paths walk object members from the top of
 * the stored event (the collector's `{ts, payload}` envelope).
 */
export interface StoredEventSkip {
  /** The event is a JSON object with no top-level key but these (so it is no flat map). */
  keys: readonly string[];
  /** Members of these JSON types (`ts` a string, `payload` an object: it is an envelope). */
  types: readonly { path: readonly string[]; type: 'string' | 'object' }[];
  /** False: some rule of some set may act on the event (fire, throw, move state). */
  may: StoredTest;
}

const key = (t: StoredTest) => JSON.stringify(t);

/** `and` of tests, folded: constants dropped or deciding, nested `and`s flattened, repeats once. */
export function allOf(parts: readonly StoredTest[]): StoredTest {
  const out: StoredTest[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (p === true) continue;
    if (p === false) return false;
    for (const q of typeof p === 'object' && p.kind === 'and' ? p.parts : [p]) {
      const k = key(q);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(q);
      }
    }
  }
  return out.length === 0 ? true : out.length === 1 ? (out[0] as StoredTest) : { kind: 'and', parts: out };
}

/**
 * `or` of tests, folded like allOf, and a conjunct shared by several alternatives taken out
 * (`(a and b) or (a and c)` is `a and (b or c)`): rules share their macros' checks, and the
 * database then tests them once for all.
 */
export function anyOf(parts: readonly StoredTest[]): StoredTest {
  const flat: StoredTest[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (p === false) continue;
    if (p === true) return true;
    for (const q of typeof p === 'object' && p.kind === 'or' ? p.parts : [p]) {
      const k = key(q);
      if (!seen.has(k)) {
        seen.add(k);
        flat.push(q);
      }
    }
  }
  // Alternatives of one member's values are one lookup: `x in (a) or x in (b)` is `x in (a, b)`.
  const ins = new Map<string, { kind: 'in'; path: readonly string[]; values: string[] }>();
  for (let i = 0; i < flat.length; i++) {
    const t = flat[i] as StoredTest;
    if (typeof t !== 'object' || t.kind !== 'in') continue;
    const k = JSON.stringify(t.path);
    const first = ins.get(k);
    if (!first) {
      const merged = { kind: 'in' as const, path: t.path, values: [...t.values] };
      ins.set(k, merged);
      flat[i] = merged;
    } else {
      for (const v of t.values) if (!first.values.includes(v)) first.values.push(v);
      flat.splice(i--, 1);
    }
  }
  if (flat.length === 0) return false;
  if (flat.length === 1) return flat[0] as StoredTest;
  // The conjunct most alternatives share (ties: the first met), if two or more do.
  const conjuncts = (t: StoredTest) => (typeof t === 'object' && t.kind === 'and' ? t.parts : [t]);
  const count = new Map<string, { n: number; test: StoredTest }>();
  for (const alt of flat)
    for (const c of conjuncts(alt)) {
      const k = key(c);
      const e = count.get(k);
      if (e) e.n++;
      else count.set(k, { n: 1, test: c });
    }
  let best: { n: number; test: StoredTest } | undefined;
  for (const e of count.values()) if (e.n >= 2 && (!best || e.n > best.n)) best = e;
  if (!best) return { kind: 'or', parts: flat };
  const shared = key(best.test);
  const withIt: StoredTest[] = [];
  const rest: StoredTest[] = [];
  for (const alt of flat) {
    const cs = conjuncts(alt);
    if (cs.some((c) => key(c) === shared)) withIt.push(allOf(cs.filter((c) => key(c) !== shared)));
    else rest.push(alt);
  }
  const factored = allOf([best.test, anyOf(withIt)]);
  return rest.length === 0 ? factored : { kind: 'or', parts: [factored, ...conjunctsOr(anyOf(rest))] };
}

/** The alternatives of a test (itself when it is no `or`). */
function conjunctsOr(t: StoredTest): StoredTest[] {
  return typeof t === 'object' && t.kind === 'or' ? [...t.parts] : [t];
}

/** Negation, folded (constants, double negation). */
export function negate(t: StoredTest): StoredTest {
  if (typeof t === 'boolean') return !t;
  return t.kind === 'not' ? t.part : { kind: 'not', part: t };
}

/**
 * What evaluating a plan may do on an event: be true (`t`), be false (`f`), or have an effect
 * (`e`: throw, or move a stateful field). Each holds whenever that can happen.
 */
interface May {
  t: StoredTest;
  f: StoredTest;
  e: StoredTest;
}

const UNKNOWN: May = { t: true, f: true, e: true };

/** A UTF-16 surrogate without its other half (Postgres text cannot hold it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A member name the database walks as the engine does (never an array index there). */
const plainMember = (k: string) => k !== '' && !/^[\s+-]*\d/.test(k);

/**
 * The stored member a field read takes its text from: `path` from the top of the stored event,
 * and `requires`, a member without which the field is missing. Undefined for anything else
 * (transformers, fields without a declared member, pointers into arrays).
 */
function storedMember(
  def: SourceDef,
  readKey: string,
): { path: readonly string[]; requires?: readonly string[] } | undefined {
  let node: { kind?: unknown; name?: unknown; arg?: unknown };
  try {
    node = JSON.parse(readKey) as typeof node;
  } catch {
    return undefined;
  }
  if (node.kind !== 'field' || typeof node.name !== 'string') return undefined;
  const field = def.field(node.name);
  if (!field || field.isList) return undefined;
  if (node.arg === undefined) {
    if (field.recordPath)
      return field.recordRequires === undefined
        ? { path: ['payload', ...field.recordPath] }
        : { path: ['payload', ...field.recordPath], requires: ['payload', field.recordRequires] };
    if (field.envelopePath) return { path: field.envelopePath };
    return undefined;
  }
  if (typeof node.arg !== 'string' || !field.recordPointer) return undefined;
  const tokens = pointerTokens(node.arg);
  if (tokens.length === 0 || !tokens.every(plainMember)) return undefined;
  return { path: ['payload', ...tokens] };
}

/**
 * One check: exact for text tests of a declared member whose value is a JSON string or that is
 * not there (the field is then missing: every check false).
 */
function check(p: CheckPlan, def: SourceDef): May {
  const member = p.read && storedMember(def, p.read.key);
  if (!member) return UNKNOWN;
  const { path } = member;
  // The envelope's `ts` is text wherever the skip applies (StoredEventSkip.types).
  if (path.length === 1 && path[0] === 'ts') return textMember(p, path, true);
  return textMember(p, path, member.requires ? { kind: 'has', path: member.requires } : true, false);
}

/** A check of a field that is the text at `path` when `present` holds (`known`: it is text). */
function textMember(p: CheckPlan, path: readonly string[], present: StoredTest, known = true): May {
  // A member that is there but no JSON string: the field reads something else (JSON text of a
  // number...). Where there is no member (nor an object on the way) the field is missing.
  const text: StoredTest = known ? true : { kind: 'text', path };
  const other = known ? false : allOf([{ kind: 'has', path }, negate(text)]);
  const notText = negate(text);
  if (p.shape === 'exists')
    return { t: anyOf([other, allOf([text, present])]), f: anyOf([notText, negate(present)]), e: false };
  const info = p.info;
  if (p.shape !== 'scalar' || !info) return UNKNOWN;
  // Literals the database would not compare as the engine does (lone surrogates) stay unknown.
  const lits = info.kind === 'str-set' ? [...(info.set ?? [])] : [info.lit ?? ''];
  if (!lits.every((l) => typeof l === 'string' && !LONE_SURROGATE.test(l))) return UNKNOWN;
  let match: StoredTest;
  switch (info.kind) {
    case 'str-eq':
    case 'str-set':
      match = { kind: 'in', path, values: lits };
      break;
    case 'str-ne':
      match = allOf([{ kind: 'text', path }, negate({ kind: 'in', path, values: lits })]);
      break;
    case 'str-startswith':
      match = { kind: 'startswith', path, value: lits[0] as string };
      break;
    case 'str-endswith':
      match = { kind: 'endswith', path, value: lits[0] as string };
      break;
    case 'str-contains':
      match = { kind: 'contains', path, value: lits[0] as string };
      break;
    default:
      return UNKNOWN;
  }
  // `match` implies the member is text; the check holds when the field is there and matches.
  return { t: anyOf([other, allOf([present, match])]), f: anyOf([negate(present), negate(match)]), e: false };
}

/** A plan, in the order the compiled closure runs it (`and`/`or` stop at the deciding child). */
function translate(p: Plan, def: SourceDef): May {
  switch (p.kind) {
    case 'check':
      return check(p, def);
    case 'not': {
      const c = translate(p.child, def);
      return { t: c.f, f: c.t, e: c.e };
    }
    default: {
      const and = p.kind === 'and';
      // `going`: every child so far gave the value that lets evaluation go on to the next.
      let going: StoredTest = true;
      const stops: StoredTest[] = [];
      const effects: StoredTest[] = [];
      for (const child of p.children) {
        const c = translate(child, def);
        effects.push(allOf([going, c.e]));
        stops.push(allOf([going, and ? c.f : c.t]));
        going = allOf([going, and ? c.t : c.f]);
      }
      const stop = anyOf(stops);
      return and ? { t: going, f: stop, e: anyOf(effects) } : { t: stop, f: going, e: anyOf(effects) };
    }
  }
}

/**
 * The stored events of `source` in an envelope that no rule of `sets` can act on, or undefined
 * when any event may have one (every event is read).
 */
export function storedEventSkip(sets: readonly RuleSet[], source: string): StoredEventSkip | undefined {
  const def = sets.map((s) => s.sourceDef(source)).find((d) => d !== undefined);
  const mays: StoredTest[] = [];
  for (const set of sets) {
    for (const rule of set.activeRules) {
      if (rule.source !== source) continue;
      if (!def || !rule.plan) return undefined;
      const m = translate(rule.plan, def);
      mays.push(anyOf([m.t, m.e]));
    }
  }
  const may = anyOf(mays);
  if (may === true) return undefined;
  return {
    keys: ENVELOPE_KEYS,
    types: [
      { path: ['ts'], type: 'string' },
      { path: ['payload'], type: 'object' },
    ],
    may,
  };
}

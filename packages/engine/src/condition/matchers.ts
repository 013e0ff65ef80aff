/**
 * Comparison closures. Everything that depends only on the right-hand literal (case-folded
 * text, decoded hex, compiled globs/regexes, sets) is computed here once, at compile time; the
 * returned matcher does no allocation per call for the common operators.
 */
import type { IpValue, NetValue, Scalar } from '../fields/types.js';
import { compileGlob } from './glob.js';
import { ipEquals, netContains } from './ip.js';
import { compilePmatch } from './pmatch.js';
import { compileRegex } from './regex.js';
import { normInt, type ValueKind } from './value-kinds.js';

/** Tests one extracted (non-missing, scalar) value. */
export type Matcher = (v: Scalar) => boolean;

/** Operators after `=`/`==` folding, without modifier. */
export type BaseOp =
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'contains'
  | 'icontains'
  | 'bcontains'
  | 'startswith'
  | 'bstartswith'
  | 'endswith'
  | 'glob'
  | 'iglob'
  | 'regex'
  | 'in'
  | 'intersects'
  | 'pmatch';

const OPS: Readonly<Record<string, BaseOp>> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
  contains: 'contains',
  icontains: 'icontains',
  bcontains: 'bcontains',
  startswith: 'startswith',
  bstartswith: 'bstartswith',
  endswith: 'endswith',
  glob: 'glob',
  iglob: 'iglob',
  regex: 'regex',
  in: 'in',
  intersects: 'intersects',
  pmatch: 'pmatch',
};

/** Maps operator text to its base operator. */
export function baseOp(op: string): BaseOp | undefined {
  return Object.hasOwn(OPS, op) ? OPS[op] : undefined;
}

function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** ASCII case-insensitive substring search (strcasestr) without allocating. */
export function includesIgnoreCase(hay: string, needleLower: string): boolean {
  const n = needleLower.length;
  if (n === 0) return true;
  const first = needleLower.charCodeAt(0);
  outer: for (let i = 0; i + n <= hay.length; i++) {
    if (lowerCode(hay.charCodeAt(i)) !== first) continue;
    for (let j = 1; j < n; j++) {
      if (lowerCode(hay.charCodeAt(i + j)) !== needleLower.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}

function bytesOf(v: Scalar): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

/** Byte-sequence search. */
export function bytesIndexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const n = needle.length;
  if (n === 0) return from;
  outer: for (let i = from; i + n <= hay.length; i++) {
    for (let j = 0; j < n; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesStartWith(a: Uint8Array, p: Uint8Array): boolean {
  if (p.length > a.length) return false;
  for (let i = 0; i < p.length; i++) if (a[i] !== p[i]) return false;
  return true;
}

function bytesEndWith(a: Uint8Array, p: Uint8Array): boolean {
  const off = a.length - p.length;
  if (off < 0) return false;
  for (let i = 0; i < p.length; i++) if (a[off + i] !== p[i]) return false;
  return true;
}

function isAddr(v: Scalar): v is IpValue | NetValue {
  return typeof v === 'object' && !(v instanceof Uint8Array) && (v.kind === 'ip' || v.kind === 'net');
}

type Num = number | bigint;

function asNum(v: Scalar): Num | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return normInt(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/**
 * Matcher for `v op lit` with one literal. `lit` is already parsed for the kind (see
 * parseLiteral); for `bcontains`/`bstartswith` it is the decoded hex bytes.
 */
export function literalMatcher(op: BaseOp, kind: ValueKind, lit: Scalar): Matcher {
  switch (kind) {
    case 'str':
      return stringMatcher(op, lit as string);
    case 'bytes': {
      const b = lit as Uint8Array;
      switch (op) {
        case 'eq':
          return (v) => bytesEqual(bytesOf(v) ?? EMPTY, b);
        case 'ne':
          return (v) => !bytesEqual(bytesOf(v) ?? EMPTY, b);
        case 'contains':
        case 'bcontains':
          return (v) => bytesIndexOf(bytesOf(v) ?? EMPTY, b) >= 0;
        case 'startswith':
        case 'bstartswith':
          return (v) => bytesStartWith(bytesOf(v) ?? EMPTY, b);
        case 'endswith':
          return (v) => bytesEndWith(bytesOf(v) ?? EMPTY, b);
        default:
          return () => false;
      }
    }
    case 'ip':
    case 'net': {
      const a = lit as IpValue | NetValue;
      const eq: Matcher =
        a.kind === 'net' ? (v) => isAddr(v) && netContains(a, v) : (v) => isAddr(v) && ipEquals(v, a);
      if (op === 'eq' || op === 'in' || op === 'intersects') return eq;
      if (op === 'ne') return (v) => !eq(v);
      return () => false;
    }
    case 'bool': {
      const n = lit ? 1 : 0;
      const eq: Matcher = (v) => v === lit || v === n;
      if (op === 'eq' || op === 'in' || op === 'intersects') return eq;
      if (op === 'ne') return (v) => !eq(v);
      return () => false;
    }
    default:
      return numberMatcher(op, lit as Num);
  }
}

const EMPTY = new Uint8Array(0);

function numberMatcher(op: BaseOp, lit: Num): Matcher {
  // Mixed number/bigint relational comparisons are exact in JavaScript.
  switch (op) {
    case 'eq':
    case 'in':
    case 'intersects':
      return (v) => v === lit || asNum(v) === lit;
    case 'ne':
      return (v) => v !== lit && asNum(v) !== lit;
    case 'lt':
      return (v) => (asNum(v) ?? Number.NaN) < lit;
    case 'le':
      return (v) => (asNum(v) ?? Number.NaN) <= lit;
    case 'gt':
      return (v) => (asNum(v) ?? Number.NaN) > lit;
    case 'ge':
      return (v) => (asNum(v) ?? Number.NaN) >= lit;
    default:
      return () => false;
  }
}

/**
 * Falco compares text fields as C strings: an extracted value with an embedded NUL equals the
 * literal when its part before the NUL does. Only reached after the fast `===` failed.
 */
export function cStringEquals(v: Scalar, lit: string): boolean {
  return (
    typeof v === 'string' && v.length > lit.length && v.charCodeAt(lit.length) === 0 && v.startsWith(lit)
  );
}

function stringMatcher(op: BaseOp, lit: string): Matcher {
  switch (op) {
    case 'eq':
    case 'in':
    case 'intersects':
      return (v) => v === lit || cStringEquals(v, lit);
    case 'ne':
      return (v) => v !== lit && !cStringEquals(v, lit);
    case 'lt':
      return (v) => typeof v === 'string' && v < lit;
    case 'le':
      return (v) => typeof v === 'string' && v <= lit;
    case 'gt':
      return (v) => typeof v === 'string' && v > lit;
    case 'ge':
      return (v) => typeof v === 'string' && v >= lit;
    case 'contains':
      return (v) => typeof v === 'string' && v.includes(lit);
    case 'icontains': {
      let lower = '';
      for (let i = 0; i < lit.length; i++) lower += String.fromCharCode(lowerCode(lit.charCodeAt(i)));
      return (v) => typeof v === 'string' && includesIgnoreCase(v, lower);
    }
    case 'startswith':
      return (v) => typeof v === 'string' && v.startsWith(lit);
    case 'endswith':
      return (v) => typeof v === 'string' && v.endsWith(lit);
    case 'glob':
    case 'iglob': {
      const g = compileGlob(lit, op === 'iglob');
      return (v) => typeof v === 'string' && g(v);
    }
    case 'regex': {
      const r = compileRegex(lit);
      return (v) => typeof v === 'string' && r(v);
    }
    case 'pmatch': {
      const p = compilePmatch([lit]);
      return (v) => typeof v === 'string' && p(v);
    }
    default:
      return () => false;
  }
}

/** Membership matcher for `in`/`intersects` over literal values (already parsed). */
export function setMatcher(kind: ValueKind, lits: readonly Scalar[]): Matcher {
  if (lits.length === 0) return () => false;
  if (lits.length === 1) return literalMatcher('eq', kind, lits[0]!);
  switch (kind) {
    case 'str': {
      const set = new Set(lits as readonly string[]);
      return (v) => {
        if (typeof v !== 'string') return false;
        if (set.has(v)) return true;
        const nul = v.indexOf('\0');
        return nul !== -1 && set.has(v.slice(0, nul));
      };
    }
    case 'sint':
    case 'uint':
    case 'double':
    case 'port': {
      const set = new Set<Num>(lits as readonly Num[]);
      return (v) => {
        const n = asNum(v);
        return n !== undefined && set.has(n);
      };
    }
    default: {
      const ms = lits.map((l) => literalMatcher('eq', kind, l));
      return (v) => {
        for (const m of ms) if (m(v)) return true;
        return false;
      };
    }
  }
}

/** `pmatch` over a literal set of paths. */
export function pmatchMatcher(paths: readonly string[]): Matcher {
  const p = compilePmatch(paths);
  return (v) => typeof v === 'string' && p(v);
}

function compareNum(op: BaseOp, a: Num, b: Num): boolean {
  switch (op) {
    case 'eq':
    case 'in':
    case 'intersects':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    default:
      return false;
  }
}

function compareText(op: BaseOp, v: string, r: string): boolean {
  switch (op) {
    case 'eq':
    case 'in':
    case 'intersects':
      return v === r || cStringEquals(v, r);
    case 'ne':
      return v !== r && !cStringEquals(v, r);
    case 'lt':
      return v < r;
    case 'le':
      return v <= r;
    case 'gt':
      return v > r;
    case 'ge':
      return v >= r;
    case 'contains':
      return v.includes(r);
    case 'startswith':
      return v.startsWith(r);
    case 'endswith':
      return v.endsWith(r);
    default:
      // icontains/glob/iglob against another field: build the matcher for this value (rare).
      return stringMatcher(op, r)(v);
  }
}

/**
 * Field-to-field comparison: `v op r` where both come from the event (`val()` and transformer
 * right-hand sides). Common operators compare directly, without building closures.
 */
export function dynamicCompare(op: BaseOp, kind: ValueKind, v: Scalar, r: Scalar): boolean {
  if (kind === 'str') return typeof v === 'string' && typeof r === 'string' && compareText(op, v, r);
  if (kind === 'bytes') return r instanceof Uint8Array && literalMatcher(op, kind, r)(v);
  if (kind === 'ip' || kind === 'net') {
    if (!isAddr(r) || !isAddr(v)) return false;
    const eq = r.kind === 'net' ? netContains(r, v) : ipEquals(v, r);
    return op === 'ne' ? !eq : op === 'eq' || op === 'in' || op === 'intersects' ? eq : false;
  }
  const a = asNum(v);
  const b = asNum(r);
  return a !== undefined && b !== undefined && compareNum(op, a, b);
}

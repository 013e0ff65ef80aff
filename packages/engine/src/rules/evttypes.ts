/**
 * Event-type analysis (spec §4.3): the set of event codes for which a condition can be true,
 * by set algebra with negation pushed to the leaves (De Morgan). Only plain `evt.type` /
 * `syscall.type` comparisons constrain the set; every other leaf is "all types" and neutral,
 * i.e. never complemented under `not`.
 */
import type { Expr } from '../condition/ast.js';

export interface EventTypeTable {
  /** Codes selected by an event name (empty when unknown). */
  codesOf(name: string): readonly number[];
  /** Every event code. */
  all: readonly number[];
}

/** A set of event codes as a bitset over [0, size). */
class CodeSet {
  constructor(readonly bits: Uint8Array) {}
  static empty(size: number): CodeSet {
    return new CodeSet(new Uint8Array(size));
  }
  static of(size: number, codes: readonly number[]): CodeSet {
    const s = CodeSet.empty(size);
    for (const c of codes) if (c >= 0 && c < size) s.bits[c] = 1;
    return s;
  }
  union(o: CodeSet): CodeSet {
    const r = new Uint8Array(this.bits.length);
    for (let i = 0; i < r.length; i++) r[i] = this.bits[i]! | o.bits[i]!;
    return new CodeSet(r);
  }
  intersect(o: CodeSet): CodeSet {
    const r = new Uint8Array(this.bits.length);
    for (let i = 0; i < r.length; i++) r[i] = this.bits[i]! & o.bits[i]!;
    return new CodeSet(r);
  }
  complement(all: CodeSet): CodeSet {
    const r = new Uint8Array(this.bits.length);
    for (let i = 0; i < r.length; i++) r[i] = all.bits[i]! & (this.bits[i]! ^ 1);
    return new CodeSet(r);
  }
  codes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i++) if (this.bits[i]) out.push(i);
    return out;
  }
}

const EVT_TYPE_FIELDS = new Set(['evt.type', 'syscall.type']);

/** Event codes a condition can match; the full table when it does not restrict evt.type. */
export function eventTypeCodes(expr: Expr, table: EventTypeTable): number[] {
  const size = table.all.reduce((m, c) => Math.max(m, c + 1), 0);
  const all = CodeSet.of(size, table.all);
  const named = (names: readonly string[]): CodeSet => {
    const codes: number[] = [];
    for (const n of names) codes.push(...table.codesOf(n));
    return CodeSet.of(size, codes);
  };
  const visit = (e: Expr, inverted: boolean): CodeSet => {
    switch (e.kind) {
      case 'and': {
        const sets = e.children.map((c) => visit(c, inverted));
        return sets.reduce((a, b) => (inverted ? a.union(b) : a.intersect(b)));
      }
      case 'or': {
        const sets = e.children.map((c) => visit(c, inverted));
        return sets.reduce((a, b) => (inverted ? a.intersect(b) : a.union(b)));
      }
      case 'not':
        return visit(e.child, !inverted);
      case 'unary': {
        if (e.left.kind === 'field' && EVT_TYPE_FIELDS.has(e.left.name) && e.left.arg === undefined) {
          return inverted ? CodeSet.empty(size) : all;
        }
        return all;
      }
      case 'binary': {
        const l = e.left;
        if (l.kind === 'field' && l.name === 'evt.num' && l.arg === undefined) {
          const decided = decideEvtNum(
            e.op,
            e.right.kind === 'value' ? [e.right.value] : e.right.kind === 'list' ? e.right.values : undefined,
          );
          if (decided === undefined) return all;
          const set = decided ? all : CodeSet.empty(size);
          return inverted ? set.complement(all) : set;
        }
        if (l.kind !== 'field' || !EVT_TYPE_FIELDS.has(l.name) || l.arg !== undefined) return all;
        let set: CodeSet;
        if ((e.op === '=' || e.op === '==') && e.right.kind === 'value') set = named([e.right.value]);
        else if (e.op === '!=' && e.right.kind === 'value') set = named([e.right.value]).complement(all);
        else if (e.op === 'in' && e.right.kind === 'list') set = named(e.right.values);
        else if (e.op === 'in' && e.right.kind === 'value') set = named([e.right.value]);
        else return all;
        return inverted ? set.complement(all) : set;
      }
      default:
        return all;
    }
  };
  return visit(expr, false).codes();
}

/**
 * Event numbers start at 1, so a few comparisons on plain `evt.num` are constant (libs master):
 * `= 0`, `in (0)`, `< 1`, `<= 0` are never true; `!= 0`, `> 0`, `>= 1` are always true. That is
 * how the `never_true` placeholder macro `(evt.num=0)` yields an empty event-type set.
 */
function decideEvtNum(op: string, values: readonly string[] | undefined): boolean | undefined {
  if (!values || values.length === 0 || !values.every((v) => /^[+-]?\d+$/.test(v))) return undefined;
  const nums = values.map(Number);
  const v = nums[0]!;
  switch (op) {
    case '=':
    case '==':
    case 'in':
      return nums.every((n) => n < 1) ? false : undefined;
    case '!=':
      return values.length === 1 && v < 1 ? true : undefined;
    case '<':
      return values.length === 1 && v <= 1 ? false : undefined;
    case '<=':
      return values.length === 1 && v < 1 ? false : undefined;
    case '>':
      return values.length === 1 && v < 1 ? true : undefined;
    case '>=':
      return values.length === 1 && v <= 1 ? true : undefined;
    default:
      return undefined;
  }
}

/**
 * Falco's textual list substitution (spec §1.13) and exception-to-condition expansion (§1.9),
 * reproduced exactly, with an origin map so parse errors still point into the YAML.
 */
import type { ExceptionEntry, ExceptionInfo } from './model.js';

/**
 * Condition text plus, for every character, the offset in the original text it came from (-1
 * for synthesised text).
 */
export interface MappedText {
  text: string;
  origin: number[];
}

export function mapped(text: string): MappedText {
  const origin = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) origin[i] = i;
  return { text, origin };
}

/** Synthesised text whose characters all carry `tag` (a negative origin) as their origin. */
export function tagged(text: string, tag: number): MappedText {
  return { text, origin: new Array<number>(text.length).fill(tag) };
}

export function concat(...parts: (MappedText | string)[]): MappedText {
  let text = '';
  const origin: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') {
      text += p;
      for (let i = 0; i < p.length; i++) origin.push(-1);
    } else {
      text += p.text;
      for (const o of p.origin) origin.push(o);
    }
  }
  return { text, origin };
}

/** Original offset for a position in mapped text (nearest mapped character at or before it). */
export function originOf(m: MappedText, index: number): number {
  for (let i = Math.min(index, m.text.length - 1); i >= 0; i--) {
    const o = m.origin[i]!;
    if (o >= 0) return index >= m.text.length ? o + 1 : o;
  }
  for (let i = Math.max(0, index); i < m.text.length; i++) {
    const o = m.origin[i]!;
    if (o >= 0) return o;
  }
  return -1;
}

const BLANKS = ' \t\n\r';
const DELIMS = ' \t\n\r(),=';

/** Quote an inserted item when it contains a space and is not already quoted; nothing else is escaped. */
export function quoteItem(item: string): string {
  if (item.includes(' ') && item[0] !== '"' && item[0] !== "'") return `"${item}"`;
  return item;
}

/**
 * Substitute one list into the text. Returns the new text, or the same object when the name does
 * not occur as a delimited token.
 */
export function substituteList(m: MappedText, name: string, items: readonly string[]): MappedText {
  let cnd = m.text;
  let origin = m.origin;
  let used = false;
  let start = cnd.indexOf(name);
  while (start !== -1) {
    let end = start + name.length;
    if (
      (start === 0 || DELIMS.includes(cnd[start - 1]!)) &&
      (end >= cnd.length || DELIMS.includes(cnd[end]!))
    ) {
      while (start > 0 && BLANKS.includes(cnd[start - 1]!)) start--;
      while (end < cnd.length && BLANKS.includes(cnd[end]!)) end++;
      const sub = items.map(quoteItem).join(', ');
      if (sub === '') {
        if (start > 0 && cnd[start - 1] === ',') start--;
        else if (end < cnd.length && cnd[end] === ',') end++;
      }
      const anchor = origin[Math.min(start, origin.length - 1)] ?? -1;
      const prefix = start > 0 ? `${cnd.slice(0, start)} ` : '';
      const inserted = `${sub} `;
      const next = prefix + inserted + cnd.slice(end);
      const nextOrigin = origin.slice(0, start);
      if (start > 0) nextOrigin.push(anchor);
      for (let i = 0; i < inserted.length; i++) nextOrigin.push(anchor);
      for (let i = end; i < cnd.length; i++) nextOrigin.push(origin[i]!);
      cnd = next;
      origin = nextOrigin;
      start = prefix.length + sub.length;
      used = true;
    }
    start = cnd.indexOf(name, start + 1);
  }
  return used ? { text: cnd, origin } : m;
}

const LIST_COMPS = new Set(['in', 'intersects', 'pmatch']);
const MODIFIERS = ['oneof', 'anyof', 'allof'];

/** True for comps that take a list on the right: `in`, `intersects`, `pmatch` and `op modifier`. */
export function isListComp(comp: string): boolean {
  const c = comp.trim();
  if (LIST_COMPS.has(c)) return true;
  const parts = c.split(/\s+/);
  return parts.length === 2 && MODIFIERS.includes(parts[1]!);
}

export class ExceptionShapeError extends Error {}

function valueText(v: ExceptionEntry, comp: string): string {
  if (v.isList) {
    return `(${v.items.map((i) => (i.isList ? '' : quoteItem(i.item))).join(', ')})`;
  }
  if (isListComp(comp)) {
    return v.item.startsWith('(') ? v.item : `(${v.item})`;
  }
  return quoteItem(v.item);
}

/** Build `E` for one exception (empty when it has no values). */
export function exceptionClause(ex: ExceptionInfo): string {
  if (ex.values.length === 0) return '';
  if (!ex.fields.isList) {
    const comp = ex.comps.isList ? 'in' : ex.comps.defined && ex.comps.item !== '' ? ex.comps.item : 'in';
    const vals: string[] = [];
    for (const v of ex.values) {
      if (v.isList) throw new ExceptionShapeError('Expected values array to contain a list of strings');
      vals.push(quoteItem(v.item));
    }
    return `(${ex.fields.item} ${comp} (${vals.join(', ')}))`;
  }
  const fields = ex.fields.items;
  const comps = ex.comps.isList
    ? ex.comps.items
    : fields.map(() => ({ isList: false, item: '=', defined: true }));
  const tuples: string[] = [];
  for (const tuple of ex.values) {
    if (!tuple.isList) throw new ExceptionShapeError('Fields and values lists must have equal length');
    if (tuple.items.length !== fields.length)
      throw new ExceptionShapeError('Fields and values lists must have equal length');
    const parts: string[] = [];
    tuple.items.forEach((v, k) => {
      const f = fields[k]!;
      const c = comps[k]!;
      const field = f.isList ? '' : f.item;
      const comp = c.isList ? '' : c.item;
      parts.push(` ${field} ${comp} ${valueText(v, comp)}`);
    });
    tuples.push(`(${parts.join(' and ')})`);
  }
  return tuples.length ? `(${tuples.join(' or ')})` : '';
}

/**
 * Falco's rule-load warning pass over a condition AST (after macro expansion):
 * `LOAD_UNSAFE_NA_CHECK` for `ka.*`/`jevt.*` fields compared with the literal `<NA>`, and
 * `LOAD_DEPRECATED_ITEM` for `evt.dir`/`evt.latency*`/`evt.wait_latency`. The one copy: the rules
 * compiler (rules/compile.ts) reports these warnings from here.
 */
import type { Expr, Node, Pos } from './ast.js';
import { walk } from './walk.js';

/** One warning of the Falco pass; `code` is the Falco load-result code. */
export interface FalcoWarning {
  code: 'LOAD_UNSAFE_NA_CHECK' | 'LOAD_DEPRECATED_ITEM';
  message: string;
  pos: Pos;
  field: string;
}

const NA_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'pmatch']);

/** Fields Falco warns about (LOAD_DEPRECATED_ITEM) in conditions and outputs. */
export const DEPRECATED_FIELDS: ReadonlySet<string> = new Set([
  'evt.dir',
  'evt.latency',
  'evt.latency.s',
  'evt.latency.ns',
  'evt.latency.human',
  'evt.wait_latency',
]);

/** Falco's LOAD_UNSAFE_NA_CHECK text. */
export const UNSAFE_NA_MESSAGE =
  "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.";

/** Runs Falco's warning pass; returns warnings in source order. */
export function falcoWarnings(expr: Expr): FalcoWarning[] {
  const out: FalcoWarning[] = [];
  walk(expr, (n: Node) => {
    if (n.kind === 'field' && DEPRECATED_FIELDS.has(n.name)) {
      out.push({
        code: 'LOAD_DEPRECATED_ITEM',
        message: `field '${n.name}' is deprecated`,
        pos: n.pos,
        field: n.name,
      });
    }
    if (n.kind === 'binary' && n.left.kind === 'field' && NA_OPS.has(n.op)) {
      const f = n.left.name;
      const r = n.right;
      const values = r.kind === 'value' ? [r.value] : r.kind === 'list' ? r.values : [];
      if ((f.startsWith('ka.') || f.startsWith('jevt.')) && values.includes('<NA>')) {
        out.push({
          code: 'LOAD_UNSAFE_NA_CHECK',
          message: UNSAFE_NA_MESSAGE,
          pos: n.pos,
          field: f,
        });
      }
    }
    return undefined;
  });
  return out;
}

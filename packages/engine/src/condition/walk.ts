/**
 * AST utilities for the rules loader: walking, macro substitution, and collecting what a
 * condition references.
 */
import type { Expr, FieldExpr, Node } from './ast.js';

/** Children of a node in source order. */
export function childrenOf(node: Node): Node[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children;
    case 'not':
      return [node.child];
    case 'unary':
      return [node.left];
    case 'binary':
      return [node.left, node.right];
    case 'transformer':
      return node.args;
    case 'transformer_list':
      return node.children;
    default:
      return [];
  }
}

/**
 * Pre-order walk. Return `false` from the visitor to skip a node's children.
 */
export function walk(node: Node, visit: (node: Node, parent: Node | undefined) => boolean | undefined): void {
  const go = (n: Node, parent: Node | undefined): void => {
    if (visit(n, parent) === false) return;
    for (const c of childrenOf(n)) go(c, n);
  };
  go(node, undefined);
}

/** Names of the macros (identifiers in check position) a condition references, in order, unique. */
export function collectIdentifiers(expr: Expr): string[] {
  const out = new Set<string>();
  walk(expr, (n) => {
    if (n.kind === 'identifier') out.add(n.name);
    return undefined;
  });
  return [...out];
}

/** Every field reference (both sides, inside transformers and `val()`), in source order. */
export function collectFields(expr: Expr): FieldExpr[] {
  const out: FieldExpr[] = [];
  walk(expr, (n) => {
    if (n.kind === 'field') out.push(n);
    return undefined;
  });
  return out;
}

/**
 * Replaces macro references by ASTs. `resolve(name)` returns the macro's (already expanded or
 * not) AST, or undefined to leave the identifier in place. Substitution recurses into the
 * returned ASTs; a macro that (indirectly) refers to itself throws `MacroCycleError`. The input
 * is not modified; unchanged subtrees are shared.
 *
 * `expansions` (macro body -> its expansion) carries expansions over to later calls that use
 * the same `resolve`: every reference to a macro then expands to the same AST object, which the
 * condition compiler recognises as shared work.
 */
export function substituteMacros(
  expr: Expr,
  resolve: (name: string) => Expr | undefined,
  expansions?: Map<Expr, Expr>,
): Expr {
  const active: string[] = [];
  const sub = (e: Expr): Expr => {
    switch (e.kind) {
      case 'identifier': {
        const body = resolve(e.name);
        if (body === undefined) return e;
        if (active.includes(e.name)) throw new MacroCycleError([...active, e.name]);
        // A finished expansion has no cycle through this macro (it would have thrown), and the
        // same resolve gives the same expansion.
        const known = expansions?.get(body);
        if (known !== undefined) return known;
        active.push(e.name);
        try {
          const expanded = sub(body);
          expansions?.set(body, expanded);
          return expanded;
        } finally {
          active.pop();
        }
      }
      case 'and':
      case 'or': {
        let changed = false;
        const children = e.children.map((c) => {
          const r = sub(c);
          if (r !== c) changed = true;
          return r;
        });
        return changed ? { ...e, children } : e;
      }
      case 'not': {
        const child = sub(e.child);
        return child === e.child ? e : { ...e, child };
      }
      default:
        return e;
    }
  };
  return sub(expr);
}

/** A macro refers to itself through the chain `path`. */
export class MacroCycleError extends Error {
  readonly path: readonly string[];
  constructor(path: string[]) {
    super(`macro cycle: ${path.join(' -> ')}`);
    this.path = path;
  }
}

/**
 * Canonical printing in libsinsp's AST string form (`ast::as_string`), which Falco shows as a
 * rule's "compiled condition". Not always re-parseable: `(`, `)` and `,` are never quoted.
 */
import type { Expr, Node } from './ast.js';
import { escapeValue } from './escaping.js';

function printArg(arg: string | undefined): string {
  if (arg === undefined) return '';
  return arg === '' ? '[""]' : `[${escapeValue(arg)}]`;
}

/** Prints any node the way Falco's AST printer does. */
export function printNode(node: Node): string {
  switch (node.kind) {
    case 'and':
      return `(${node.children.map(printNode).join(' and ')})`;
    case 'or':
      return `(${node.children.map(printNode).join(' or ')})`;
    case 'not':
      return `not ${printNode(node.child)}`;
    case 'identifier':
      return node.name;
    case 'value':
      return escapeValue(node.value);
    case 'list':
      return `(${node.values.map(escapeValue).join(', ')})`;
    case 'unary':
      return `${printNode(node.left)} exists`;
    case 'binary':
      return `${printNode(node.left)} ${node.op} ${printNode(node.right)}`;
    case 'field':
      return node.name + printArg(node.arg);
    case 'transformer':
      return `${node.name}(${node.args.map(printNode).join(',')})${printArg(node.arg)}`;
    case 'transformer_list':
      return `(${node.children.map(printNode).join(',')})`;
  }
}

/** Prints a condition AST in Falco's canonical form. */
export function printCondition(expr: Expr): string {
  return printNode(expr);
}

/**
 * Condition AST. Node kinds and their printed names follow libsinsp's filter AST
 * (`and`, `or`, `not`, `identifier`, `value`, `list`, `unary`, `binary`, `field`, `transformer`,
 * `transformer_list`) so position dumps and canonical printing line up with Falco's tests.
 */

/** A source position: 0-based UTF-16 offset plus 1-based line and column (CR or LF starts a line). */
export interface Pos {
  idx: number;
  line: number;
  col: number;
}

/** Fields shared by every node: where it starts (Falco's position) and the offset just past it. */
export interface NodeBase {
  pos: Pos;
  /** Offset one past the node's last character (exclusive end of its span). */
  end: number;
}

/** `a and b and c` (n-ary, at least two children). */
export interface AndExpr extends NodeBase {
  kind: 'and';
  children: Expr[];
}

/** `a or b or c` (n-ary, at least two children). */
export interface OrExpr extends NodeBase {
  kind: 'or';
  children: Expr[];
}

/** `not x`; a run of k `not`s produces one node iff k is odd. */
export interface NotExpr extends NodeBase {
  kind: 'not';
  child: Expr;
}

/** A bare identifier in check position: a macro reference. */
export interface IdentifierExpr extends NodeBase {
  kind: 'identifier';
  name: string;
}

/** `field exists`. */
export interface UnaryCheckExpr extends NodeBase {
  kind: 'unary';
  left: Operand;
  op: 'exists';
}

/**
 * `left op right`. `op` is the operator as written (`=` and `==` are kept apart), with a
 * modifier appended after one space (`== oneof`).
 */
export interface BinaryCheckExpr extends NodeBase {
  kind: 'binary';
  left: Operand;
  op: string;
  right: Rhs;
}

/** A field reference with an optional argument (`proc.aname[2]`; `arg === ''` for `[""]`). */
export interface FieldExpr extends NodeBase {
  kind: 'field';
  name: string;
  arg?: string;
}

/**
 * A transformer application: `tolower(x)`, `join(sep, (a, b))`, `getopt(args, "x:")[x]`, and
 * `val(x)` on the right-hand side.
 */
export interface TransformerExpr extends NodeBase {
  kind: 'transformer';
  name: string;
  args: TransformerArg[];
  arg?: string;
}

/** A parenthesised argument list of a multi-value transformer: `(fd.name, "x", 1)`. */
export interface TransformerListExpr extends NodeBase {
  kind: 'transformer_list';
  children: TransformerArg[];
}

/** A literal value (quoted strings already unescaped; bare strings verbatim). */
export interface ValueExpr extends NodeBase {
  kind: 'value';
  value: string;
}

/** A literal list `(a, "b", c)`. */
export interface ListExpr extends NodeBase {
  kind: 'list';
  values: string[];
}

/** Every boolean expression node. */
export type Expr = AndExpr | OrExpr | NotExpr | IdentifierExpr | UnaryCheckExpr | BinaryCheckExpr;
/** The left-hand side of a check. */
export type Operand = FieldExpr | TransformerExpr;
/** The right-hand side of a binary check (a value, a list, a list name, `val()` or a transformer). */
export type Rhs = ValueExpr | ListExpr | TransformerExpr;
/** An argument of a transformer. */
export type TransformerArg = FieldExpr | TransformerExpr | ValueExpr | TransformerListExpr;
/** Any node. */
export type Node = Expr | FieldExpr | TransformerExpr | TransformerListExpr | ValueExpr | ListExpr;

/** Transformer names accepted on the left side and inside transformer arguments. */
export const TRANSFORMERS: readonly string[] = [
  'tolower',
  'toupper',
  'b64',
  'basename',
  'len',
  'join',
  'concat',
  'getopt',
];

/** Computes line/column (1-based, CR or LF starts a new line) of an offset into `text`. */
export function posAt(text: string, offset: number): Pos {
  let line = 1;
  let col = 1;
  const stop = Math.min(offset, text.length);
  for (let i = 0; i < stop; i++) {
    const c = text.charCodeAt(i);
    col++;
    if (c === 13 || c === 10) {
      col = 1;
      line++;
    }
  }
  return { idx: offset, line, col };
}

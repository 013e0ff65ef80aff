/**
 * Recursive-descent parser for Falco conditions, following libsinsp's `filter/parser.cpp`
 * (libs master): the same blank rules, operator keyword rules, error texts, node positions and
 * recursion-depth guard. The scanner works on the cursor directly (there is no token stream)
 * because Falco's lexing is context dependent: `in` needs no trailing blank but `contains` does,
 * a bare value swallows `1and`, and `oneof` is a modifier only in a narrow window.
 */
import {
  type BinaryCheckExpr,
  type Expr,
  type FieldExpr,
  type ListExpr,
  type Operand,
  type Pos,
  type Rhs,
  TRANSFORMERS,
  type TransformerArg,
  type TransformerExpr,
  type TransformerListExpr,
  type ValueExpr,
} from './ast.js';
import { ConditionError, type ConditionErrorCode } from './errors.js';
import { EscapeError, unescapeQuoted } from './escaping.js';
import {
  CHECK_OPERATORS,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  OPERATOR_MODIFIERS,
  STRING_SYMBOL_OPERATORS,
  STRING_WORD_OPERATORS,
} from './operators.js';

/** Options of `parseCondition`. */
export interface ParseOptions {
  /**
   * Maximum nesting of guarded parser frames (libsinsp default 100; Falco uses 1000 for rule
   * conditions). Each parenthesis level costs 5 frames.
   */
  maxDepth?: number;
}

// POSIX classes as RE2 reads them: [[:space:]] is \t \n \v \f \r and space (not \b).
const RGX_NOT_BLANK = /not[\t\n\v\f\r ]+/y;
const RGX_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RGX_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RGX_FIELD_ARG_BARE = /[^\]["'\t\n\v\f\r ]+/y;
const RGX_HEX_NUM = /0[xX][0-9a-zA-Z]+/y;
const RGX_NUMBER = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
const RGX_BARE_STR = /[^()"'\t\n\v\f\r =,]+/y;

const TRANSFORMERS_WITH_VAL = ['val', ...TRANSFORMERS];
/** Transformers taking several arguments (libs 0.25 / Falco 0.44). */
const MULTI_VALUE_TRANSFORMERS = new Set(['join', 'concat', 'getopt']);

function quoteList(items: readonly string[]): string {
  return items.map((s) => `'${s}'`).join(', ');
}

function isBlank(c: number): boolean {
  // space, \t, \b, \r, \n: the blanks libsinsp's lex_blank accepts (\f and \v are not).
  return c === 32 || c === 9 || c === 8 || c === 13 || c === 10;
}

class Parser {
  private readonly text: string;
  private readonly maxDepth: number;
  private idx = 0;
  private line = 1;
  private col = 1;
  private depth = 0;
  private lastToken = '';

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  parse(): Expr {
    if (this.text.length === 0) {
      throw new ConditionError('PARSE_EMPTY_INPUT', 'filter input string is empty', this.pos(), 0);
    }
    const res = this.parseOr();
    if (this.idx !== this.text.length) {
      this.fail(
        'PARSE_UNEXPECTED_TOKEN',
        `unexpected token after '${this.lastToken}', expecting 'or', 'and'`,
        this.text.length,
      );
    }
    return res;
  }

  /** A transformer expression at the start of the text (output tokens); undefined if none. */
  transformerPrefix(): TransformerExpr | undefined {
    const pos = this.pos();
    const name = this.lexTransformerName(TRANSFORMERS);
    return name === undefined ? undefined : this.parseTransformerRemainder(name, pos);
  }

  // ---- positions and errors ------------------------------------------------------------

  private pos(): Pos {
    return { idx: this.idx, line: this.line, col: this.col };
  }

  private restore(p: Pos): void {
    this.idx = p.idx;
    this.line = p.line;
    this.col = p.col;
  }

  private advance(n: number): void {
    for (let i = 0; i < n; i++) {
      const c = this.text.charCodeAt(this.idx);
      this.col++;
      if (c === 13 || c === 10) {
        this.col = 1;
        this.line++;
      }
      this.idx++;
    }
  }

  private fail(code: ConditionErrorCode, message: string, end?: number): never {
    throw new ConditionError(code, message, this.pos(), end);
  }

  private enter(): void {
    this.depth++;
    if (this.depth >= this.maxDepth) {
      this.fail('PARSE_MAX_DEPTH', `exceeded max depth limit of ${this.maxDepth}`);
    }
  }

  private leave(): void {
    this.depth--;
  }

  // ---- lexing helpers --------------------------------------------------------------------

  private lexBlank(): boolean {
    let found = false;
    while (this.idx < this.text.length && isBlank(this.text.charCodeAt(this.idx))) {
      found = true;
      this.advance(1);
    }
    return found;
  }

  private lexStr(s: string): boolean {
    if (this.text.startsWith(s, this.idx)) {
      this.lastToken = s;
      this.advance(s.length);
      return true;
    }
    return false;
  }

  private lexRegex(re: RegExp): boolean {
    re.lastIndex = this.idx;
    const m = re.exec(this.text);
    if (m === null || m[0].length === 0) return false;
    this.lastToken = m[0];
    this.advance(m[0].length);
    return true;
  }

  private peek(): number {
    return this.text.charCodeAt(this.idx);
  }

  /** Scans `"..."`/`'...'`: ends at the first same quote not preceded by a backslash. */
  private lexQuotedStr(): boolean {
    const q = this.text[this.idx];
    if (q !== '"' && q !== "'") return false;
    const start = this.pos();
    let prev = '\\';
    for (let i = this.idx; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === q && prev !== '\\') {
        const raw = this.text.slice(this.idx, i + 1);
        this.advance(raw.length);
        try {
          this.lastToken = unescapeQuoted(raw);
        } catch (e) {
          if (e instanceof EscapeError) {
            throw new ConditionError('PARSE_BAD_ESCAPE', e.message, start, this.idx);
          }
          throw e;
        }
        return true;
      }
      prev = c;
    }
    return false;
  }

  private lexTransformerName(names: readonly string[]): string | undefined {
    for (const name of names) {
      if (this.text.startsWith(name, this.idx) && this.text[this.idx + name.length] === '(') {
        this.lastToken = `${name}(`;
        this.advance(name.length + 1);
        return name;
      }
    }
    return undefined;
  }

  // ---- grammar ---------------------------------------------------------------------------

  private parseOr(): Expr {
    this.enter();
    const pos = this.pos();
    this.lexBlank();
    const children = [this.parseAnd()];
    this.lexBlank();
    while (this.lexStr('or')) {
      children.push(this.parseAfterKeyword('or', () => this.parseAnd()));
      this.lexBlank();
    }
    this.leave();
    if (children.length > 1) return { kind: 'or', children, pos, end: lastEnd(children) };
    return children[0]!;
  }

  private parseAnd(): Expr {
    this.enter();
    const pos = this.pos();
    this.lexBlank();
    const children = [this.parseNot()];
    this.lexBlank();
    while (this.lexStr('and')) {
      children.push(this.parseAfterKeyword('and', () => this.parseNot()));
      this.lexBlank();
    }
    this.leave();
    if (children.length > 1) return { kind: 'and', children, pos, end: lastEnd(children) };
    return children[0]!;
  }

  /** After `and`/`or`: a blank then the operand, or an immediate `(`. */
  private parseAfterKeyword(keyword: string, operand: () => Expr): Expr {
    if (this.lexBlank()) return operand();
    if (this.lexStr('(')) return this.parseEmbeddedRemainder();
    return this.fail('PARSE_EXPECTED_BLANK', `expected blank or '(' after '${keyword}'`);
  }

  private parseNot(): Expr {
    this.enter();
    const pos = this.pos();
    let isNot = false;
    this.lexBlank();
    while (this.lexRegex(RGX_NOT_BLANK)) isNot = !isNot;
    let child: Expr;
    if (this.lexStr('not(')) {
      isNot = !isNot;
      child = this.parseEmbeddedRemainder();
    } else {
      child = this.parseCheck();
    }
    this.leave();
    return isNot ? { kind: 'not', child, pos, end: this.idx } : child;
  }

  /** The rest of a parenthesised expression, right after its `(`. */
  private parseEmbeddedRemainder(): Expr {
    this.enter();
    this.lexBlank();
    const child = this.parseOr();
    this.lexBlank();
    if (!this.lexStr(')')) this.fail('PARSE_EXPECTED_CLOSE_PAREN', "expected a ')' token");
    this.leave();
    return child;
  }

  private parseCheck(): Expr {
    this.enter();
    const pos = this.pos();
    this.lexBlank();
    let res: Expr;
    if (this.lexStr('(')) {
      res = this.parseEmbeddedRemainder();
    } else if (this.lexRegex(RGX_FIELD_NAME)) {
      const left = this.parseFieldRemainder(this.lastToken, pos);
      res = this.parseCondition(left, pos);
    } else {
      const name = this.lexTransformerName(TRANSFORMERS);
      if (name !== undefined) {
        const left = this.parseTransformerRemainder(name, pos);
        res = this.parseCondition(left, pos);
      } else if (this.lexRegex(RGX_IDENTIFIER)) {
        res = { kind: 'identifier', name: this.lastToken, pos, end: this.idx };
      } else {
        this.fail('PARSE_EXPECTED_CHECK', "expected a '(' token, a field check, or an identifier");
      }
    }
    this.leave();
    return res;
  }

  /** An optional `[arg]` right after a field name or a transformer's `)`. */
  private parseFieldArg(): string | undefined {
    if (!this.lexStr('[')) return undefined;
    if (!this.lexQuotedStr() && !this.lexRegex(RGX_FIELD_ARG_BARE)) {
      this.fail(
        'PARSE_EXPECTED_FIELD_ARG',
        'expected a valid field argument: a quoted string or a bare string',
      );
    }
    const arg = this.lastToken;
    if (!this.lexStr(']')) this.fail('PARSE_EXPECTED_CLOSE_BRACKET', "expected a ']' token");
    return arg;
  }

  private parseFieldRemainder(name: string, pos: Pos): FieldExpr {
    const arg = this.parseFieldArg();
    const field: FieldExpr = { kind: 'field', name, pos, end: this.idx };
    if (arg !== undefined) field.arg = arg;
    return field;
  }

  /** After `name(`: the arguments, `)` and an optional `[arg]`. */
  private parseTransformerRemainder(name: string, pos: Pos): TransformerExpr {
    this.enter();
    const args: TransformerArg[] = [];
    this.lexBlank();
    // Every transformer shares one argument grammar; the compiler checks arity and kinds.
    if (
      !(MULTI_VALUE_TRANSFORMERS.has(name) && this.peek() === 41) /* `join()`: let the compiler say why */
    ) {
      args.push(this.parseTransformerArg());
      this.lexBlank();
      while (this.lexStr(',')) {
        this.lexBlank();
        args.push(this.parseTransformerArg());
        this.lexBlank();
      }
    }
    if (!this.lexStr(')')) {
      this.fail('PARSE_EXPECTED_CLOSE_PAREN', "expected a ')' token closing the transformer");
    }
    const arg = this.parseFieldArg();
    this.leave();
    const node: TransformerExpr = { kind: 'transformer', name, args, pos, end: this.idx };
    if (arg !== undefined) node.arg = arg;
    return node;
  }

  /** One transformer argument: a number, a quoted string, a `( ... )` list, a transformer or a field. */
  private parseTransformerArg(): TransformerArg {
    const pos = this.pos();
    if (this.lexRegex(RGX_HEX_NUM) || this.lexRegex(RGX_NUMBER) || this.lexQuotedStr()) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    if (this.lexStr('(')) return this.parseTransformerList(pos);
    const name = this.lexTransformerName(TRANSFORMERS);
    if (name !== undefined) return this.parseTransformerRemainder(name, pos);
    if (this.lexRegex(RGX_FIELD_NAME)) return this.parseFieldRemainder(this.lastToken, pos);
    return this.fail(
      'PARSE_EXPECTED_TRANSFORMER_ARG',
      `expected a field or a nested valid transformer: ${quoteList(TRANSFORMERS_WITH_VAL)}`,
    );
  }

  /** After `(` inside a multi-value transformer's arguments. */
  private parseTransformerList(pos: Pos): TransformerListExpr {
    const children: TransformerArg[] = [];
    this.lexBlank();
    if (!this.lexStr(')')) {
      children.push(this.parseTransformerListItem());
      this.lexBlank();
      while (this.lexStr(',')) {
        this.lexBlank();
        children.push(this.parseTransformerListItem());
        this.lexBlank();
      }
      if (!this.lexStr(')')) this.fail('PARSE_EXPECTED_CLOSE_PAREN', "expected a ')' token");
    }
    return { kind: 'transformer_list', children, pos, end: this.idx };
  }

  private parseTransformerListItem(): TransformerArg {
    const pos = this.pos();
    const name = this.lexTransformerName(TRANSFORMERS);
    if (name !== undefined) return this.parseTransformerRemainder(name, pos);
    if (this.lexRegex(RGX_FIELD_NAME)) return this.parseFieldRemainder(this.lastToken, pos);
    if (this.lexQuotedStr() || this.lexRegex(RGX_HEX_NUM) || this.lexRegex(RGX_NUMBER)) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    return this.fail(
      'PARSE_EXPECTED_TRANSFORMER_ARG',
      'expected a field, a transformer, a quoted string or a number',
    );
  }

  private parseCondition(left: Operand, pos: Pos): Expr {
    this.lexBlank();
    if (this.lexStr('exists')) {
      return { kind: 'unary', left, op: 'exists', pos, end: this.idx };
    }
    const numOp = this.lexOneOf(NUMERIC_OPERATORS);
    const strOp =
      numOp === undefined
        ? (this.lexOneOf(STRING_SYMBOL_OPERATORS) ?? this.lexWordOneOf(STRING_WORD_OPERATORS))
        : undefined;
    const listOp = numOp === undefined && strOp === undefined ? this.lexOneOf(LIST_OPERATORS) : undefined;
    let op: string;
    let right: Rhs;
    if (numOp !== undefined) {
      op = numOp;
      right = this.parseNumValueOrTransformer();
    } else if (strOp !== undefined) {
      op = strOp;
      const modified = this.tryParseModifier();
      if (modified !== undefined) {
        op = `${op} ${modified.modifier}`;
        right = modified.right;
      } else {
        right = this.parseStrValueOrTransformer();
      }
    } else if (listOp !== undefined) {
      op = listOp;
      right = this.parseListValueOrTransformer();
    } else {
      return this.fail(
        'PARSE_EXPECTED_OPERATOR',
        `expected a valid check operator: one of ${quoteList(CHECK_OPERATORS)}`,
      );
    }
    const node: BinaryCheckExpr = { kind: 'binary', left, op, right, pos, end: this.idx };
    return node;
  }

  private lexOneOf(ops: readonly string[]): string | undefined {
    for (const op of ops) if (this.lexStr(op)) return op;
    return undefined;
  }

  /**
   * Word operators as libsinsp lexes them: once a word matches, a blank must follow, otherwise
   * the lexer fails *without rewinding* (so `x.y containsin (a)` goes on to read `in`).
   */
  private lexWordOneOf(ops: readonly string[]): string | undefined {
    for (const op of ops) {
      if (this.text.startsWith(op, this.idx)) {
        this.lastToken = op;
        this.advance(op.length);
        return isBlank(this.peek()) ? op : undefined;
      }
    }
    return undefined;
  }

  /**
   * `op MODIFIER (list)` / `op MODIFIER list_name`: only when a blank separates the operator
   * and the modifier, a blank follows the modifier, and then `(` or a non-keyword identifier
   * comes. Otherwise the word is an ordinary value (`proc.name == oneof`).
   */
  private tryParseModifier(): { modifier: string; right: Rhs } | undefined {
    const save = this.pos();
    const saveToken = this.lastToken;
    if (this.lexBlank()) {
      const modifier = this.lexWordOneOf(OPERATOR_MODIFIERS);
      if (modifier !== undefined) {
        this.lexBlank();
        if (this.peek() === 40 /* ( */) {
          return { modifier, right: this.parseListValue() };
        }
        const at = this.pos();
        if (this.lexRegex(RGX_IDENTIFIER)) {
          const id = this.lastToken;
          if (id !== 'and' && id !== 'or' && id !== 'not') {
            return { modifier, right: { kind: 'value', value: id, pos: at, end: this.idx } };
          }
        }
      }
    }
    this.restore(save);
    this.lastToken = saveToken;
    return undefined;
  }

  private parseNumValueOrTransformer(): Rhs {
    this.lexBlank();
    const pos = this.pos();
    const t = this.tryParseTransformerOrVal();
    if (t !== undefined) return t;
    if (this.lexRegex(RGX_HEX_NUM) || this.lexRegex(RGX_NUMBER)) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    return this.fail(
      'PARSE_EXPECTED_NUMBER',
      `expected a number value or a field with a valid transformer: ${quoteList(TRANSFORMERS_WITH_VAL)}`,
    );
  }

  private parseStrValueOrTransformer(): Rhs {
    this.lexBlank();
    const pos = this.pos();
    const t = this.tryParseTransformerOrVal();
    if (t !== undefined) return t;
    if (this.lexQuotedStr() || this.lexRegex(RGX_BARE_STR)) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    return this.fail(
      'PARSE_EXPECTED_STRING',
      `expected a string value or a field with a valid transformer: ${quoteList(TRANSFORMERS_WITH_VAL)}`,
    );
  }

  /** A list element: a quoted or bare string, never a transformer. */
  private parseStrValue(): ValueExpr | undefined {
    this.lexBlank();
    const pos = this.pos();
    if (this.lexQuotedStr() || this.lexRegex(RGX_BARE_STR)) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    return undefined;
  }

  /** `( [v (, v)*] )` starting at the `(`. */
  private parseListValue(): ListExpr {
    const pos = this.pos();
    this.lexStr('(');
    const values: string[] = [];
    this.lexBlank();
    const first = this.parseStrValue();
    if (first !== undefined) {
      values.push(first.value);
      this.lexBlank();
      while (this.lexStr(',')) {
        const next = this.parseStrValue();
        if (next === undefined) this.fail('PARSE_EXPECTED_STRING', 'expected a string value');
        values.push(next.value);
        this.lexBlank();
      }
    }
    if (!this.lexStr(')')) this.fail('PARSE_EXPECTED_CLOSE_PAREN', "expected a ')' token");
    return { kind: 'list', values, pos, end: this.idx };
  }

  private parseListValueOrTransformer(): Rhs {
    this.lexBlank();
    const pos = this.pos();
    if (this.peek() === 40 /* ( */) return this.parseListValue();
    const t = this.tryParseTransformerOrVal();
    if (t !== undefined) return t;
    if (this.lexRegex(RGX_IDENTIFIER)) {
      return { kind: 'value', value: this.lastToken, pos, end: this.idx };
    }
    return this.fail(
      'PARSE_EXPECTED_LIST',
      `expected a list, an identifier, or a field with a valid transformer: ${quoteList(TRANSFORMERS_WITH_VAL)}`,
    );
  }

  /**
   * A right-hand `val(field)` or transformer. Once `name(` is seen it must parse as one: there
   * is no fallback to a bare string.
   */
  private tryParseTransformerOrVal(): TransformerExpr | undefined {
    this.lexBlank();
    const pos = this.pos();
    if (this.lexStr('val(')) {
      this.lexBlank();
      const fieldPos = this.pos();
      if (!this.lexRegex(RGX_FIELD_NAME)) {
        this.fail('PARSE_EXPECTED_TRANSFORMER_ARG', "expected a field within 'val' transformer");
      }
      const child = this.parseFieldRemainder(this.lastToken, fieldPos);
      this.lexBlank();
      if (!this.lexStr(')')) {
        this.fail('PARSE_EXPECTED_CLOSE_PAREN', "expected a ')' token closing the transformer");
      }
      const arg = this.parseFieldArg();
      const node: TransformerExpr = { kind: 'transformer', name: 'val', args: [child], pos, end: this.idx };
      if (arg !== undefined) node.arg = arg;
      return node;
    }
    const name = this.lexTransformerName(TRANSFORMERS);
    if (name !== undefined) return this.parseTransformerRemainder(name, pos);
    return undefined;
  }
}

function lastEnd(children: Expr[]): number {
  return children[children.length - 1]!.end;
}

/** Parses a condition (after list substitution) into an AST; throws ConditionError. */
export function parseCondition(text: string, options: ParseOptions = {}): Expr {
  return new Parser(text, options.maxDepth ?? 100).parse();
}

/**
 * Parses a transformer expression at the start of `text` (`toupper(proc.name) rest...`), as
 * output format tokens need. Returns undefined when the text does not start with a transformer
 * name followed by `(`; throws ConditionError when it does but is malformed.
 */
export function parseTransformerPrefix(text: string): { node: TransformerExpr; length: number } | undefined {
  const node = new Parser(text, 100).transformerPrefix();
  return node === undefined ? undefined : { node, length: node.end };
}

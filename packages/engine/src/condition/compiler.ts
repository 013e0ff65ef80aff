/**
 * Checker and compiler: resolves fields and transformers against a SourceDef, validates
 * operators and literals by type (Falco's messages), and builds the filter as a tree of
 * closures. No eval/new Function (the console's CSP may forbid it); everything that depends only
 * on the condition is precomputed here so evaluation does no parsing and little allocation.
 */
import type {
  Extracted,
  Extractor,
  FieldDef,
  FieldType,
  MatchMode,
  Scalar,
  SourceDef,
} from '../fields/types.js';
import {
  type BinaryCheckExpr,
  type Expr,
  type FieldExpr,
  type Node,
  type Pos,
  TRANSFORMERS,
  type TransformerArg,
  type TransformerExpr,
  type UnaryCheckExpr,
  type ValueExpr,
} from './ast.js';
import { ConditionError, type ConditionErrorCode, type Range } from './errors.js';
import {
  type BaseOp,
  baseOp,
  dynamicCompare,
  literalMatcher,
  type Matcher,
  pmatchMatcher,
  setMatcher,
} from './matchers.js';
import { printNode } from './printer.js';
import { compileRegex, regexMayBeSimpler } from './regex.js';
import { applyB64, applyBasename, applyCase, applyLen, getopt, textList } from './transformers.js';
import {
  hexToBytes,
  isStringType,
  kindOf,
  LiteralError,
  operatorError,
  parseLiteral,
  textToBytes,
  type ValueKind,
} from './value-kinds.js';

/** A compiled condition: call it with an event of the source it was compiled for. */
export type Filter = (event: unknown) => boolean;

/** Stable codes of compile-time warnings (Falco reports them as LOAD_COMPILE_CONDITION). */
export type CompileWarningCode = 'FIELD_AS_STRING' | 'TRANSFORMER_AS_STRING' | 'REGEX_MAY_BE_SIMPLER';

/** A compile-time warning (the condition still compiles). */
export interface CompileWarning {
  code: CompileWarningCode;
  message: string;
  pos: Pos;
  range: Range;
}

/** Options of `compileCondition`. */
export interface CompileOptions {
  /** Receives warnings; they are also returned on the result. */
  onWarning?: (w: CompileWarning) => void;
}

/** The result of `compileCondition`. */
export interface CompiledCondition {
  filter: Filter;
  warnings: CompileWarning[];
}

/** A resolved left/right operand: a field or a transformer chain. */
interface Operand {
  type: FieldType;
  isList: boolean;
  mode: MatchMode;
  extract: Extractor;
  /** Text for messages (`proc.name`, `toupper(proc.name)`). */
  label: string;
  /** Set for a plain field (no transformer). */
  def?: FieldDef;
  /** The plain field's name as written (`evt.arg.flags`), for evt.type checks. */
  fieldName?: string;
}

/** A transformer argument after resolution. */
type Arg =
  | { kind: 'value'; text: string; node: ValueExpr }
  | { kind: 'list'; items: Arg[]; node: Node }
  | { kind: 'operand'; op: Operand; node: Node };

const STRING_TRANSFORMABLE: ReadonlySet<FieldType> = new Set(['CHARBUF', 'FSPATH', 'FSRELPATH']);
const B64_TRANSFORMABLE: ReadonlySet<FieldType> = new Set(['CHARBUF', 'BYTEBUF', 'FSPATH', 'FSRELPATH']);
const TRANSFORMER_CALL = new RegExp(`^(?:val|${TRANSFORMERS.join('|')})\\(.*\\)$`, 's');

function err(code: ConditionErrorCode, message: string, node: Node): never {
  throw new ConditionError(code, message, node.pos, node.end);
}

class Compiler {
  readonly warnings: CompileWarning[] = [];
  private readonly source: SourceDef;
  private readonly options: CompileOptions;

  constructor(source: SourceDef, options: CompileOptions) {
    this.source = source;
    this.options = options;
  }

  private warn(code: CompileWarningCode, message: string, node: Node): void {
    const w: CompileWarning = { code, message, pos: node.pos, range: { start: node.pos.idx, end: node.end } };
    this.warnings.push(w);
    this.options.onWarning?.(w);
  }

  expr(e: Expr): Filter {
    switch (e.kind) {
      case 'and': {
        const cs = e.children.map((c) => this.expr(c));
        if (cs.length === 2) {
          const [a, b] = cs as [Filter, Filter];
          return (ev) => a(ev) && b(ev);
        }
        return (ev) => {
          for (const c of cs) if (!c(ev)) return false;
          return true;
        };
      }
      case 'or': {
        const cs = e.children.map((c) => this.expr(c));
        if (cs.length === 2) {
          const [a, b] = cs as [Filter, Filter];
          return (ev) => a(ev) || b(ev);
        }
        return (ev) => {
          for (const c of cs) if (c(ev)) return true;
          return false;
        };
      }
      case 'not': {
        const c = this.expr(e.child);
        return (ev) => !c(ev);
      }
      case 'identifier':
        return err('COMPILE_UNDEFINED_MACRO', `unexpected identifier '${e.name}'`, e);
      case 'unary':
        return this.unary(e);
      case 'binary':
        return this.binary(e);
    }
  }

  // ---- operands --------------------------------------------------------------------------

  /** Finds the field a name refers to, including the dotted-argument form `evt.arg.flags`. */
  private resolveFieldName(name: string): { base: string; dottedArg?: string } | undefined {
    if (this.source.field(name) !== undefined) return { base: name };
    if (this.source.resolveField !== undefined) {
      const ref = this.source.resolveField(name);
      if (ref === undefined) return undefined;
      return ref.arg === undefined ? { base: ref.name } : { base: ref.name, dottedArg: ref.arg };
    }
    for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
      const def = this.source.field(name.slice(0, i));
      if (def?.arg?.dotted) return { base: name.slice(0, i), dottedArg: name.slice(i + 1) };
    }
    return undefined;
  }

  private field(node: FieldExpr): Operand {
    const resolved = this.resolveFieldName(node.name);
    if (resolved === undefined) {
      return err('COMPILE_UNKNOWN_FIELD', `filter_check called with nonexistent field ${node.name}`, node);
    }
    if (resolved.dottedArg !== undefined && node.arg !== undefined) {
      return err('COMPILE_BAD_FIELD_ARG', `field '${node.name}' does not accept an argument`, node);
    }
    let bound: ReturnType<SourceDef['bind']>;
    try {
      bound = this.source.bind(resolved.base, resolved.dottedArg ?? node.arg);
    } catch (e) {
      return err('COMPILE_BAD_FIELD_ARG', (e as Error).message, node);
    }
    return {
      type: bound.def.type,
      isList: bound.def.isList,
      mode: bound.mode,
      extract: bound.extract,
      label: printNode(node),
      def: bound.def,
      fieldName: node.name,
    };
  }

  operand(node: FieldExpr | TransformerExpr): Operand {
    return node.kind === 'field' ? this.field(node) : this.transformer(node);
  }

  private arg(node: TransformerArg): Arg {
    switch (node.kind) {
      case 'value':
        return { kind: 'value', text: node.value, node };
      case 'transformer_list':
        return { kind: 'list', items: node.children.map((c) => this.arg(c)), node };
      default:
        return { kind: 'operand', op: this.operand(node), node };
    }
  }

  private transformer(node: TransformerExpr): Operand {
    const name = node.name;
    if (name === 'val') {
      return err('COMPILE_TRANSFORMER', "transformer 'val' can only be used on the right-hand side", node);
    }
    if (node.arg !== undefined && name !== 'getopt') {
      return err('COMPILE_TRANSFORMER', `transformer '${name}' does not support field arguments`, node);
    }
    const args = node.args.map((a) => this.arg(a));
    const label = printNode(node);
    switch (name) {
      case 'join':
        return this.join(node, args, label);
      case 'concat':
        return this.concat(node, args, label);
      case 'getopt':
        return this.getopt(node, args, label);
    }
    const a = args[0];
    if (args.length !== 1 || a === undefined || a.kind !== 'operand') {
      return err('COMPILE_TRANSFORMER', `transformer '${name}' requires exactly one field argument`, node);
    }
    const inner = a.op;
    if (inner.def?.noTransformer || inner.mode !== 'scalar') {
      return err('COMPILE_TRANSFORMER', `field '${inner.label}' does not support transformers`, node);
    }
    const unsupported = (): never =>
      err(
        'COMPILE_TRANSFORMER',
        `can't add field transformer: type '${inner.type}' is not supported by '${name}' transformer applied on field '${inner.label}'`,
        node,
      );
    const ex = inner.extract;
    switch (name) {
      case 'tolower':
      case 'toupper': {
        if (!STRING_TRANSFORMABLE.has(inner.type)) unsupported();
        const upper = name === 'toupper';
        return { ...base(inner, label), extract: (e) => applyCase(ex(e), upper) };
      }
      case 'b64': {
        if (!B64_TRANSFORMABLE.has(inner.type)) unsupported();
        const toBytes = inner.type === 'BYTEBUF';
        return { ...base(inner, label), extract: (e) => applyB64(ex(e), toBytes) };
      }
      case 'basename':
        if (!STRING_TRANSFORMABLE.has(inner.type)) unsupported();
        return { ...base(inner, label), extract: (e) => applyBasename(ex(e)) };
      case 'len':
        if (!inner.isList && !STRING_TRANSFORMABLE.has(inner.type) && inner.type !== 'BYTEBUF') unsupported();
        return { type: 'UINT64', isList: false, mode: 'scalar', label, extract: (e) => applyLen(ex(e)) };
      default:
        return err('COMPILE_TRANSFORMER', `unknown transformer '${name}'`, node);
    }
  }

  /** Extractor for a multi-value argument: a literal, a field/transformer, or a `( ... )` list. */
  private argExtractor(a: Arg): Extractor {
    if (a.kind === 'value') {
      const v = a.text;
      return () => v;
    }
    if (a.kind === 'operand') return a.op.extract;
    const items = a.items.map((i) => this.argExtractor(i));
    return (e) => {
      const vals: Extracted[] = [];
      for (const it of items) vals.push(it(e));
      return textList(vals);
    };
  }

  private isListArg(a: Arg): boolean {
    return a.kind === 'list' || (a.kind === 'operand' && a.op.isList);
  }

  private join(node: TransformerExpr, args: Arg[], label: string): Operand {
    if (args.length !== 2) {
      return err('COMPILE_TRANSFORMER', 'join() requires exactly 2 arguments: separator and list', node);
    }
    const [sep, list] = args as [Arg, Arg];
    if (this.isListArg(sep)) {
      return err(
        'COMPILE_TRANSFORMER',
        'join() first argument (separator) must be a single value, not a list',
        node,
      );
    }
    if (!this.isListArg(list))
      return err('COMPILE_TRANSFORMER', 'join() second argument must be a list', node);
    const sepEx = this.argExtractor(sep);
    const listEx = this.argExtractor(list);
    return {
      type: 'CHARBUF',
      isList: false,
      mode: 'scalar',
      label,
      extract: (e) => {
        const s = sepEx(e);
        const l = listEx(e);
        if (s === undefined || l === undefined) return undefined;
        const parts = textList([l]);
        const sepText = textList([s]);
        return parts === undefined || sepText === undefined ? undefined : parts.join(sepText.join(''));
      },
    };
  }

  private concat(node: TransformerExpr, args: Arg[], label: string): Operand {
    if (args.length < 2) return err('COMPILE_TRANSFORMER', 'concat() requires at least 2 arguments', node);
    for (const a of args) {
      if (this.isListArg(a) || (a.kind === 'operand' && !isStringType(a.op.type))) {
        return err('COMPILE_TRANSFORMER', 'concat() arguments must be strings', node);
      }
    }
    const exs = args.map((a) => this.argExtractor(a));
    return {
      type: 'CHARBUF',
      isList: false,
      mode: 'scalar',
      label,
      extract: (e) => {
        let out = '';
        for (const x of exs) {
          const v = x(e);
          if (v === undefined) return undefined;
          const t = textList([v]);
          if (t === undefined) return undefined;
          out += t.join('');
        }
        return out;
      },
    };
  }

  private getopt(node: TransformerExpr, args: Arg[], label: string): Operand {
    if (args.length !== 2) {
      return err(
        'COMPILE_TRANSFORMER',
        'getopt() requires exactly 2 arguments: args list and optstring',
        node,
      );
    }
    const [list, opts] = args as [Arg, Arg];
    if (!this.isListArg(list))
      return err('COMPILE_TRANSFORMER', 'getopt() first argument must be a list', node);
    if (this.isListArg(opts)) {
      return err('COMPILE_TRANSFORMER', 'getopt() second argument (optstring) must be a single value', node);
    }
    const select = node.arg;
    if (select !== undefined && select.length !== 1) {
      return err('COMPILE_TRANSFORMER', 'getopt() field argument must be a single option character', node);
    }
    const listEx = this.argExtractor(list);
    const optsEx = this.argExtractor(opts);
    const run = (e: unknown): Array<[string, string]> | undefined => {
      const l = listEx(e);
      const o = optsEx(e);
      if (l === undefined || o === undefined) return undefined;
      const argv = textList([l]);
      const optstring = textList([o]);
      return argv && optstring && getopt(argv, optstring.join(''));
    };
    if (select !== undefined) {
      return {
        type: 'CHARBUF',
        isList: false,
        mode: 'scalar',
        label,
        extract: (e) => {
          const r = run(e);
          if (r === undefined) return undefined;
          let found: string | undefined;
          for (const [c, v] of r) if (c === select) found = v;
          return found;
        },
      };
    }
    return {
      type: 'CHARBUF',
      isList: true,
      mode: 'scalar',
      label,
      extract: (e) => run(e)?.map(([, v]) => v),
    };
  }

  // ---- checks ----------------------------------------------------------------------------

  private unary(e: UnaryCheckExpr): Filter {
    const l = this.operand(e.left);
    const ex = l.extract;
    if (l.mode === 'scalar') return (ev) => ex(ev) !== undefined;
    return (ev) => {
      const v = ex(ev);
      return v !== undefined && (!Array.isArray(v) || v.length > 0);
    };
  }

  private binary(e: BinaryCheckExpr): Filter {
    const l = this.operand(e.left);
    const space = e.op.indexOf(' ');
    const opText = space === -1 ? e.op : e.op.slice(0, space);
    const modifier = space === -1 ? undefined : e.op.slice(space + 1);
    const op = baseOp(opText);
    if (op === undefined) return err('COMPILE_OPERATOR_NOT_SUPPORTED', `unknown operator '${opText}'`, e);
    const typeError = operatorError(l.type, l.isList, opText, modifier !== undefined);
    if (typeError !== undefined) return err('COMPILE_OPERATOR_NOT_SUPPORTED', typeError, e);

    if (e.right.kind === 'transformer') return this.fieldToField(e, l, op, e.right);

    const values = e.right.kind === 'list' ? e.right.values : [e.right.value];
    this.literalWarnings(e, op, values);
    const kind = kindOf(l.type);
    if (l.type !== 'BYTEBUF') {
      for (const v of values) {
        if (v.includes('\0')) {
          return err('COMPILE_NUL_BYTE', 'filter value cannot contain a NUL byte (\\x00)', e.right);
        }
      }
    }
    if (l.fieldName === 'evt.type' && this.source.isKnownEventType !== undefined) {
      if (op === 'eq' || op === 'ne' || op === 'in' || op === 'intersects') {
        for (const v of values) {
          if (!this.source.isKnownEventType(v))
            return err('COMPILE_UNKNOWN_EVENT_TYPE', `unknown event type ${v}`, e.right);
        }
      }
    }
    const lits = values.map((v) => this.literal(e, l, op, kind, v));

    let m: Matcher;
    if (modifier !== undefined) {
      m = modifierMatcher(
        modifier,
        lits.map((lit) => this.matcher(e, op, kind, lit)),
      );
    } else if (op === 'in' || op === 'intersects') {
      // Long-standing libsinsp quirk: `fd.net in (a, b)` only tests the first network.
      const set = l.mode === 'either-endpoint' && kind === 'net' ? lits.slice(0, 1) : lits;
      m = setMatcher(kind, set);
    } else if (op === 'pmatch') {
      m = pmatchMatcher(values);
    } else {
      m = this.matcher(e, op, kind, lits[0]!);
    }
    return applyMode(l, op, modifier === undefined, m);
  }

  private matcher(e: BinaryCheckExpr, op: BaseOp, kind: ValueKind, lit: Scalar): Matcher {
    try {
      return literalMatcher(op, kind, lit);
    } catch (x) {
      return err('COMPILE_INVALID_REGEX', (x as Error).message, e.right);
    }
  }

  private literal(e: BinaryCheckExpr, l: Operand, op: BaseOp, kind: ValueKind, text: string): Scalar {
    if (op === 'bcontains' || op === 'bstartswith') {
      const bytes = hexToBytes(text);
      if (bytes === undefined) {
        return err(
          'COMPILE_INVALID_VALUE',
          'bcontains and bstartswith operator support hex strings only',
          e.right,
        );
      }
      return bytes;
    }
    if (op === 'regex') {
      try {
        compileRegex(text);
      } catch (x) {
        return err('COMPILE_INVALID_REGEX', (x as Error).message, e.right);
      }
      return text;
    }
    if (op === 'pmatch' || op === 'glob' || op === 'iglob')
      return kind === 'bytes' ? textToBytes(text) : text;
    try {
      return parseLiteral(l.type, text);
    } catch (x) {
      if (x instanceof LiteralError) return err('COMPILE_INVALID_VALUE', x.message, e.right);
      throw x;
    }
  }

  /**
   * libsinsp's value warnings, for every literal (list items too), pointing at the right-hand
   * side: regex patterns that simpler operators could replace, and values that name a field or
   * look like a transformer call (a forgotten `val()`).
   */
  private literalWarnings(e: BinaryCheckExpr, op: BaseOp, values: readonly string[]): void {
    for (const value of values) {
      const compact = value.replace(/[\t\n\v\f\r ]/g, '');
      if (op === 'regex' && regexMayBeSimpler(value)) {
        this.warn(
          'REGEX_MAY_BE_SIMPLER',
          `regex check with '${value}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`,
          e.right,
        );
      }
      if (this.namesField(compact)) {
        this.warn(
          'FIELD_AS_STRING',
          `'${value}' may be a valid field misused as a const string value`,
          e.right,
        );
      }
      if (TRANSFORMER_CALL.test(compact)) {
        this.warn(
          'TRANSFORMER_AS_STRING',
          `'${value}' may be a valid field transformer misused as a const string value`,
          e.right,
        );
      }
    }
  }

  /** True when the text is a field reference this source knows (`proc.pname`, `proc.aname[2]`). */
  private namesField(text: string): boolean {
    const m = /^([a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+)(?:\[[^\]]+\])?$/.exec(text);
    return m !== null && this.resolveFieldName(m[1]!) !== undefined;
  }

  private fieldToField(e: BinaryCheckExpr, l: Operand, op: BaseOp, rnode: TransformerExpr): Filter {
    if (op === 'regex' || op === 'pmatch') {
      return err(
        'COMPILE_UNSUPPORTED_RHS_FIELD',
        `operator '${e.op}' does not support a field on the right-hand side`,
        e,
      );
    }
    let r: Operand;
    if (rnode.name === 'val') {
      if (rnode.arg !== undefined) {
        return err('COMPILE_TRANSFORMER', "transformer 'val' does not support field arguments", rnode);
      }
      r = this.field(rnode.args[0] as FieldExpr);
    } else {
      r = this.transformer(rnode);
    }
    const kind = kindOf(l.type);
    if (kind === 'net') {
      return err(
        'COMPILE_UNSUPPORTED_RHS_FIELD',
        `field '${l.label}' does not support field-to-field comparison`,
        e,
      );
    }
    for (const side of [l, r]) {
      if (side.def?.noRhs || side.mode !== 'scalar') {
        return err(
          'COMPILE_UNSUPPORTED_RHS_FIELD',
          `field '${side.label}' does not support field-to-field comparison`,
          side === l ? e.left : rnode,
        );
      }
    }
    const setOp = op === 'in' || op === 'intersects';
    if (kind !== kindOf(r.type) || (!setOp && l.isList !== r.isList)) {
      return err(
        'COMPILE_INCOMPATIBLE_TYPES',
        `field '${l.label}' has type '${l.type}' while the right-hand side field '${r.label}' has incompatible type '${r.type}'`,
        e,
      );
    }
    const lex = l.extract;
    const rex = r.extract;
    const bytes = kind === 'bytes';
    const test = (x: Scalar, rv: Extracted): boolean => {
      if (setOp) {
        if (!Array.isArray(rv)) return dynamicCompare('eq', kind, x, rv as Scalar);
        for (const y of rv as readonly Scalar[]) if (dynamicCompare('eq', kind, x, y)) return true;
        return false;
      }
      if (Array.isArray(rv)) return false;
      const y = rv as Scalar;
      return dynamicCompare(op, kind, x, bytes && typeof y === 'string' ? textToBytes(y) : y);
    };
    return (ev) => {
      const v = lex(ev);
      if (v === undefined) return false;
      const rv = rex(ev);
      if (rv === undefined) return false;
      if (!Array.isArray(v)) return test(v as Scalar, rv);
      if (op === 'in') {
        for (const x of v as readonly Scalar[]) if (!test(x, rv)) return false;
        return true;
      }
      for (const x of v as readonly Scalar[]) if (test(x, rv)) return true;
      return false;
    };
  }
}

/** Keeps type/list-ness/mode of an operand but relabels it (string transformers). */
function base(inner: Operand, label: string): Omit<Operand, 'extract'> {
  return { type: inner.type, isList: inner.isList, mode: inner.mode, label };
}

/** `op oneof/anyof/allof (r…)`: counts the literals the value satisfies; false on an empty list. */
function modifierMatcher(modifier: string, ms: readonly Matcher[]): Matcher {
  if (ms.length === 0) return () => false;
  switch (modifier) {
    case 'oneof':
      return (v) => {
        let n = 0;
        for (const m of ms) if (m(v) && ++n > 1) return false;
        return n === 1;
      };
    case 'allof':
      return (v) => {
        for (const m of ms) if (!m(v)) return false;
        return true;
      };
    default:
      return (v) => {
        for (const m of ms) if (m(v)) return true;
        return false;
      };
  }
}

/**
 * Wraps a value matcher with the operand's extraction semantics: missing ⇒ false; list fields
 * (`in` = subset, `intersects` = overlap); any-ancestor (some ancestor matches); either-endpoint
 * (some endpoint matches, except plain `!=`: no endpoint equals).
 */
function applyMode(l: Operand, op: BaseOp, plain: boolean, m: Matcher): Filter {
  const ex = l.extract;
  if (l.isList) {
    if (op === 'in') {
      return (ev) => {
        const v = ex(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return m(v as Scalar);
        for (const x of v as readonly Scalar[]) if (!m(x)) return false;
        return true;
      };
    }
    return (ev) => {
      const v = ex(ev);
      if (v === undefined) return false;
      if (!Array.isArray(v)) return m(v as Scalar);
      for (const x of v as readonly Scalar[]) if (m(x)) return true;
      return false;
    };
  }
  if (l.mode === 'scalar') {
    return (ev) => {
      const v = ex(ev);
      return v !== undefined && m(v as Scalar);
    };
  }
  if (l.mode === 'either-endpoint' && op === 'ne' && plain) {
    return (ev) => {
      const v = ex(ev);
      if (v === undefined) return false;
      if (!Array.isArray(v)) return m(v as Scalar);
      if (v.length === 0) return false;
      for (const x of v as readonly Scalar[]) if (!m(x)) return false;
      return true;
    };
  }
  return (ev) => {
    const v = ex(ev);
    if (v === undefined) return false;
    if (!Array.isArray(v)) return m(v as Scalar);
    for (const x of v as readonly Scalar[]) if (m(x)) return true;
    return false;
  };
}

/**
 * Type-checks a condition AST (after macro substitution) against a source and compiles it into
 * a filter. Throws ConditionError with Falco's message on the first error.
 */
export function compileCondition(
  expr: Expr,
  source: SourceDef,
  options: CompileOptions = {},
): CompiledCondition {
  const c = new Compiler(source, options);
  const filter = c.expr(expr);
  return { filter, warnings: c.warnings };
}

/** A field or transformer compiled into an extractor (outputs, exceptions tooling). */
export interface CompiledOperand {
  /** Resulting type (after transformers; `len()` gives UINT64). */
  type: FieldType;
  isList: boolean;
  mode: MatchMode;
  extract: Extractor;
}

/**
 * Resolves and type-checks a field or transformer expression against a source (same rules as
 * in conditions) and returns its extractor. Throws ConditionError.
 */
export function compileOperand(node: FieldExpr | TransformerExpr, source: SourceDef): CompiledOperand {
  const o = new Compiler(source, {}).operand(node);
  return { type: o.type, isList: o.isList, mode: o.mode, extract: o.extract };
}

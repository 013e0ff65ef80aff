/**
 * Checker and compiler: resolves fields (and transformer calls, through transformer-compiler.ts)
 * against a SourceDef, validates operators and literals by type (Falco's messages), and builds
 * the filter as a tree of closures, and the same condition as data (plan.ts). No eval/new
 * Function here (the console's CSP forbids it): a RuleSet generates code from the plans only
 * where the platform allows it (rules/group-eval.ts). Everything that depends only on the
 * condition is precomputed here so evaluation does no parsing and little allocation.
 */
import type { Extracted, Extractor, FieldType, MatchMode, Scalar, SourceDef } from '../fields/types.js';
import {
  type BinaryCheckExpr,
  type Expr,
  type FieldExpr,
  type Node,
  type Pos,
  TRANSFORMERS,
  type TransformerExpr,
  type UnaryCheckExpr,
} from './ast.js';
import { failAt, type Range } from './errors.js';
import {
  type BaseOp,
  baseOp,
  dynamicCompare,
  literalMatcher,
  type Matcher,
  pmatchMatcher,
  setMatcher,
} from './matchers.js';
import type { Operand } from './operand.js';
import {
  type CheckPlan,
  type CheckShape,
  type MatcherInfo,
  type Plan,
  type PlanRead,
  structuralKey,
} from './plan.js';
import { printNode } from './printer.js';
import { compileRegex, regexMayBeSimpler } from './regex.js';
import { compileTransformer, type ResolveOperand } from './transformer-compiler.js';
import {
  hexToBytes,
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

/**
 * The evaluation counter of a family of filters compiled with one `SharedCompile`: a memoised
 * subtree keeps its result for one value of `value`. Whoever evaluates the filters of one event
 * advances it once before the first filter (a RuleSet does, per event), so an event mutated
 * between evaluations is never answered from a stale memo.
 */
export class EvalEpoch {
  value = 0;
  /** Starts a new evaluation: every memoised result becomes stale. */
  advance(): void {
    this.value++;
  }
}

/**
 * Work shared between the conditions compiled against one source (the rules of one load): a
 * subtree that several conditions contain as the same AST object (a macro's expansion) is
 * compiled once, and the subtrees in `memo` keep their result per evaluation (`epoch`).
 */
export interface SharedCompile {
  readonly epoch: EvalEpoch;
  /** Compiled subtrees by node, with the warnings their compile emitted (re-emitted on reuse). */
  readonly compiled: Map<Expr, { filter: Filter; warnings: readonly CompileWarning[]; plan?: Plan }>;
  /** Subtrees whose result is memoised per evaluation (macro expansions with more than one check). */
  readonly memo: ReadonlySet<Expr>;
}

/** Options of `compileCondition`. */
export interface CompileOptions {
  /** Receives warnings; they are also returned on the result. */
  onWarning?: (w: CompileWarning) => void;
  /**
   * Share compiled subtrees (and memoise the `memo` ones) with other conditions compiled with the
   * same object. Filters then answer correctly only when `shared.epoch` advances before each
   * event's first filter.
   */
  shared?: SharedCompile;
}

/** A filter that keeps its result while `epoch.value` is unchanged. */
function memoised(f: Filter, epoch: EvalEpoch): Filter {
  let at = -1;
  let result = false;
  return (ev) => {
    if (at === epoch.value) return result;
    result = f(ev);
    at = epoch.value;
    return result;
  };
}

/** The result of `compileCondition`. */
export interface CompiledCondition {
  filter: Filter;
  warnings: CompileWarning[];
  /** The same condition as data (see plan.ts), for evaluators that share work between conditions. */
  plan: Plan;
}

interface Built {
  filter: Filter;
  plan: Plan;
}

const TRANSFORMER_CALL = new RegExp(`^(?:val|${TRANSFORMERS.join('|')})\\(.*\\)$`, 's');

class Compiler {
  readonly warnings: CompileWarning[] = [];
  private readonly source: SourceDef;
  private readonly options: CompileOptions;
  /** Transformer arguments resolve as any operand does (nested transformers included). */
  private readonly resolveOperand: ResolveOperand = (node) => this.operand(node);

  constructor(source: SourceDef, options: CompileOptions) {
    this.source = source;
    this.options = options;
  }

  private warn(code: CompileWarningCode, message: string, node: Node): void {
    this.emit({ code, message, pos: node.pos, range: { start: node.pos.idx, end: node.end } });
  }

  private emit(w: CompileWarning): void {
    this.warnings.push(w);
    this.options.onWarning?.(w);
  }

  expr(e: Expr): Filter {
    return this.node(e).filter;
  }

  node(e: Expr): Built {
    const shared = this.options.shared;
    if (shared === undefined) return this.compileExpr(e);
    const done = shared.compiled.get(e);
    if (done?.plan !== undefined) {
      // The same node compiled for another condition: the same filter, and the same warnings at
      // the same point of this condition's compile.
      for (const w of done.warnings) this.emit(w);
      return { filter: done.filter, plan: done.plan };
    }
    const first = this.warnings.length;
    const built = this.compileExpr(e);
    let filter = built.filter;
    if (shared.memo.has(e)) filter = memoised(filter, shared.epoch);
    shared.compiled.set(e, { filter, warnings: this.warnings.slice(first), plan: built.plan });
    return { filter, plan: built.plan };
  }

  private compileExpr(e: Expr): Built {
    switch (e.kind) {
      case 'and': {
        const bs = e.children.map((c) => this.node(c));
        const cs = bs.map((b) => b.filter);
        const plan: Plan = {
          kind: 'and',
          key: `&(${bs.map((b) => b.plan.key).join(',')})`,
          children: bs.map((b) => b.plan),
        };
        if (cs.length === 2) {
          const [a, b] = cs as [Filter, Filter];
          return { filter: (ev) => a(ev) && b(ev), plan };
        }
        return {
          filter: (ev) => {
            for (const c of cs) if (!c(ev)) return false;
            return true;
          },
          plan,
        };
      }
      case 'or': {
        const bs = e.children.map((c) => this.node(c));
        const cs = bs.map((b) => b.filter);
        const plan: Plan = {
          kind: 'or',
          key: `|(${bs.map((b) => b.plan.key).join(',')})`,
          children: bs.map((b) => b.plan),
        };
        if (cs.length === 2) {
          const [a, b] = cs as [Filter, Filter];
          return { filter: (ev) => a(ev) || b(ev), plan };
        }
        return {
          filter: (ev) => {
            for (const c of cs) if (c(ev)) return true;
            return false;
          },
          plan,
        };
      }
      case 'not': {
        const b = this.node(e.child);
        const c = b.filter;
        return { filter: (ev) => !c(ev), plan: { kind: 'not', key: `!(${b.plan.key})`, child: b.plan } };
      }
      case 'identifier':
        return failAt('COMPILE_UNDEFINED_MACRO', `unexpected identifier '${e.name}'`, e);
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
      return failAt('COMPILE_UNKNOWN_FIELD', `filter_check called with nonexistent field ${node.name}`, node);
    }
    if (resolved.dottedArg !== undefined && node.arg !== undefined) {
      return failAt('COMPILE_BAD_FIELD_ARG', `field '${node.name}' does not accept an argument`, node);
    }
    let bound: ReturnType<SourceDef['bind']>;
    try {
      bound = this.source.bind(resolved.base, resolved.dottedArg ?? node.arg);
    } catch (e) {
      return failAt('COMPILE_BAD_FIELD_ARG', (e as Error).message, node);
    }
    return {
      type: bound.def.type,
      isList: bound.def.isList,
      mode: bound.mode,
      extract: bound.extract,
      ...(bound.structured === undefined ? {} : { structured: bound.structured }),
      label: printNode(node),
      def: bound.def,
      fieldName: node.name,
    };
  }

  operand(node: FieldExpr | TransformerExpr): Operand {
    return node.kind === 'field' ? this.field(node) : compileTransformer(node, this.resolveOperand);
  }

  // ---- checks ----------------------------------------------------------------------------

  private unary(e: UnaryCheckExpr): Built {
    const l = this.operand(e.left);
    const ex = l.extract;
    const filter: Filter =
      l.mode === 'scalar'
        ? (ev) => ex(ev) !== undefined
        : (ev) => {
            const v = ex(ev);
            return v !== undefined && (!Array.isArray(v) || v.length > 0);
          };
    const shape: CheckShape = l.mode === 'scalar' ? 'exists' : 'exists-list';
    return { filter, plan: { ...this.check(e, filter), read: this.read(e.left, l), shape } };
  }

  /** A check's plan without its read (an opaque filter until the caller adds one). */
  private check(e: Expr, filter: Filter): CheckPlan {
    return { kind: 'check', key: structuralKey(e), filter };
  }

  private read(node: FieldExpr | TransformerExpr, l: Operand): PlanRead {
    const key = structuralKey(node);
    return l.structured === undefined
      ? { key, extract: l.extract }
      : { key, extract: l.extract, structured: l.structured };
  }

  private binary(e: BinaryCheckExpr): Built {
    const l = this.operand(e.left);
    const space = e.op.indexOf(' ');
    const opText = space === -1 ? e.op : e.op.slice(0, space);
    const modifier = space === -1 ? undefined : e.op.slice(space + 1);
    const op = baseOp(opText);
    if (op === undefined) return failAt('COMPILE_OPERATOR_NOT_SUPPORTED', `unknown operator '${opText}'`, e);
    const typeError = operatorError(l.type, l.isList, opText, modifier !== undefined);
    if (typeError !== undefined) return failAt('COMPILE_OPERATOR_NOT_SUPPORTED', typeError, e);

    if (e.right.kind === 'transformer') {
      const filter = this.fieldToField(e, l, op, e.right);
      return { filter, plan: this.check(e, filter) };
    }

    const values = e.right.kind === 'list' ? e.right.values : [e.right.value];
    this.literalWarnings(e, op, values);
    const kind = kindOf(l.type);
    if (l.type !== 'BYTEBUF') {
      for (const v of values) {
        if (v.includes('\0')) {
          return failAt('COMPILE_NUL_BYTE', 'filter value cannot contain a NUL byte (\\x00)', e.right);
        }
      }
    }
    if (l.fieldName === 'evt.type' && this.source.isKnownEventType !== undefined) {
      if (op === 'eq' || op === 'ne' || op === 'in' || op === 'intersects') {
        for (const v of values) {
          if (!this.source.isKnownEventType(v))
            return failAt('COMPILE_UNKNOWN_EVENT_TYPE', `unknown event type ${v}`, e.right);
        }
      }
    }
    const lits = values.map((v) => this.literal(e, l, op, kind, v));

    let m: Matcher;
    let info: MatcherInfo | undefined;
    if (modifier !== undefined) {
      m = modifierMatcher(
        modifier,
        lits.map((lit) => this.matcher(e, op, kind, lit)),
      );
    } else if (op === 'in' || op === 'intersects') {
      // Long-standing libsinsp quirk: `fd.net in (a, b)` only tests the first network.
      const set = l.mode === 'either-endpoint' && kind === 'net' ? lits.slice(0, 1) : lits;
      m = setMatcher(kind, set);
      if (kind === 'str' && set.length === 1) info = { kind: 'str-eq', lit: set[0] as string };
      else if (kind === 'str' && set.length > 1) info = { kind: 'str-set', set: new Set(set as string[]) };
    } else if (op === 'pmatch') {
      m = pmatchMatcher(values);
    } else {
      m = this.matcher(e, op, kind, lits[0]!);
      info = kind === 'str' ? stringInfo(op, lits[0] as string) : scalarInfo(op, kind, lits[0]!);
    }
    const filter = applyMode(l, op, modifier === undefined, m);
    const shape: CheckShape = l.isList
      ? op === 'in'
        ? 'every'
        : 'some'
      : l.mode === 'scalar'
        ? 'scalar'
        : l.mode === 'either-endpoint' && op === 'ne' && modifier === undefined
          ? 'all-nonempty'
          : 'some';
    const plan: CheckPlan = { ...this.check(e, filter), read: this.read(e.left, l), shape, match: m };
    if (info !== undefined) plan.info = info;
    // `evt.type` is the event type the source indexes events by: for a known type the check is
    // a constant.
    if (
      l.fieldName === 'evt.type' &&
      e.left.kind === 'field' &&
      e.left.arg === undefined &&
      shape === 'scalar' &&
      this.source.eventType !== undefined
    ) {
      plan.onType = (type) => m(type);
    }
    return { filter, plan };
  }

  private matcher(e: BinaryCheckExpr, op: BaseOp, kind: ValueKind, lit: Scalar): Matcher {
    try {
      return literalMatcher(op, kind, lit);
    } catch (x) {
      return failAt('COMPILE_INVALID_REGEX', (x as Error).message, e.right);
    }
  }

  private literal(e: BinaryCheckExpr, l: Operand, op: BaseOp, kind: ValueKind, text: string): Scalar {
    if (op === 'bcontains' || op === 'bstartswith') {
      const bytes = hexToBytes(text);
      if (bytes === undefined) {
        return failAt(
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
        return failAt('COMPILE_INVALID_REGEX', (x as Error).message, e.right);
      }
      return text;
    }
    if (op === 'pmatch' || op === 'glob' || op === 'iglob')
      return kind === 'bytes' ? textToBytes(text) : text;
    try {
      return parseLiteral(l.type, text);
    } catch (x) {
      if (x instanceof LiteralError) return failAt('COMPILE_INVALID_VALUE', x.message, e.right);
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
      return failAt(
        'COMPILE_UNSUPPORTED_RHS_FIELD',
        `operator '${e.op}' does not support a field on the right-hand side`,
        e,
      );
    }
    let r: Operand;
    if (rnode.name === 'val') {
      if (rnode.arg !== undefined) {
        return failAt('COMPILE_TRANSFORMER', "transformer 'val' does not support field arguments", rnode);
      }
      r = this.field(rnode.args[0] as FieldExpr);
    } else {
      r = compileTransformer(rnode, this.resolveOperand);
    }
    const kind = kindOf(l.type);
    if (kind === 'net') {
      return failAt(
        'COMPILE_UNSUPPORTED_RHS_FIELD',
        `field '${l.label}' does not support field-to-field comparison`,
        e,
      );
    }
    for (const side of [l, r]) {
      if (side.def?.noRhs || side.mode !== 'scalar') {
        return failAt(
          'COMPILE_UNSUPPORTED_RHS_FIELD',
          `field '${side.label}' does not support field-to-field comparison`,
          side === l ? e.left : rnode,
        );
      }
    }
    const setOp = op === 'in' || op === 'intersects';
    if (kind !== kindOf(r.type) || (!setOp && l.isList !== r.isList)) {
      return failAt(
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

/** String matchers the code generator writes inline (stringMatcher's semantics, exactly). */
function stringInfo(op: BaseOp, lit: string): MatcherInfo | undefined {
  switch (op) {
    case 'eq':
      return { kind: 'str-eq', lit };
    case 'ne':
      return { kind: 'str-ne', lit };
    case 'startswith':
      return { kind: 'str-startswith', lit };
    case 'endswith':
      return { kind: 'str-endswith', lit };
    case 'contains':
      return { kind: 'str-contains', lit };
    default:
      return undefined;
  }
}

/**
 * Boolean and number matchers the code generator writes inline (literalMatcher's semantics,
 * exactly): a boolean equals its literal or the literal's number; a number compares as a number,
 * and any other value (a bigint, a boolean) still goes through the matcher.
 */
function scalarInfo(op: BaseOp, kind: ValueKind, lit: Scalar): MatcherInfo | undefined {
  if (kind === 'bool' && typeof lit === 'boolean') {
    if (op === 'eq') return { kind: 'bool-eq', bool: lit };
    if (op === 'ne') return { kind: 'bool-ne', bool: lit };
    return undefined;
  }
  if (kind !== 'sint' && kind !== 'uint' && kind !== 'double' && kind !== 'port') return undefined;
  if (typeof lit !== 'number' || !Number.isFinite(lit)) return undefined;
  switch (op) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return { kind: 'num-cmp', op, num: lit };
    default:
      return undefined;
  }
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
  const { filter, plan } = c.node(expr);
  return { filter, warnings: c.warnings, plan };
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

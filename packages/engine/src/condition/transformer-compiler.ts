/**
 * The transformer compiler: type-checks `tolower toupper b64 basename len join concat getopt`
 * calls against their arguments (Falco's messages) and composes their extractors from the
 * runtime functions in transformers.ts. The condition compiler calls it for every transformer
 * operand, on either side of a check.
 */
import type { Extracted, Extractor, FieldType } from '../fields/types.js';
import type { FieldExpr, Node, TransformerArg, TransformerExpr, ValueExpr } from './ast.js';
import { failAt } from './errors.js';
import type { Operand } from './operand.js';
import { printNode } from './printer.js';
import { applyB64, applyBasename, applyCase, applyLen, getopt, textList } from './transformers.js';
import { isStringType } from './value-kinds.js';

/** Compiles a field or transformer argument (the condition compiler's operand resolution). */
export type ResolveOperand = (node: FieldExpr | TransformerExpr) => Operand;

/** A transformer argument after resolution. */
type Arg =
  | { kind: 'value'; text: string; node: ValueExpr }
  | { kind: 'list'; items: Arg[]; node: Node }
  | { kind: 'operand'; op: Operand; node: Node };

const STRING_TRANSFORMABLE: ReadonlySet<FieldType> = new Set(['CHARBUF', 'FSPATH', 'FSRELPATH']);
const B64_TRANSFORMABLE: ReadonlySet<FieldType> = new Set(['CHARBUF', 'BYTEBUF', 'FSPATH', 'FSRELPATH']);

/** Keeps type/list-ness/mode of an operand but relabels it (string transformers). */
function relabel(inner: Operand, label: string): Omit<Operand, 'extract'> {
  return { type: inner.type, isList: inner.isList, mode: inner.mode, label };
}

function resolveArg(node: TransformerArg, resolve: ResolveOperand): Arg {
  switch (node.kind) {
    case 'value':
      return { kind: 'value', text: node.value, node };
    case 'transformer_list':
      return { kind: 'list', items: node.children.map((c) => resolveArg(c, resolve)), node };
    default:
      return { kind: 'operand', op: resolve(node), node };
  }
}

/**
 * Resolves and type-checks a transformer call (`toupper(proc.name)`, `join(",", proc.args)`) with
 * Falco's messages, and builds its extractor. `resolve` compiles the field and transformer
 * arguments (the compiler's own operand resolution, so nested calls follow the same rules).
 */
export function compileTransformer(node: TransformerExpr, resolve: ResolveOperand): Operand {
  const name = node.name;
  if (name === 'val') {
    return failAt('COMPILE_TRANSFORMER', "transformer 'val' can only be used on the right-hand side", node);
  }
  if (node.arg !== undefined && name !== 'getopt') {
    return failAt('COMPILE_TRANSFORMER', `transformer '${name}' does not support field arguments`, node);
  }
  const args = node.args.map((a) => resolveArg(a, resolve));
  const label = printNode(node);
  switch (name) {
    case 'join':
      return compileJoin(node, args, label);
    case 'concat':
      return compileConcat(node, args, label);
    case 'getopt':
      return compileGetopt(node, args, label);
  }
  const a = args[0];
  if (args.length !== 1 || a === undefined || a.kind !== 'operand') {
    return failAt('COMPILE_TRANSFORMER', `transformer '${name}' requires exactly one field argument`, node);
  }
  const inner = a.op;
  if (inner.def?.noTransformer || inner.mode !== 'scalar') {
    return failAt('COMPILE_TRANSFORMER', `field '${inner.label}' does not support transformers`, node);
  }
  const unsupported = (): never =>
    failAt(
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
      return { ...relabel(inner, label), extract: (e) => applyCase(ex(e), upper) };
    }
    case 'b64': {
      if (!B64_TRANSFORMABLE.has(inner.type)) unsupported();
      const toBytes = inner.type === 'BYTEBUF';
      return { ...relabel(inner, label), extract: (e) => applyB64(ex(e), toBytes) };
    }
    case 'basename':
      if (!STRING_TRANSFORMABLE.has(inner.type)) unsupported();
      return { ...relabel(inner, label), extract: (e) => applyBasename(ex(e)) };
    case 'len':
      if (!inner.isList && !STRING_TRANSFORMABLE.has(inner.type) && inner.type !== 'BYTEBUF') unsupported();
      return { type: 'UINT64', isList: false, mode: 'scalar', label, extract: (e) => applyLen(ex(e)) };
    default:
      return failAt('COMPILE_TRANSFORMER', `unknown transformer '${name}'`, node);
  }
}

/** Extractor for a multi-value argument: a literal, a field/transformer, or a `( ... )` list. */
function argExtractor(a: Arg): Extractor {
  if (a.kind === 'value') {
    const v = a.text;
    return () => v;
  }
  if (a.kind === 'operand') return a.op.extract;
  const items = a.items.map((i) => argExtractor(i));
  return (e) => {
    const vals: Extracted[] = [];
    for (const it of items) vals.push(it(e));
    return textList(vals);
  };
}

function isListArg(a: Arg): boolean {
  return a.kind === 'list' || (a.kind === 'operand' && a.op.isList);
}

function compileJoin(node: TransformerExpr, args: Arg[], label: string): Operand {
  if (args.length !== 2) {
    return failAt('COMPILE_TRANSFORMER', 'join() requires exactly 2 arguments: separator and list', node);
  }
  const [sep, list] = args as [Arg, Arg];
  if (isListArg(sep)) {
    return failAt(
      'COMPILE_TRANSFORMER',
      'join() first argument (separator) must be a single value, not a list',
      node,
    );
  }
  if (!isListArg(list)) return failAt('COMPILE_TRANSFORMER', 'join() second argument must be a list', node);
  const sepEx = argExtractor(sep);
  const listEx = argExtractor(list);
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

function compileConcat(node: TransformerExpr, args: Arg[], label: string): Operand {
  if (args.length < 2) return failAt('COMPILE_TRANSFORMER', 'concat() requires at least 2 arguments', node);
  for (const a of args) {
    if (isListArg(a) || (a.kind === 'operand' && !isStringType(a.op.type))) {
      return failAt('COMPILE_TRANSFORMER', 'concat() arguments must be strings', node);
    }
  }
  const exs = args.map((a) => argExtractor(a));
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

function compileGetopt(node: TransformerExpr, args: Arg[], label: string): Operand {
  if (args.length !== 2) {
    return failAt(
      'COMPILE_TRANSFORMER',
      'getopt() requires exactly 2 arguments: args list and optstring',
      node,
    );
  }
  const [list, opts] = args as [Arg, Arg];
  if (!isListArg(list)) return failAt('COMPILE_TRANSFORMER', 'getopt() first argument must be a list', node);
  if (isListArg(opts)) {
    return failAt('COMPILE_TRANSFORMER', 'getopt() second argument (optstring) must be a single value', node);
  }
  const select = node.arg;
  if (select !== undefined && select.length !== 1) {
    return failAt('COMPILE_TRANSFORMER', 'getopt() field argument must be a single option character', node);
  }
  const listEx = argExtractor(list);
  const optsEx = argExtractor(opts);
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

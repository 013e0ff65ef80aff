/**
 * Falco's per-key decoders of rule-file items (decode_val, decode_seq, decode_overrides,
 * decode_exception_* in rule_loader_reader.cpp): each reads one key of a YAML mapping from its
 * literal text and throws RuleLoadError (LOAD_ERR_YAML_VALIDATE) with Falco's message and
 * context chain when the value has the wrong shape. The item-level reading is in reader.ts.
 */
import { type Context, type Diagnostic, type Range, RuleLoadError } from './diagnostics.js';
import { type ExceptionEntry, type ExceptionInfo, UNDEFINED_ENTRY } from './model.js';
import { parsePriority, type Priority } from './priority.js';
import { fromScalar, type SourceText } from './source-text.js';
import { get, type PositionMap, type YMap, type YNode } from './yaml.js';

const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

export function yamlError(message: string, ctx: Context): never {
  throw new RuleLoadError('LOAD_ERR_YAML_VALIDATE', message, ctx);
}

/**
 * The range of a named item for its diagnostics: from the item's start (Falco's position) to the
 * end of its name (`- rule: Foo`), so editor markers underline the heading, not the whole item.
 */
export function headRange(item: YMap, key: string): Range {
  const entry = item.entries.find((e) => e.key === key);
  if (!entry) return item.range;
  const end =
    entry.value.range.end.offset >= item.range.start.offset ? entry.value.range.end : item.range.end;
  return { file: item.range.file, start: item.range.start, end };
}

export function valueCtx(node: YNode, key: string, ctx: Context): Context {
  return ctx.child('value for', key, node.range);
}

/** decode_val: a required/optional non-empty scalar, returned with its node. */
export function scalar(
  item: YMap,
  key: string,
  ctx: Context,
  optional: boolean,
): { text: string; node: YNode } | undefined {
  const v = get(item, key);
  if (v === undefined) {
    if (optional) return undefined;
    yamlError(`Item has no mapping for key '${key}'`, ctx);
  }
  if (v.kind === 'null') yamlError(`Mapping for key '${key}' is empty`, ctx);
  const vctx = valueCtx(v, key, ctx);
  if (v.kind !== 'scalar') yamlError('Value is not a scalar value', vctx);
  if (v.text === '') yamlError('Value must be non-empty', vctx);
  return { text: v.text, node: v };
}

export function str(item: YMap, key: string, ctx: Context): string {
  return scalar(item, key, ctx, false)!.text;
}

export function optStr(item: YMap, key: string, ctx: Context): string | undefined {
  return scalar(item, key, ctx, true)?.text;
}

function decodeBool(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

export function optBool(item: YMap, key: string, ctx: Context): boolean | undefined {
  const s = scalar(item, key, ctx, true);
  if (!s) return undefined;
  const b = decodeBool(s.text);
  if (b === undefined) yamlError("Can't decode YAML scalar value", valueCtx(s.node, key, ctx));
  return b;
}

export function bool(item: YMap, key: string, ctx: Context): boolean {
  const s = scalar(item, key, ctx, false)!;
  const b = decodeBool(s.text);
  if (b === undefined) yamlError("Can't decode YAML scalar value", valueCtx(s.node, key, ctx));
  return b;
}

export function optUint(item: YMap, key: string, ctx: Context): number | undefined {
  const s = scalar(item, key, ctx, true);
  if (!s) return undefined;
  if (!/^\+?\d+$/.test(s.text) || Number(s.text) > 0xffffffff) {
    yamlError("Can't decode YAML scalar value", valueCtx(s.node, key, ctx));
  }
  return Number(s.text);
}

/** decode_seq for `items` / `tags`. */
export function seq(item: YMap, key: string, ctx: Context, optional: boolean): string[] | undefined {
  const v = get(item, key);
  if (v === undefined) {
    if (optional) return undefined;
    yamlError(`Item has no mapping for key '${key}'`, ctx);
  }
  const vctx = valueCtx(v, key, ctx);
  if (v.kind !== 'seq') yamlError('Value is not a sequence', vctx);
  const out: string[] = [];
  for (const it of v.items) {
    const ictx = vctx.child('list item', '', it.range);
    if (it.kind === 'null') out.push('');
    else if (it.kind !== 'scalar') yamlError('sequence value is not scalar', ictx);
    else out.push(it.text);
  }
  return out;
}

export function tags(item: YMap, ctx: Context): string[] | undefined {
  const t = seq(item, 'tags', ctx, true);
  return t === undefined ? undefined : [...new Set(t)].sort();
}

export function priority(item: YMap, ctx: Context): Priority {
  const s = scalar(item, 'priority', ctx, false)!;
  const p = parsePriority(s.text);
  if (!p) yamlError('Invalid priority', ctx.child('rule priority', '', s.node.range));
  return p;
}

export function sourceText(
  item: YMap,
  key: string,
  ctx: Context,
  positions: PositionMap,
): { st: SourceText; node: YNode } {
  const s = scalar(item, key, ctx, false)!;
  return { st: fromScalar(s.text, s.node, positions), node: s.node };
}

/** decode_overrides: returns the keys to append and to replace. */
export function overrides(
  item: YMap,
  appendable: readonly string[],
  replaceable: readonly string[],
  ctx: Context,
): { append: Set<string>; replace: Set<string> } {
  const append = new Set<string>();
  const replace = new Set<string>();
  const v = get(item, 'override');
  if (v === undefined || v.kind !== 'map') return { append, replace };
  const octx = ctx.child('overrides', '', v.range);
  for (const e of v.entries) {
    const op = e.value.kind === 'scalar' ? e.value.text : '';
    const canAppend = appendable.includes(e.key);
    const canReplace = replaceable.includes(e.key);
    const kctx = octx.child('overrides', e.key, e.keyRange);
    if (op === 'append') {
      if (!canAppend) yamlError(`Key '${e.key}' cannot be appended to, use 'replace' instead`, kctx);
      append.add(e.key);
    } else if (op === 'replace') {
      if (!canReplace) yamlError(`Key '${e.key}' cannot be replaced`, kctx);
      replace.add(e.key);
    } else {
      const allowed = `${canAppend ? 'append ' : ''}${canReplace ? 'replace ' : ''}`;
      yamlError(
        `Invalid override operation for key '${e.key}': '${op}'. Allowed values are: ${allowed}`,
        octx.child('value for', e.key, e.value.range),
      );
    }
  }
  return { append, replace };
}

function exceptionEntry(
  node: YNode | undefined,
  key: string,
  ctx: Context,
  optional: boolean,
): ExceptionEntry {
  if (node === undefined) {
    if (optional) return UNDEFINED_ENTRY;
    yamlError(`Item has no mapping for key '${key}'`, ctx);
  }
  const vctx = ctx.child('value for', key, node.range);
  if (node.kind === 'scalar') {
    if (node.text === '') yamlError('Value must be non-empty', vctx);
    return { isList: false, item: node.text, defined: true };
  }
  if (node.kind === 'seq') {
    return {
      isList: true,
      defined: true,
      items: node.items.map((v) => exceptionEntry(v, '', vctx.child('exception', '', v.range), false)),
    };
  }
  if (node.kind === 'null') {
    // A null inside a value list is an empty scalar in yaml-cpp.
    if (key === '') yamlError('Value must be non-empty', vctx);
    return { isList: false, item: '', defined: false };
  }
  return UNDEFINED_ENTRY;
}

export function readExceptions(
  item: YMap,
  ctx: Context,
  append: boolean,
  warn: (d: Diagnostic) => void,
): ExceptionInfo[] {
  const exs = get(item, 'exceptions');
  if (exs === undefined || exs.kind === 'null') return [];
  const exsCtx = ctx.child('exceptions', '', exs.range);
  if (exs.kind !== 'seq') yamlError('Rule exceptions must be a sequence', exsCtx);
  const out: ExceptionInfo[] = [];
  for (const ex of exs.items) {
    const tmp = exsCtx.child('exception', '', ex.range);
    if (ex.kind !== 'map') yamlError('Rule exception must be a mapping', tmp);
    const name = str(ex, 'name', tmp);
    const exCtx = ctx.child('exception', name, ex.range);
    if (out.some((e) => e.name === name)) {
      warn(
        exCtx.diagnostic(
          'LOAD_EXCEPTION_NAME_NOT_UNIQUE',
          `Multiple definitions of exception '${name}' in the same rule`,
        ),
      );
    }
    const fields = exceptionEntry(get(ex, 'fields'), 'fields', exCtx, append);
    const comps = exceptionEntry(get(ex, 'comps'), 'comps', exCtx, true);
    const values: ExceptionEntry[] = [];
    const vals = get(ex, 'values');
    if (vals !== undefined) {
      const valsCtx = exCtx.child('exception values', '', vals.range);
      if (vals.kind !== 'seq') yamlError('Rule exception values must be a sequence', valsCtx);
      for (const v of vals.items) {
        const vctx = valsCtx.child('exception value', '', v.range);
        values.push(exceptionEntry(v, '', vctx, false));
      }
    } else if (append) {
      warn(exCtx.diagnostic('LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values'));
    }
    out.push({ name, fields, comps, values, hasValues: vals !== undefined, ctx: exCtx });
  }
  return out;
}

export function warnUnknownKeys(
  item: YMap,
  allowed: Set<string>,
  ctx: Context,
  warn: (d: Diagnostic) => void,
): void {
  for (const e of item.entries) {
    if (!allowed.has(e.key)) {
      warn(
        ctx
          .child('value for', e.key, e.keyRange)
          .diagnostic('LOAD_UNKNOWN_KEY', `Unknown key '${e.key}'. The key will be ignored.`),
      );
    }
  }
}

export function optSource(item: YMap, ctx: Context): string | undefined {
  // `source` may be null or empty on appends/overrides.
  const v = get(item, 'source');
  if (v === undefined || v.kind === 'null' || (v.kind === 'scalar' && v.text === '')) return undefined;
  if (v.kind !== 'scalar') yamlError('Value is not a scalar value', valueCtx(v, 'source', ctx));
  return v.text;
}

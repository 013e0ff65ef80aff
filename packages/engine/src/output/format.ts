/**
 * Output format strings (spec §3.1): literal text with `%field` / `%Nfield` tokens. A token is the
 * longest prefix of the following text that is a known field (with its `[arg]` or `.arg`) or a
 * transformer expression. Compiled once per rule; rendering is a tight loop over parts.
 */
import type { Extracted, Extractor, FieldDef, SourceDef } from '../fields/types.js';
import { type JsonValue, renderJson, renderText } from './render.js';

/** A compiled `%` token. */
export interface OutputToken {
  /** The expression text as written (`proc.cmdline`, `proc.aname[2]`, `toupper(user.name)`). */
  text: string;
  /** Field width (`%20proc.name`), 0 when none. */
  width: number;
  extract: Extractor;
  def: FieldDef | undefined;
  /** True for transformer expressions (not keyed in output_fields by default). */
  transformer: boolean;
  /** Plain fields inside a transformer expression, keyed in output_fields instead. */
  innerFields: { text: string; extract: Extractor; def: FieldDef | undefined }[];
}

export type OutputPart = string | OutputToken;

/** Resolves a transformer expression starting at the beginning of `text` (provided by the condition compiler). */
export type TransformerResolver = (
  text: string,
  source: SourceDef,
) =>
  | {
      length: number;
      extract: Extractor;
      def: FieldDef | undefined;
      innerFields: { text: string; extract: Extractor; def: FieldDef | undefined }[];
    }
  | undefined;

export class OutputFormatError extends Error {
  constructor(
    message: string,
    /** Offset in the format string the error refers to. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'OutputFormatError';
  }
}

const WORD = /[A-Za-z0-9_.]+/y;

function tryField(
  text: string,
  at: number,
  source: SourceDef,
): { length: number; name: string; arg: string | undefined; extract: Extractor; def: FieldDef } | undefined {
  WORD.lastIndex = at;
  const m = WORD.exec(text);
  if (!m) return undefined;
  const word = m[0];
  for (let len = word.length; len > 0; len--) {
    const name = word.slice(0, len);
    const def = source.field(name);
    if (!def) continue;
    const after = at + len;
    const attempts: { arg: string | undefined; length: number }[] = [];
    if (def.arg && text[after] === '[') {
      const close = text.indexOf(']', after + 1);
      if (close > after) attempts.push({ arg: text.slice(after + 1, close), length: close + 1 - at });
    }
    if (def.arg?.dotted && word[len] === '.' && len + 1 < word.length) {
      attempts.push({ arg: word.slice(len + 1), length: word.length });
    }
    attempts.push({ arg: undefined, length: len });
    for (const a of attempts) {
      try {
        const b = source.bind(name, a.arg);
        return { length: a.length, name, arg: a.arg, extract: b.extract, def: b.def };
      } catch {
        // Try a shorter reading.
      }
    }
  }
  return undefined;
}

/** Compile an output format for a source. Throws OutputFormatError with Falco's messages. */
export function compileOutput(
  format: string,
  source: SourceDef,
  resolveTransformer?: TransformerResolver,
): OutputPart[] {
  const parts: OutputPart[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    const tokStart = i;
    i++;
    if (i >= format.length) {
      throw new OutputFormatError('invalid formatting syntax: formatting cannot end with a %', tokStart);
    }
    let width = 0;
    while (i < format.length && format[i]! >= '0' && format[i]! <= '9') {
      width = width * 10 + Number(format[i]);
      i++;
    }
    if (i >= format.length) {
      throw new OutputFormatError('invalid formatting syntax: formatting cannot end with a number', tokStart);
    }
    // Extension: `%(field)` renders the field. Falco has no such form (the `(` cannot start a
    // field, so Falco rejects it); accepting it changes nothing for files Falco loads.
    if (format[i] === '(') {
      const close = format.indexOf(')', i + 1);
      const inner = close > i ? format.slice(i + 1, close) : '';
      const f = inner ? tryField(inner, 0, source) : undefined;
      if (f && f.length === inner.length) {
        if (lit) parts.push(lit);
        lit = '';
        parts.push({
          text: inner,
          width,
          extract: f.extract,
          def: f.def,
          transformer: false,
          innerFields: [],
        });
        i = close + 1;
        continue;
      }
    }
    let t: ReturnType<TransformerResolver>;
    try {
      t = resolveTransformer?.(format.slice(i), source);
    } catch (e) {
      throw new OutputFormatError(`unknown filter: ${e instanceof Error ? e.message : String(e)}`, i);
    }
    let token: OutputToken;
    if (t) {
      token = {
        text: format.slice(i, i + t.length),
        width,
        extract: t.extract,
        def: t.def,
        transformer: true,
        innerFields: t.innerFields,
      };
      i += t.length;
    } else {
      const f = tryField(format, i, source);
      if (!f) {
        const rest = /^[^\s]*/.exec(format.slice(i))![0];
        throw new OutputFormatError(`invalid formatting token ${rest}`, tokStart);
      }
      token = {
        text: format.slice(i, i + f.length),
        width,
        extract: f.extract,
        def: f.def,
        transformer: false,
        innerFields: [],
      };
      i += f.length;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(token);
  }
  if (lit) parts.push(lit);
  return parts;
}

/** `%Nfield`: the text padded with spaces, or cut, to `width` characters (0: as it is). */
export function pad(s: string, width: number): string {
  if (width === 0) return s;
  return s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length);
}

/** Render the message text; missing values print as `<NA>`. */
export function renderOutput(parts: readonly OutputPart[], event: unknown): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else out += pad(renderText(safeExtract(p.extract, event), p.def), p.width);
  }
  return out;
}

/** The typed `output_fields` object: plain fields keyed by their text, transformer inner fields. */
export function renderOutputFields(
  parts: readonly OutputPart[],
  event: unknown,
  into: Record<string, JsonValue>,
): void {
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if (!p.transformer) into[p.text] = renderJson(safeExtract(p.extract, event), p.def);
    else for (const f of p.innerFields) into[f.text] = renderJson(safeExtract(f.extract, event), f.def);
  }
}

/**
 * `renderOutput` and `renderOutputFields` in one pass, each plain field read once for both:
 * fills `into` and returns the message text.
 */
export function renderOutputAndFields(
  parts: readonly OutputPart[],
  event: unknown,
  into: Record<string, JsonValue>,
): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const v = safeExtract(p.extract, event);
    out += pad(renderText(v, p.def), p.width);
    if (!p.transformer) into[p.text] = renderJson(v, p.def);
    else for (const f of p.innerFields) into[f.text] = renderJson(safeExtract(f.extract, event), f.def);
  }
  return out;
}

function safeExtract(extract: Extractor, event: unknown): Extracted {
  try {
    return extract(event);
  } catch {
    return undefined;
  }
}

/** An extra field's value: a single-field extra keeps its type; a format with text renders as a string. */
export function renderExtraField(parts: readonly OutputPart[], event: unknown): JsonValue {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only && typeof only !== 'string') {
    const tmp: Record<string, JsonValue> = {};
    renderOutputFields([only], event, tmp);
    const v = tmp[only.text];
    if (v !== undefined) return v;
  }
  return renderOutput(parts, event);
}

/** Fields referenced by an output (for deprecation checks and summaries). */
export function outputFieldNames(parts: readonly OutputPart[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if (p.def) out.push(p.def.name);
    for (const f of p.innerFields) if (f.def) out.push(f.def.name);
  }
  return out;
}

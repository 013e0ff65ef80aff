/**
 * Transformer tokens in output format strings (`%toupper(proc.name)`, `%join(",", (a.b, c.d))`):
 * the resolver the output formatter (src/output/format.ts `TransformerResolver`) plugs in.
 */
import type { Extractor, FieldDef, SourceDef } from '../fields/types.js';
import type { FieldExpr } from './ast.js';
import { compileOperand } from './compiler.js';
import { parseTransformerPrefix } from './parser.js';
import { printNode } from './printer.js';
import { walk } from './walk.js';

/** A resolved output transformer token. */
export interface OutputTransformer {
  /** Characters of the format text the expression spans. */
  length: number;
  extract: Extractor;
  /** A synthetic definition carrying the result type (for typed JSON rendering). */
  def: FieldDef;
  /** The plain fields inside, keyed in `output_fields` instead of the transformer itself. */
  innerFields: { text: string; extract: Extractor; def: FieldDef | undefined }[];
}

/**
 * Resolves a transformer expression at the start of `text` against a source. Undefined when the
 * text does not start with `name(`; throws ConditionError for malformed or ill-typed ones.
 */
export function resolveOutputTransformer(text: string, source: SourceDef): OutputTransformer | undefined {
  const parsed = parseTransformerPrefix(text);
  if (parsed === undefined) return undefined;
  const compiled = compileOperand(parsed.node, source);
  const fields: FieldExpr[] = [];
  walk(parsed.node, (n) => {
    if (n.kind === 'field') fields.push(n);
    return undefined;
  });
  const innerFields = fields.map((f) => {
    const c = compileOperand(f, source);
    const resolved = source.resolveField?.(f.name);
    const def = source.field(resolved?.name ?? f.name);
    return { text: printNode(f), extract: c.extract, def: def && { ...def, type: c.type } };
  });
  const expr = text.slice(0, parsed.length);
  return {
    length: parsed.length,
    extract: compiled.extract,
    def: { name: expr, type: compiled.type, isList: compiled.isList, description: `transformer ${expr}` },
    innerFields,
  };
}

/**
 * A resolved operand of a check: what the compiler knows about a field or a transformer chain
 * once it is bound to a source. Shared by the compiler and the transformer compiler.
 */
import type { Extractor, FieldDef, FieldType, MatchMode } from '../fields/types.js';

/** A resolved left/right operand: a field or a transformer chain. */
export interface Operand {
  type: FieldType;
  isList: boolean;
  mode: MatchMode;
  extract: Extractor;
  /** A plain field's extractor for structured events only (see SourceDef.bind). */
  structured?: Extractor;
  /** Text for messages (`proc.name`, `toupper(proc.name)`). */
  label: string;
  /** Set for a plain field (no transformer). */
  def?: FieldDef;
  /** The plain field's name as written (`evt.arg.flags`), for evt.type checks. */
  fieldName?: string;
}

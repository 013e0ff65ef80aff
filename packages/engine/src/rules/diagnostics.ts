/**
 * Load diagnostics as data: Falco's codes, messages and item-type context chain, plus an exact
 * source range so editors can place markers. Nothing here formats for a terminal; see
 * `format-load-result.ts` for Falco's text rendering.
 */

/** Falco's load error codes (`falco_load_result.cpp`). */
export const ERROR_CODES = {
  LOAD_ERR_FILE_READ: 'File read error',
  LOAD_ERR_YAML_PARSE: 'YAML parse error',
  LOAD_ERR_YAML_VALIDATE: 'Error validating internal structure of YAML file',
  LOAD_ERR_COMPILE_CONDITION: 'Error compiling condition',
  LOAD_ERR_COMPILE_OUTPUT: 'Error compiling output',
  LOAD_ERR_VALIDATE: 'Error validating rule/macro/list/exception objects',
  LOAD_ERR_EXTENSION: 'Error in extension item',
} as const;

/** Falco's load warning codes with their short descriptions. */
export const WARNING_CODES = {
  LOAD_UNKNOWN_SOURCE: 'Unknown event source',
  LOAD_UNSAFE_NA_CHECK: 'Unsafe <NA> comparison in condition',
  LOAD_NO_EVTTYPE: 'Condition has no event-type restriction',
  LOAD_UNKNOWN_FILTER: 'Unknown field or event-type in condition or output',
  LOAD_UNUSED_MACRO: 'Unused macro',
  LOAD_UNUSED_LIST: 'Unused list',
  LOAD_UNKNOWN_ITEM: 'Unknown rules file item',
  LOAD_DEPRECATED_ITEM: 'Used deprecated item',
  LOAD_WARNING_EXTENSION: 'Warning in extension item',
  LOAD_APPEND_NO_VALUES: 'Overriding/appending with no values',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'Multiple exceptions defined with the same name',
  LOAD_INVALID_MACRO_NAME: 'Invalid macro name',
  LOAD_INVALID_LIST_NAME: 'Invalid list name',
  LOAD_COMPILE_CONDITION: 'Warning in rule condition',
  LOAD_UNKNOWN_KEY: 'Unknown key in item definition',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type WarningCode = keyof typeof WARNING_CODES;
export type DiagnosticCode = ErrorCode | WarningCode;

/** Falco's context item types, as printed in `In <item type> '<name>': (file:line:col)`. */
export type ItemType =
  | 'value for'
  | 'exceptions'
  | 'exception'
  | 'exception values'
  | 'exception value'
  | 'rules content'
  | 'rules content item'
  | 'required_engine_version'
  | 'required plugin versions'
  | 'required plugin versions entry'
  | 'required plugin versions alternative'
  | 'list'
  | 'list item'
  | 'macro'
  | 'macro condition'
  | 'rule'
  | 'rule condition'
  | 'condition expression'
  | 'rule output'
  | 'rule output expression'
  | 'rule priority'
  | 'overrides'
  | 'extension item';

/** A point in a file. `line` and `col` are 1-based (editor convention); `offset` is 0-based UTF-16. */
export interface Position {
  line: number;
  col: number;
  offset: number;
}

export interface Range {
  file: string;
  start: Position;
  end: Position;
}

/** One step of Falco's context chain (outermost first). */
export interface Location {
  itemType: ItemType;
  itemName: string;
  range: Range;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  message: string;
  /** The most specific range (the last location's). */
  range: Range;
  /** Item type and name of the item the diagnostic belongs to (rule, macro, list, ...). */
  itemType: ItemType;
  itemName: string;
  /** Falco's full context chain, outermost first. */
  locations: Location[];
}

export function isErrorCode(code: DiagnosticCode): code is ErrorCode {
  return code in ERROR_CODES;
}

/** Short description of a code (`Unused macro`, `Error compiling condition`...). */
export function codeDescription(code: DiagnosticCode): string {
  return isErrorCode(code) ? ERROR_CODES[code] : WARNING_CODES[code as WarningCode];
}

/**
 * A context: the chain of locations from the file down to the node being read. Immutable; `child`
 * returns a longer chain.
 */
export class Context {
  constructor(readonly locations: readonly Location[]) {}

  static file(name: string): Context {
    const p: Position = { line: 1, col: 1, offset: 0 };
    return new Context([
      { itemType: 'rules content', itemName: '', range: { file: name, start: p, end: p } },
    ]);
  }

  child(itemType: ItemType, itemName: string, range: Range): Context {
    return new Context([...this.locations, { itemType, itemName, range }]);
  }

  get last(): Location {
    return this.locations[this.locations.length - 1]!;
  }

  /** The innermost named item (rule/macro/list/...) for the diagnostic's itemType/itemName. */
  owner(): { itemType: ItemType; itemName: string } {
    for (let i = this.locations.length - 1; i >= 0; i--) {
      const l = this.locations[i]!;
      if (
        l.itemType === 'rule' ||
        l.itemType === 'macro' ||
        l.itemType === 'list' ||
        l.itemType === 'required_engine_version' ||
        l.itemType === 'required plugin versions' ||
        l.itemType === 'rules content item'
      ) {
        return { itemType: l.itemType, itemName: l.itemName };
      }
    }
    const l = this.locations[0]!;
    return { itemType: l.itemType, itemName: l.itemName };
  }

  diagnostic(code: DiagnosticCode, message: string): Diagnostic {
    const owner = this.owner();
    return {
      code,
      severity: isErrorCode(code) ? 'error' : 'warning',
      message,
      range: this.last.range,
      itemType: owner.itemType,
      itemName: owner.itemName,
      locations: [...this.locations],
    };
  }
}

/** Thrown inside the loader to abort reading/compiling with one error (Falco's rule_load_exception). */
export class RuleLoadError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: Context,
  ) {
    super(message);
    this.name = 'RuleLoadError';
  }

  toDiagnostic(): Diagnostic {
    return this.context.diagnostic(this.code, this.message);
  }
}

import { type Node, type Pos, posAt } from './ast.js';

/** Stable codes for every condition diagnostic (parse and compile). */
export type ConditionErrorCode =
  | 'PARSE_EMPTY_INPUT'
  | 'PARSE_EXPECTED_BLANK'
  | 'PARSE_EXPECTED_CLOSE_PAREN'
  | 'PARSE_EXPECTED_CHECK'
  | 'PARSE_EXPECTED_OPERATOR'
  | 'PARSE_EXPECTED_FIELD_ARG'
  | 'PARSE_EXPECTED_CLOSE_BRACKET'
  | 'PARSE_EXPECTED_LIST'
  | 'PARSE_EXPECTED_NUMBER'
  | 'PARSE_EXPECTED_STRING'
  | 'PARSE_EXPECTED_TRANSFORMER_ARG'
  | 'PARSE_BAD_ESCAPE'
  | 'PARSE_UNEXPECTED_TOKEN'
  | 'PARSE_MAX_DEPTH'
  | 'COMPILE_UNKNOWN_FIELD'
  | 'COMPILE_BAD_FIELD_ARG'
  | 'COMPILE_UNDEFINED_MACRO'
  | 'COMPILE_OPERATOR_NOT_SUPPORTED'
  | 'COMPILE_INVALID_VALUE'
  | 'COMPILE_UNKNOWN_EVENT_TYPE'
  | 'COMPILE_TRANSFORMER'
  | 'COMPILE_INCOMPATIBLE_TYPES'
  | 'COMPILE_UNSUPPORTED_RHS_FIELD'
  | 'COMPILE_INVALID_REGEX'
  | 'COMPILE_NUL_BYTE';

/** The offsets `[start, end)` a diagnostic points at. */
export interface Range {
  start: number;
  end: number;
}

/**
 * A parse or compile failure as data: a stable `code`, Falco's message text (without the
 * `filter error at ...` prefix the caller may add), the range it points at and its start
 * position (line/column).
 */
export class ConditionError extends Error {
  override readonly name = 'ConditionError';
  readonly code: ConditionErrorCode;
  readonly range: Range;
  readonly pos: Pos;

  constructor(code: ConditionErrorCode, message: string, pos: Pos, end?: number) {
    super(message);
    this.code = code;
    this.pos = pos;
    this.range = { start: pos.idx, end: Math.max(end ?? pos.idx + 1, pos.idx) };
  }
}

/** Throws the ConditionError of `code` pointing at a node's range (the compiler's one way to fail). */
export function failAt(code: ConditionErrorCode, message: string, node: Node): never {
  throw new ConditionError(code, message, node.pos, node.end);
}

/** Renders `message` with the offending line and a caret under the error's start. */
export function renderError(text: string, error: ConditionError): string {
  const pos = error.pos.line > 0 ? error.pos : posAt(text, error.range.start);
  // Falco counts CR and LF each as a line break (so CRLF is two); split the same way.
  const lines = text.split(/\r|\n/);
  const line = lines[pos.line - 1] ?? '';
  const width = Math.max(1, Math.min(error.range.end, error.range.start + line.length) - error.range.start);
  return `${error.message}\n${line}\n${' '.repeat(Math.max(0, pos.col - 1))}${'^'.repeat(width)}`;
}

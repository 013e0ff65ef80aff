/**
 * Public API of the Falco condition language: parse → (macro substitution) → compile → filter.
 * Lists are substituted textually by the rules loader before parsing; macros are AST
 * substitution (`substituteMacros`).
 */

/** AST node types, positions and the transformer name list. */
export type {
  AndExpr,
  BinaryCheckExpr,
  Expr,
  FieldExpr,
  IdentifierExpr,
  ListExpr,
  Node,
  NodeBase,
  NotExpr,
  Operand,
  OrExpr,
  Pos,
  Rhs,
  TransformerArg,
  TransformerExpr,
  TransformerListExpr,
  UnaryCheckExpr,
  ValueExpr,
} from './ast.js';
/** Transformer names accepted by the parser (`val` excluded). */
export { TRANSFORMERS } from './ast.js';
/** Line/column of an offset (CR or LF starts a line), as Falco counts them. */
export { posAt } from './ast.js';
/** Compiled filter, options, result and warning types. */
export type {
  CompileOptions,
  CompileWarning,
  CompileWarningCode,
  CompiledCondition,
  Filter,
} from './compiler.js';
/** Type-checks an AST against a SourceDef and builds the event filter; throws ConditionError. */
export { compileCondition } from './compiler.js';
/** Compiles one field or transformer expression into an extractor (outputs, tooling). */
export { type CompiledOperand, compileOperand } from './compiler.js';
/** Resolver for `%transformer(...)` tokens in output format strings. */
export { type OutputTransformer, resolveOutputTransformer } from './output-transformer.js';
/** Diagnostic types: stable codes and ranges. */
export type { ConditionErrorCode, Range } from './errors.js';
/** The error every parse/compile failure throws (code, Falco message, range, position). */
export { ConditionError } from './errors.js';
/** Renders an error with its source line and a caret. */
export { renderError } from './errors.js';
/** Decodes a quoted token (`"a\tb"`) as Falco does. */
export { unescapeQuoted } from './escaping.js';
/** Quotes a value for printing when needed (Falco's escape_str). */
export { escapeValue } from './escaping.js';
/** Falco's rule-load warning pass (unsafe `<NA>` checks, deprecated fields). */
export { type FalcoWarning, falcoWarnings } from './falco-warnings.js';
/** fnmatch-style glob matcher used by `glob`/`iglob` (also handy for exception/rule-name globs). */
export { compileGlob } from './glob.js';
/** Condition operators as Falco spells them (the parser's own lists; editors import them too). */
export {
  BOOLEAN_OPERATORS,
  CHECK_OPERATORS,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  OPERATOR_MODIFIERS,
  STRING_SYMBOL_OPERATORS,
  STRING_WORD_OPERATORS,
  SYMBOL_OPERATORS,
  WORD_OPERATORS,
} from './operators.js';
/** Parses condition text into an AST; throws ConditionError. */
export { type ParseOptions, parseCondition } from './parser.js';
/** Parses a transformer expression at the start of a text (output tokens). */
export { parseTransformerPrefix } from './parser.js';
/** Prints an AST in Falco's canonical form (the "compiled condition" text). */
export { printCondition, printNode } from './printer.js';
/** AST walking, macro substitution and reference collection for the rules loader. */
export {
  childrenOf,
  collectFields,
  collectIdentifiers,
  MacroCycleError,
  substituteMacros,
  walk,
} from './walk.js';

/**
 * Falco's condition operators, written once: the parser lexes with these lists and tools (the
 * console's editor highlighting and completion) import them, so a new operator reaches every
 * place that names operators.
 */

/** Numeric comparisons; longest first, because the lexer takes the first one that matches. */
export const NUMERIC_OPERATORS = ['<=', '<', '>=', '>'] as const;
/** Symbol operators a string value follows; no blank needs to follow them. */
export const STRING_SYMBOL_OPERATORS = ['==', '=', '!='] as const;
/** Word operators a string value follows; a blank must follow them (`containsx` is no operator). */
export const STRING_WORD_OPERATORS = [
  'glob',
  'iglob',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'regex',
] as const;
/** Operators a list (`(a, b)` or a list name) follows. */
export const LIST_OPERATORS = ['intersects', 'in', 'pmatch'] as const;
/** `op oneof|anyof|allof (values)`: how many of the values must match. */
export const OPERATOR_MODIFIERS = ['oneof', 'anyof', 'allof'] as const;
/** The boolean connectives between checks. */
export const BOOLEAN_OPERATORS = ['and', 'or', 'not'] as const;
/** Every check operator, in the order Falco's "expected a valid check operator" message lists them. */
export const CHECK_OPERATORS = [
  'exists',
  ...NUMERIC_OPERATORS,
  ...STRING_SYMBOL_OPERATORS,
  ...STRING_WORD_OPERATORS,
  ...LIST_OPERATORS,
] as const;
/** Operators spelled as lower-case words (case-sensitive): the connectives and the word checks. */
export const WORD_OPERATORS: readonly string[] = [
  ...BOOLEAN_OPERATORS,
  ...CHECK_OPERATORS.filter((op) => /^[a-z]+$/.test(op)),
];
/** Operators spelled with symbols. */
export const SYMBOL_OPERATORS: readonly string[] = CHECK_OPERATORS.filter((op) => !/^[a-z]+$/.test(op));

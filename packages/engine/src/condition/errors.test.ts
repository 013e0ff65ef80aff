import { describe, expect, it } from 'vitest';
import { type ConditionError, renderError } from './errors.js';
import { parseCondition } from './parser.js';

describe('renderError', () => {
  it('shows the failing line with a caret under the error position', () => {
    const text = 'proc.name = a and\n  proc.name containsx';
    let error: ConditionError | undefined;
    try {
      parseCondition(text);
    } catch (e) {
      error = e as ConditionError;
    }
    expect(error?.code).toBe('PARSE_EXPECTED_OPERATOR');
    const rendered = renderError(text, error!).split('\n');
    expect(rendered[1]).toBe('  proc.name containsx');
    // libsinsp does not rewind after the word operator, so the error points past it.
    expect(rendered[2]).toBe(`${' '.repeat(20)}^`);
  });
});

import { describe, expect, it } from 'vitest';
import { redactError, redactText } from './log-redaction.js';

describe('log redaction', () => {
  it('drops what parsers and drivers quote, keeps the words around it', () => {
    let parseError: Error | undefined;
    try {
      JSON.parse('TOPSECRET-password');
    } catch (err) {
      parseError = err as Error;
    }
    const e = redactError(parseError as Error);
    expect(JSON.stringify(e)).not.toContain('TOPSECRET');
    expect(e.message).toMatch(/not valid JSON/);
    expect(redactText('invalid input syntax for type uuid: "abc-secret"')).toBe(
      'invalid input syntax for type uuid: "…"',
    );
    expect(redactText("value 'hunter2' refused")).toBe("value '…' refused");
    expect(redactText(`token ${'a'.repeat(48)} expired`)).toBe('token … expired');
    expect(redactText('can’t reach the database')).toBe('can’t reach the database');
  });
});

import { describe, expect, it } from 'vitest';
import { EscapeError, escapeValue, unescapeQuoted } from './escaping.js';

describe('unescapeQuoted', () => {
  it('decodes the control escapes, \\/, \\\\ and the legacy "\\ "', () => {
    expect(unescapeQuoted('"a\\tb\\nc\\/d\\\\e"')).toBe('a\tb\nc/d\\e');
    expect(unescapeQuoted('"bad escape \\ "')).toBe('bad escape \\');
  });

  it('allows only the escape of its own quote', () => {
    expect(unescapeQuoted("'it\\'s'")).toBe("it's");
    expect(() => unescapeQuoted('"it\\\'s"')).toThrow(`invalid \\' escape in "-quoted string`);
    expect(() => unescapeQuoted("'a\\\"b'")).toThrow(EscapeError);
  });

  it('decodes \\xHH to one code unit and rejects short or non-hex forms', () => {
    expect(unescapeQuoted('"\\x41\\xfF"')).toBe('A\u00ff');
    expect(() => unescapeQuoted('"\\xg1"')).toThrow(EscapeError);
    expect(() => unescapeQuoted('"\\q"')).toThrow('unsupported string escape sequence: \\q');
  });
});

describe('escapeValue', () => {
  it('leaves plain values alone and quotes values with blanks, = or quotes', () => {
    expect(escapeValue('/usr/bin/*')).toBe('/usr/bin/*');
    expect(escapeValue('')).toBe('');
    expect(escapeValue('a=b')).toBe('"a=b"');
    expect(escapeValue('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(escapeValue('a\u0001')).toBe('"a\\x01"');
  });
});

import { describe, expect, it } from 'vitest';
import { repairJsonText } from './collector-store.js';

describe('repairJsonText (the store net)', () => {
  it('costs nothing and changes nothing on clean text', () => {
    const text = JSON.stringify({ a: 'b', c: ['\u0001', 'é', '😀', 'C:\\u0000'] });
    expect(repairJsonText(text)).toEqual({ text, replaced: 0 });
  });

  it('replaces NUL and lone surrogates written by JSON.stringify, in values and keys', () => {
    const text = JSON.stringify([{ o: 'a\u0000b', 'k\ud800': '\udc00', ok: '😀' }]);
    const repaired = repairJsonText(text);
    expect(repaired.replaced).toBe(3);
    expect(JSON.parse(repaired.text)).toEqual([{ o: 'a\ufffdb', 'k\ufffd': '\ufffd', ok: '😀' }]);
  });

  it('minds backslash parity: an escaped backslash before u0000 is text', () => {
    const value = { p: '\\u0000', q: '\\\u0000', r: '\\\\ud800' };
    const repaired = repairJsonText(JSON.stringify(value));
    expect(repaired.replaced).toBe(1);
    expect(JSON.parse(repaired.text)).toEqual({ p: '\\u0000', q: '\\\ufffd', r: '\\\\ud800' });
  });
});

import { describe, expect, it } from 'vitest';
import { prefixedKeyTest } from './flat.js';

describe('prefixedKeyTest', () => {
  const isFlat = prefixedKeyTest(['ka.', 'jevt.']);
  const many = (extra: Record<string, unknown>) => ({
    ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])),
    ...extra,
  });

  it('tells flat maps from records with few keys and with many', () => {
    expect(isFlat({ ts: '1', payload: { verb: 'get' } })).toBe(false);
    expect(isFlat({ 'ka.verb': 'get' })).toBe(true);
    expect(isFlat(many({}))).toBe(false);
    // A prefixed key past the first few is still found (and the answer kept for the object).
    const late = many({ 'jevt.value': 1 });
    expect(isFlat(late)).toBe(true);
    expect(isFlat(late)).toBe(true);
  });
});

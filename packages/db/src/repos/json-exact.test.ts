import { describe, expect, it } from 'vitest';
import { parseJsonBigInt, parseJsonExact, stringifyJsonExact, stringifyRecordExact } from './json-exact.js';

describe('exact JSON for 64-bit integers', () => {
  it('writes a bigint as its integer literal, anywhere in the value', () => {
    expect(stringifyJsonExact({ 'evt.time': 1700000000123456789n, list: [1n, -2n], s: 'x' })).toBe(
      '{"evt.time":1700000000123456789,"list":[1,-2],"s":"x"}',
    );
    expect(stringifyJsonExact({ a: 1 })).toBe('{"a":1}');
  });

  it('writes a flat record value by value to the same text as stringifyJsonExact', () => {
    const records: Record<string, unknown>[] = [
      {},
      { 'evt.time': 1700000000123456789n, 'evt.rawtime': -5n, 'proc.name': 'bash', 'fd.num': 3 },
      { 'proc.args': null, ok: true, no: false, half: 0.5, big: 2 ** 60, neg: -0, nan: Number.NaN },
      { 'k"ey\\u\n': 'v"al\\ue\u0000\ud800', é: '🙂', __proto__x: 1 },
      { nested: { t: 1n, list: [2n, 'x', { y: -3n }] }, arr: [1, 'two', null], when: new Date(0) },
      { gone: undefined, fn: () => 1, sym: Symbol('s'), kept: 'x' },
      { gone: undefined },
      JSON.parse('{"__proto__":{"t":1},"a":1}') as Record<string, unknown>,
    ];
    for (const r of records) expect(stringifyRecordExact(r)).toBe(stringifyJsonExact(r));
  });

  it('leaves strings that look like its marker alone', () => {
    const text = stringifyJsonExact({ t: 5n, forged: '\u0001bigint-x:7' });
    expect(JSON.parse(text)).toEqual({ t: 5, forged: '\u0001bigint-x:7' });
  });

  it('reads integers beyond 2^53 as exact decimal strings, the rest as usual', () => {
    expect(
      parseJsonExact(
        '{"evt.time": 1700000000123456789, "pid": 42, "neg": -1700000000123456789, "f": 1.5e300, "s": "1700000000123456789 \\" 1700000000123456789"}',
      ),
    ).toEqual({
      'evt.time': '1700000000123456789',
      pid: 42,
      neg: '-1700000000123456789',
      f: 1.5e300,
      s: '1700000000123456789 " 1700000000123456789',
    });
    expect(parseJsonExact('[9007199254740991]')).toEqual([9007199254740991]);
  });

  it('round-trips a nanosecond time exactly', () => {
    const text = stringifyJsonExact({ 'evt.time': 1700000000123456789n });
    expect(parseJsonExact(text)).toEqual({ 'evt.time': '1700000000123456789' });
  });

  it('reads integers beyond 2^53 as bigints, the rest as JSON.parse does', () => {
    const text =
      '{"evt.time": 1700000000123456789, "pid": 42, "f": 1.5e300, "l": [-1700000000123456789], "s": "1700000000123456789"}';
    expect(parseJsonBigInt(text)).toEqual({
      'evt.time': 1700000000123456789n,
      pid: 42,
      f: 1.5e300,
      l: [-1700000000123456789n],
      s: '1700000000123456789',
    });
    expect(parseJsonBigInt('{"a":[1,"x"]}')).toEqual({ a: [1, 'x'] });
    // Back to the same text: nothing rounded on the way.
    expect(stringifyJsonExact(parseJsonBigInt('{"t":1700000000123456789}'))).toBe(
      '{"t":1700000000123456789}',
    );
  });

  it('cannot be made to turn a string into a bigint', () => {
    const forged = '{"t": 1700000000123456789, "s": "\\u0001int-00000000-0000-0000-0000-000000000000:5"}';
    const parsed = parseJsonBigInt(forged) as Record<string, unknown>;
    expect(typeof parsed.s).toBe('string');
    expect(parsed.t).toBe(1700000000123456789n);
  });
});

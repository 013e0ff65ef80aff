import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanJsonValue,
  cleanString,
  jsonTextNeedsCleaning,
  parseCleanJson,
  REPLACEMENT_CHARACTER as R,
} from './clean-text.js';

/** True when Postgres would take the string in text and jsonb (no NUL, no lone surrogate). */
const storable = (s: string) =>
  !s.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('cleanString', () => {
  it('replaces NUL and unpaired surrogates, keeps pairs and other controls', () => {
    expect(cleanString('a\u0000b')).toBe(`a${R}b`);
    expect(cleanString('\ud800')).toBe(R);
    expect(cleanString('x\udc00y')).toBe(`x${R}y`);
    expect(cleanString('\udc00\ud800')).toBe(`${R}${R}`);
    expect(cleanString('😀 \ud83d\ude00')).toBe('😀 😀');
    expect(cleanString('\ud83d\ude00\ud83d')).toBe(`😀${R}`);
    const controls = '\u0001\u0007\t\n\u001b[31m';
    expect(cleanString(controls)).toBe(controls);
  });

  it('returns the same string when there is nothing to do', () => {
    const s = 'plain text, é, 😀';
    expect(cleanString(s)).toBe(s);
  });

  it('always yields a storable string of the same length (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.fullUnicodeString(), (a, b) => {
        const c = cleanString(a + b);
        return storable(c) && c.length === (a + b).length;
      }),
    );
  });
});

describe('jsonTextNeedsCleaning', () => {
  it('is false without escapes or with harmless ones', () => {
    expect(jsonTextNeedsCleaning('{"a":"b"}')).toBe(false);
    expect(jsonTextNeedsCleaning('{"a":"\\u0001\\u00e9\\n"}')).toBe(false);
  });

  it('sees NUL and surrogate escapes in any case', () => {
    expect(jsonTextNeedsCleaning('{"a":"\\u0000"}')).toBe(true);
    expect(jsonTextNeedsCleaning('["\\uD800"]')).toBe(true);
    expect(jsonTextNeedsCleaning('["\\udfff"]')).toBe(true);
    // A pair also asks for a walk (which then changes nothing).
    expect(jsonTextNeedsCleaning('["\\ud83d\\ude00"]')).toBe(true);
  });

  it('minds backslash parity: \\\\u0000 is an escaped backslash followed by text', () => {
    expect(jsonTextNeedsCleaning('["\\\\u0000"]')).toBe(false);
    expect(jsonTextNeedsCleaning('["\\\\\\\\u0000"]')).toBe(false);
    expect(jsonTextNeedsCleaning('["\\\\\\u0000"]')).toBe(true);
    expect(JSON.parse('["\\\\\\u0000"]')[0]).toBe('\\\u0000');
  });
});

describe('cleanJsonValue / parseCleanJson', () => {
  it('cleans values and keys at any depth, in arrays and objects', () => {
    const { value, report } = parseCleanJson(
      JSON.stringify({
        ok: 'fine',
        'k\u0000ey': 1,
        nested: [['a\u0000', { deep: ['\ud800', 'x'] }], 3, null, true],
        list: ['\udc00'],
      }),
    );
    expect(value).toEqual({
      ok: 'fine',
      [`k${R}ey`]: 1,
      nested: [[`a${R}`, { deep: [R, 'x'] }], 3, null, true],
      list: [R],
    });
    // Values: 'a\0', '\ud800', '\udc00'; keys: 'k\0ey'.
    expect(report.replaced).toBe(4);
    const v = value as { nested: [[string, { deep: string[] }]]; list: string[] };
    expect(report.touched(v)).toBe(true);
    expect(report.touched(v.nested[0][1])).toBe(true);
    expect(report.touched(v.list)).toBe(true);
    expect(Object.keys(value as object)).toEqual(['ok', `k${R}ey`, 'nested', 'list']);
  });

  it('tells which items of a batch were touched', () => {
    const { value, report } = parseCleanJson('[{"a":"ok"},{"a":"\\u0000"},{"b":{"c\\u0000":1}}]');
    const items = value as object[];
    expect(items.map((i) => report.touched(i))).toEqual([false, true, true]);
  });

  it('leaves escaped backslashes before u0000 and paired surrogates untouched', () => {
    const text = '{"path":"C:\\\\u0000dir","emoji":"\\ud83d\\ude00"}';
    const { value, report } = parseCleanJson(text);
    expect(value).toEqual({ path: 'C:\\u0000dir', emoji: '😀' });
    expect(report.replaced).toBe(0);
  });

  it('does not walk clean text, and cleans a root string', () => {
    const clean = parseCleanJson('{"a":["b"]}');
    expect(clean.report.replaced).toBe(0);
    expect(parseCleanJson('"\\u0000"')).toMatchObject({ value: R, report: { replaced: 1 } });
    expect(cleanJsonValue(42)).toMatchObject({ value: 42, report: { replaced: 0 } });
  });

  it('keeps a __proto__ key an own key when its object is rebuilt', () => {
    const { value } = parseCleanJson('{"__proto__":{"polluted":1},"x\\u0000":2}');
    const obj = value as Record<string, unknown>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__', `x${R}`]);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it('walks documents deeper than the stack', () => {
    const depth = 100_000;
    const text = `${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`;
    const { report } = parseCleanJson(text);
    expect(report.replaced).toBe(1);
  });

  it('makes every string of any JSON document storable (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (doc, bad) => {
        const text = JSON.stringify({ doc, [bad]: [bad, { bad }] });
        const { value } = parseCleanJson(text);
        const strings: string[] = [];
        JSON.stringify(value, (k, v) => {
          strings.push(k);
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        return strings.every(storable);
      }),
    );
  });
});

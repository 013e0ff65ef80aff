import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createJsonSource } from './source.js';

const src = createJsonSource();
const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

// The json plugin's unit-test document.
const doc = {
  value: 'hello',
  list: [{ intvalue: 1, floatvalue: 2.5 }],
  '~/escaped': 'hello"2',
  flag: false,
  nothing: null,
};

describe('json source', () => {
  it('reads JSON pointers as the json plugin does', () => {
    expect(get(doc, 'json.value', '/value')).toBe('hello');
    expect(get(doc, 'json.value', '/list/0/intvalue')).toBe('1');
    expect(get(doc, 'json.value', '/list/0/floatvalue')).toBe('2.5');
    expect(get(doc, 'json.value', '/~0~1escaped')).toBe('hello"2');
    expect(get(doc, 'json.value', '/flag')).toBe('false');
    expect(get(doc, 'json.value', '/nothing')).toBe('null');
    expect(get(doc, 'json.value', '/list')).toBe('[{"intvalue":1,"floatvalue":2.5}]');
    expect(get(doc, 'json.value', 'value')).toBe('hello');
    expect(get(doc, 'json.value', '/list/1')).toBeUndefined();
    expect(get(doc, 'json.value', '/list/x')).toBeUndefined();
    expect(get(doc, 'jevt.value', '/value')).toBe('hello');
  });

  it('an empty pointer is the whole document', () => {
    expect(() => src.bind('json.value', '')).toThrow(/cannot be empty/);
    expect(get(doc, 'json.value', '/')).toBe(JSON.stringify(doc));
  });

  it('json.obj is indented, json.rawtime comes from the envelope and is always present', () => {
    expect(get({ a: 1 }, 'json.obj')).toBe('{\n  "a": 1\n}');
    expect(get({ a: 1 }, 'json.rawtime')).toBe('0');
    expect(get({ ts: '123', payload: { a: 1 } }, 'jevt.rawtime')).toBe('123');
    expect(get({ ts: '123', payload: { a: 1 } }, 'json.value', '/a')).toBe('1');
  });

  it('requires an argument for json.value', () => {
    expect(() => src.bind('json.value', undefined)).toThrow('filter json.value requires an argument');
  });

  it('flat maps', () => {
    expect(get({ 'json.value[/a/b]': 'x' }, 'json.value', '/a/b')).toBe('x');
    expect(get({ 'json.value[/a/b]': 'x' }, 'json.value', '/a')).toBeUndefined();
  });
});

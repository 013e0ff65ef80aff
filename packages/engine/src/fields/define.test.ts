import { describe, expect, it } from 'vitest';
import { defineSource } from './define.js';
import { FieldError } from './errors.js';

interface Ev {
  name?: string;
  tags?: string[];
}

const src = defineSource({
  name: 'test',
  description: 'a test source',
  isFlat: (e) => Object.keys(e).some((k) => k.includes('.')),
  fields: [
    { name: 't.name', type: 'CHARBUF', desc: 'name', bind: () => (e: Ev) => e.name },
    { name: 't.tags', type: 'CHARBUF', desc: 'tags', list: true, bind: () => (e: Ev) => e.tags },
    {
      name: 't.tag',
      type: 'CHARBUF',
      desc: 'one tag',
      arg: { kind: 'index', required: true },
      bind: (arg) => {
        const i = Number(arg);
        return (e: Ev) => e.tags?.[i];
      },
    },
    {
      name: 't.kv',
      type: 'UINT64',
      desc: 'dotted key',
      arg: { kind: 'key', required: true, dotted: true },
      bind: (arg) => ({
        extract: () => (arg === 'dyn' ? 'x' : 1),
        type: arg === 'dyn' ? 'CHARBUF' : 'UINT64',
      }),
    },
  ],
});

describe('defineSource', () => {
  it('binds structured events through the field closure', () => {
    expect(src.bind('t.name', undefined).extract({ name: 'a' })).toBe('a');
    expect(src.bind('t.tag', '1').extract({ tags: ['x', 'y'] })).toBe('y');
    expect(src.bind('t.name', undefined).mode).toBe('scalar');
  });

  it('validates arguments with coded errors', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as FieldError).code;
      }
      return undefined;
    };
    expect(code(() => src.bind('t.tag', undefined))).toBe('ARG_REQUIRED');
    expect(code(() => src.bind('t.tag', 'x'))).toBe('BAD_ARG');
    expect(code(() => src.bind('t.name', '1'))).toBe('ARG_NOT_ALLOWED');
    expect(code(() => src.bind('t.nope', undefined))).toBe('UNKNOWN_FIELD');
    expect(() => src.bind('t.nope', undefined)).toThrow(FieldError);
  });

  it('resolves DYN-style types per argument', () => {
    expect(src.bind('t.kv', 'dyn').def.type).toBe('CHARBUF');
    expect(src.bind('t.kv', 'n').def.type).toBe('UINT64');
    expect(src.field('t.kv')?.type).toBe('UINT64');
  });

  it('reads flat maps by exact key, dotted or bracketed, and converts types', () => {
    expect(src.bind('t.kv', 'a').extract({ 't.kv.a': '12' })).toBe(12);
    expect(src.bind('t.kv', 'a').extract({ 't.kv[a]': 13 })).toBe(13);
    expect(src.bind('t.tag', '0').extract({ 't.tag[0]': 'first' })).toBe('first');
    expect(src.bind('t.tags', undefined).extract({ 't.tags': 'one' })).toEqual(['one']);
    expect(src.bind('t.tags', undefined).extract({ 't.tags': [] })).toBeUndefined();
    expect(src.bind('t.name', undefined).extract({ 't.name': 5 })).toBe('5');
    expect(src.bind('t.name', undefined).extract({ 't.other': 'x' })).toBeUndefined();
  });

  it('resolves dotted references and lists fields', () => {
    expect(src.resolveField?.('t.kv.some.thing')).toEqual({ name: 't.kv', arg: 'some.thing' });
    expect(src.resolveField?.('t.name.x')).toBeUndefined();
    expect(src.fields.map((f) => f.name)).toEqual(['t.name', 't.tags', 't.tag', 't.kv']);
  });

  it('refuses duplicate field names', () => {
    expect(() =>
      defineSource({
        name: 'dup',
        description: '',
        isFlat: () => false,
        fields: [
          { name: 'a.b', type: 'CHARBUF', desc: '', bind: () => () => undefined },
          { name: 'a.b', type: 'CHARBUF', desc: '', bind: () => () => undefined },
        ],
      }),
    ).toThrow(/duplicate field a.b/);
  });
});

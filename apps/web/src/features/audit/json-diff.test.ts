import { describe, expect, it } from 'vitest';
import { diffJson, formatValue } from './json-diff';

describe('diffJson', () => {
  it('reports changed leaves by path and leaves out what stayed the same', () => {
    expect(
      diffJson(
        { email: 'a@x', role: 'author', config: { bucket: 'b1', region: 'eu-west-1' } },
        { email: 'a@x', role: 'viewer', config: { bucket: 'b2', region: 'eu-west-1' } },
      ),
    ).toEqual([
      { path: 'config.bucket', kind: 'changed', before: 'b1', after: 'b2' },
      { path: 'role', kind: 'changed', before: 'author', after: 'viewer' },
    ]);
  });

  it('shows a creation as added leaves and a deletion as removed ones', () => {
    expect(diffJson(null, { name: 'k', role: 'admin' })).toEqual([
      { path: 'name', kind: 'added', after: 'k' },
      { path: 'role', kind: 'added', after: 'admin' },
    ]);
    expect(diffJson({ role: 'viewer' }, null)).toEqual([{ path: 'role', kind: 'removed', before: 'viewer' }]);
  });

  it('compares arrays as wholes and quotes keys that are not identifiers', () => {
    expect(diffJson({ items: ['a', 'b'] }, { items: ['a', 'c'] })).toEqual([
      { path: 'items', kind: 'changed', before: ['a', 'b'], after: ['a', 'c'] },
    ]);
    expect(diffJson({ 'k8s.ns.name': 1 }, { 'k8s.ns.name': 2 })[0]?.path).toBe('["k8s.ns.name"]');
  });

  it('handles keys that appear or vanish, and scalars at the root', () => {
    expect(diffJson({ a: 1 }, { b: 2 })).toEqual([
      { path: 'a', kind: 'removed', before: 1 },
      { path: 'b', kind: 'added', after: 2 },
    ]);
    expect(diffJson(1, 2)).toEqual([{ path: '(value)', kind: 'changed', before: 1, after: 2 }]);
    expect(diffJson(null, null)).toEqual([]);
  });

  it('formats values as plain text', () => {
    expect(formatValue('<script>')).toBe('<script>');
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}');
    expect(formatValue(null)).toBe('null');
  });
});

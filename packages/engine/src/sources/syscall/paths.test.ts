import { describe, expect, it } from 'vitest';
import { normalizePath } from './paths.js';

/** Every component looked at: the reference the clean-path shortcut must agree with. */
function reference(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

describe('normalizePath', () => {
  it.each([
    ['/etc/shadow', '/etc/shadow'],
    ['/', '/'],
    ['/tmp//a/./b/../c', '/tmp/a/c'],
    ['/a/.hidden', '/a/.hidden'],
    ['/a/b/', '/a/b'],
    ['/../..', '/'],
    ['/a/.', '/a'],
    ['/a/..', '/'],
    ['/a/..x/b', '/a/..x/b'],
    ['/.cache/x', '/.cache/x'],
    ['/a/...', '/a/...'],
    ['//', '/'],
    ['/a/./', '/a'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('agrees with the every-component reference on random absolute paths', () => {
    let seed = 3;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const parts = ['', '.', '..', 'etc', '.ssh', '..x', 'x..', '...', 'a.b'];
    for (let i = 0; i < 5000; i++) {
      const k = next(6);
      let path = '';
      for (let j = 0; j < k; j++) path += `/${parts[next(parts.length)]}`;
      if (path === '' || next(4) === 0) path += '/';
      expect(normalizePath(path), path).toBe(reference(path));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { asciiLower, compileGlob } from './glob.js';

describe('compileGlob (fnmatch without FNM_PATHNAME)', () => {
  it('lets * and ? cross / and leading dots', () => {
    expect(compileGlob('/var/*.log')('/var/a/b.log')).toBe(true);
    expect(compileGlob('*')('.hidden')).toBe(true);
    expect(compileGlob('/p?/q?')('/p\u00ff/q\u00ff')).toBe(true);
    expect(compileGlob('a?c')('ac')).toBe(false);
  });

  it('supports classes, negation, ranges, POSIX classes and escapes', () => {
    expect(compileGlob('file[0-9].txt')('file7.txt')).toBe(true);
    expect(compileGlob('file[!0-9].txt')('file7.txt')).toBe(false);
    expect(compileGlob('[]x]')(']')).toBe(true);
    expect(compileGlob('[[:digit:]]*')('9lives')).toBe(true);
    expect(compileGlob('a\\*b')('a*b')).toBe(true);
    expect(compileGlob('a\\*b')('axb')).toBe(false);
    expect(compileGlob('[abc')('[abc')).toBe(true);
  });

  it('backtracks over several stars', () => {
    expect(compileGlob('*a*b*c')('xxaxxbxxbxc')).toBe(true);
    expect(compileGlob('*a*b*c')('xxaxxbxxbx')).toBe(false);
  });

  it('folds ASCII case only for iglob', () => {
    expect(compileGlob('MY*', true)('myexe')).toBe(true);
    expect(compileGlob('[A-C]x', true)('bX')).toBe(true);
    expect(compileGlob('\u00c9*', true)('\u00e9t\u00e9')).toBe(false);
    expect(compileGlob('MY*')('myexe')).toBe(false);
  });

  it('lower-cases ASCII only', () => {
    expect(asciiLower('AbC\u00c9')).toBe('abc\u00c9');
  });
});

describe('compileGlob for field arguments (container.mount.dest[/proc*])', () => {
  it('matches like fnmatch without flags', () => {
    expect(compileGlob('/proc*')('/proc/sys')).toBe(true);
    expect(compileGlob('/etc/?')('/etc/a')).toBe(true);
    expect(compileGlob('/etc/[ab]x')('/etc/bx')).toBe(true);
    expect(compileGlob('/etc/[!ab]x')('/etc/bx')).toBe(false);
    expect(compileGlob('/a.b')('/axb')).toBe(false);
    expect(compileGlob('/etc')('/etc/x')).toBe(false);
  });
});

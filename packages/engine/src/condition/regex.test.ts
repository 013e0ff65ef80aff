import { describe, expect, it } from 'vitest';
import { compileRegex, regexMayBeSimpler } from './regex.js';

describe('compileRegex', () => {
  it('matches the whole subject', () => {
    expect(compileRegex('syscal.*')('syscall')).toBe(true);
    expect(compileRegex('yscal.*')('syscall')).toBe(false);
    expect(compileRegex('^[s]{1}ysca[l]{2}$')('syscall')).toBe(true);
  });

  it('understands POSIX bracket classes and alternation', () => {
    expect(compileRegex('[[:alpha:]]+[[:digit:]]')('abc1')).toBe(true);
    expect(compileRegex('a|b')('b')).toBe(true);
    expect(compileRegex('a|b')('ab')).toBe(false);
  });

  it("rejects invalid patterns with Falco's prefix", () => {
    expect(() => compileRegex('(unclosed')).toThrow(/^invalid regex pattern: /);
  });
});

describe('regexMayBeSimpler', () => {
  it('flags patterns without metacharacters beyond anchors and edge wildcards', () => {
    expect(regexMayBeSimpler('^syscall$')).toBe(true);
    expect(regexMayBeSimpler('.*syscall.+')).toBe(true);
    expect(regexMayBeSimpler('s.*l')).toBe(false);
    expect(regexMayBeSimpler('syscal[l]?')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { applyB64, applyBasename, applyCase, applyLen, base64Decode, getopt } from './transformers.js';

describe('transformers', () => {
  it('maps ASCII case on text and lists', () => {
    expect(applyCase('MiXé', false)).toBe('mixé');
    expect(applyCase(['a', 'B'], true)).toEqual(['A', 'B']);
    expect(applyCase(undefined, true)).toBeUndefined();
  });

  it('decodes base64 with optional padding and fails on garbage', () => {
    expect(applyB64('aGVsbG8=', false)).toBe('hello');
    expect(applyB64('aGVsbG8', false)).toBe('hello');
    expect(applyB64('not base64!', false)).toBeUndefined();
    expect(base64Decode('a')).toBeUndefined();
    expect(applyB64('AAE=', true)).toEqual(new Uint8Array([0, 1]));
  });

  it('takes the last path component', () => {
    expect(applyBasename('/tmp/file')).toBe('file');
    expect(applyBasename('/')).toBe('');
    expect(applyBasename('/hello/')).toBe('');
    expect(applyBasename('hello')).toBe('hello');
  });

  it('measures lists, buffers and C strings', () => {
    expect(applyLen(['a', 'b'])).toBe(2);
    expect(applyLen([])).toBe(0);
    expect(applyLen(new Uint8Array(6))).toBe(6);
    expect(applyLen('é')).toBe(2);
    expect(applyLen('ab\0cd')).toBe(2);
  });
});

describe('getopt', () => {
  it('scans clustered short options and their arguments', () => {
    expect(getopt(['-lpe', '/bin/sh'], 'lpe:')).toEqual([
      ['l', 'l'],
      ['p', 'p'],
      ['e', '/bin/sh'],
    ]);
    expect(getopt(['-p8080'], 'p:')).toEqual([['p', '8080']]);
  });

  it('stops at -- or the first non-option and skips long options', () => {
    expect(getopt(['-n', '--', '-t'], 'nt:')).toEqual([['n', 'n']]);
    expect(getopt(['arg', '-n'], 'n')).toEqual([]);
    expect(getopt(['--exec', '-n'], 'n')).toEqual([['n', 'n']]);
  });

  it('reports unknown options as ? and a missing argument as the empty string', () => {
    expect(getopt(['-x'], 'n')).toEqual([['?', '?']]);
    expect(getopt(['-t'], ':t:')).toEqual([['t', '']]);
  });
});

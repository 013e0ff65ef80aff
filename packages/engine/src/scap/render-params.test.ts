import { describe, expect, it } from 'vitest';
import { CLONE_FLAGS, type FlagTable, OPEN_FLAGS, ppmFlagTable } from '../sources/syscall/linux-flags.js';
import { flagRenderer, joinPath } from './render-params.js';

const renderFlagParam = (event: string, param: string, type: string, value: number) =>
  flagRenderer(event, param, type)?.(value);

describe('joinPath', () => {
  // Normalising is normalizePath's (sources/syscall/paths.test.ts compares it with a reference);
  // these are the joins: a relative path against the directory, an absolute one alone.
  it.each([
    ['/home/u', 'notes.txt', '/home/u/notes.txt'],
    ['/home/u/', 'notes.txt', '/home/u/notes.txt'],
    ['/home/u', '../v/./x', '/home/v/x'],
    ['/home/u', '', '/home/u'],
    ['/', '', '/'],
    ['/x', '/etc/', '/etc'],
    ['/x', '/etc/./passwd', '/etc/passwd'],
    ['/x', '//etc//passwd', '/etc/passwd'],
    ['', 'rel', '/rel'],
    ['<UNKNOWN>', 'a/../b', '<UNKNOWN>/a/../b'],
  ])('%s + %s -> %s', (dir, path, expected) => {
    expect(joinPath(dir, path)).toBe(expected);
  });
});

/** Flag rendering as libsinsp names the bits, every bit looked at: the reference. */
function referenceFlags(value: number, table: FlagTable): string {
  const names: string[] = [];
  let covered = 0;
  for (const [name, bits] of table) {
    if (bits === 0) {
      if (value === 0) names.push(name);
    } else if ((value & bits) >>> 0 === bits >>> 0 && (covered & bits) >>> 0 !== bits >>> 0) {
      names.push(name);
      covered |= bits;
    }
  }
  return names.length > 0 ? names.join('|') : String(value);
}

describe('flagRenderer', () => {
  it('renders the values of each table as the reference does, values met again and past the bound kept', () => {
    const open = ppmFlagTable(OPEN_FLAGS);
    const clone = ppmFlagTable(CLONE_FLAGS);
    for (const pass of [0, 1]) {
      for (let i = 0; i < 3000; i++) {
        const v = pass === 0 ? i * 7 : (2999 - i) * 7;
        expect(renderFlagParam('openat', 'flags', 'FLAGS32', v)).toBe(referenceFlags(v, open));
        expect(renderFlagParam('clone', 'flags', 'FLAGS32', v)).toBe(referenceFlags(v, clone));
      }
    }
    expect(renderFlagParam('openat', 'flags', 'FLAGS32', 1)).toBe('O_RDONLY');
    expect(renderFlagParam('read', 'size', 'UINT32', 1)).toBeUndefined();
  });
});

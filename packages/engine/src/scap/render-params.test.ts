import { describe, expect, it } from 'vitest';
import { CLONE_FLAGS, type FlagTable, OPEN_FLAGS, ppmFlagTable } from '../sources/syscall/linux-flags.js';
import { flagRenderer, joinPath } from './render-params.js';

const renderFlagParam = (event: string, param: string, type: string, value: number) =>
  flagRenderer(event, param, type)?.(value);

/** Path joining as libsinsp normalises it, every part looked at: the reference. */
function referenceJoin(dir: string, path: string): string {
  const full = path.startsWith('/') ? path : `${dir.endsWith('/') ? dir : `${dir}/`}${path}`;
  if (!full.startsWith('/')) return full;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

describe('joinPath', () => {
  it('normalises as the reference does, with or without the already-normal shortcut', () => {
    let seed = 99;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const parts = ['', '.', '..', 'etc', 'a.b', '.ssh', '..x', 'x..', 'usr', '...'];
    const piece = () => {
      const k = next(5);
      const ps: string[] = [];
      for (let i = 0; i < k; i++) ps.push(parts[next(parts.length)]!);
      return (next(2) === 0 ? '/' : '') + ps.join('/') + (next(4) === 0 ? '/' : '');
    };
    for (let i = 0; i < 5000; i++) {
      const dir = piece();
      const path = piece();
      expect(joinPath(dir, path), `${dir} + ${path}`).toBe(referenceJoin(dir, path));
    }
    expect(joinPath('/', '')).toBe('/');
    expect(joinPath('/home/u', 'notes.txt')).toBe('/home/u/notes.txt');
    expect(joinPath('/x', '/etc/')).toBe('/etc');
    expect(joinPath('/x', '/etc/./passwd')).toBe('/etc/passwd');
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

import { describe, expect, it } from 'vitest';
import { compilePmatch } from './pmatch.js';

describe('compilePmatch', () => {
  it('matches by whole path components', () => {
    const m = compilePmatch(['/var/run', '/etc/']);
    expect(m('/var/run')).toBe(true);
    expect(m('/var/run/docker.sock')).toBe(true);
    expect(m('/var/runx')).toBe(false);
    expect(m('/var')).toBe(false);
    expect(m('/etc')).toBe(true);
    expect(m('//etc//passwd')).toBe(true);
  });

  it('globs one component at a time', () => {
    expect(compilePmatch(['/opt/*/subdir'])('/opt/dir/subdir/file.txt')).toBe(true);
    expect(compilePmatch(['/opt/*/subdir'])('/opt/a/b/subdir')).toBe(false);
    expect(compilePmatch(['/opt/*'])('/opt')).toBe(false);
  });

  it('treats / as matching everything and an empty path as the root only', () => {
    expect(compilePmatch(['/'])('/anything/at/all')).toBe(true);
    expect(compilePmatch(['/'])('')).toBe(true);
    expect(compilePmatch(['/tmp'])('')).toBe(false);
  });
});

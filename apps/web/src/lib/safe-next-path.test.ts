import { describe, expect, it } from 'vitest';
import { safeNextPath, signInUrl } from './safe-next-path';

describe('safeNextPath', () => {
  it('keeps console paths with their query', () => {
    expect(safeNextPath('/alerts?priority=critical&env=production')).toBe(
      '/alerts?priority=critical&env=production',
    );
    expect(safeNextPath('/rules/abc')).toBe('/rules/abc');
  });

  it('refuses anything that could leave the console', () => {
    for (const value of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aSet-Cookie:x',
      '/ok\nLocation: x',
      '',
      null,
      undefined,
    ]) {
      const result = safeNextPath(value);
      expect(result.startsWith('/')).toBe(true);
      expect(result.startsWith('//')).toBe(false);
      expect(result).not.toMatch(/[\r\n]/);
    }
    expect(safeNextPath('https://evil.example/')).toBe('/');
    expect(safeNextPath('//evil.example/x')).toBe('/');
  });

  it('never sends a user back to the auth pages', () => {
    expect(safeNextPath('/sign-in')).toBe('/');
    expect(safeNextPath('/sign-out')).toBe('/');
    expect(safeNextPath('/setup')).toBe('/');
  });
});

describe('signInUrl', () => {
  it('adds next only when there is somewhere to return to', () => {
    expect(signInUrl('/')).toBe('/sign-in');
    expect(signInUrl(null)).toBe('/sign-in');
    expect(signInUrl('/alerts?x=1')).toBe('/sign-in?next=%2Falerts%3Fx%3D1');
  });
});

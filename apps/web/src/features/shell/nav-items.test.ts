import { describe, expect, it } from 'vitest';
import { isActiveSection } from './nav-items';

describe('isActiveSection', () => {
  it('matches the dashboard only at the root', () => {
    expect(isActiveSection('/', '/')).toBe(true);
    expect(isActiveSection('/alerts', '/')).toBe(false);
  });

  it('matches a section and its sub-pages but not look-alike prefixes', () => {
    expect(isActiveSection('/alerts', '/alerts')).toBe(true);
    expect(isActiveSection('/alerts/42', '/alerts')).toBe(true);
    expect(isActiveSection('/alertsx', '/alerts')).toBe(false);
  });
});

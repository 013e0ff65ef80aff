import { describe, expect, it } from 'vitest';
import { ROLES, roleSatisfies } from './roles';

describe('roleSatisfies', () => {
  it('orders admin > author > triager > viewer', () => {
    expect(roleSatisfies('admin', 'author')).toBe(true);
    expect(roleSatisfies('author', 'triager')).toBe(true);
    expect(roleSatisfies('triager', 'viewer')).toBe(true);
    expect(roleSatisfies('viewer', 'triager')).toBe(false);
    expect(roleSatisfies('triager', 'author')).toBe(false);
    expect(roleSatisfies('author', 'admin')).toBe(false);
  });

  it('lets every role satisfy itself', () => {
    for (const role of ROLES) expect(roleSatisfies(role, role)).toBe(true);
  });
});

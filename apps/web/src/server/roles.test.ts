import { describe, expect, it } from 'vitest';
import { environmentAccess, environmentAllows, ROLES, roleSatisfies } from './roles';

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

describe('environment grants', () => {
  it('replace the organisation role in their environment, up or down', () => {
    expect(environmentAccess('author', { role: 'viewer', promoter: false })).toEqual({
      role: 'viewer',
      promoter: false,
    });
    expect(environmentAccess('viewer', { role: 'admin', promoter: false }).role).toBe('admin');
    expect(environmentAccess('triager', null)).toEqual({ role: 'triager', promoter: false });
    expect(environmentAccess('author', { role: null, promoter: true })).toEqual({
      role: 'author',
      promoter: true,
    });
  });

  it('never narrow an organisation admin', () => {
    expect(environmentAccess('admin', { role: 'viewer', promoter: false })).toEqual({
      role: 'admin',
      promoter: true,
    });
  });

  it('let admins and promoters promote, and a promoter grant adds nothing else', () => {
    const promoter = environmentAccess('viewer', { role: null, promoter: true });
    expect(environmentAllows(promoter, 'promote')).toBe(true);
    expect(environmentAllows(promoter, 'author')).toBe(false);
    expect(environmentAllows(promoter, 'triager')).toBe(false);
    expect(environmentAllows({ role: 'admin', promoter: false }, 'promote')).toBe(true);
    expect(environmentAllows({ role: 'author', promoter: false }, 'promote')).toBe(false);
  });
});

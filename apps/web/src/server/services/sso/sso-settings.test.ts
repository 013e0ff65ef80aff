import { describe, expect, it } from 'vitest';
import { groupsOf, roleForGroups } from './sso-settings';

const mappings = [
  { group: 'sec-admins', role: 'admin' as const },
  { group: 'detection-engineers', role: 'author' as const },
  { group: 'everyone', role: 'viewer' as const },
];

describe('roleForGroups', () => {
  it('grants the most privileged mapped role, whatever the order', () => {
    expect(roleForGroups(mappings, ['everyone', 'detection-engineers'])).toBe('author');
    expect(roleForGroups([...mappings].reverse(), ['everyone', 'sec-admins'])).toBe('admin');
  });

  it('grants nothing without a mapped group', () => {
    expect(roleForGroups(mappings, ['contractors'])).toBeNull();
    expect(roleForGroups(mappings, [])).toBeNull();
  });

  it('lets "*" map everyone (IdPs without groups) while a group can still grant more', () => {
    const withDefault = [...mappings, { group: '*', role: 'triager' as const }];
    expect(roleForGroups(withDefault, [])).toBe('triager');
    expect(roleForGroups(withDefault, ['sec-admins'])).toBe('admin');
  });
});

describe('groupsOf', () => {
  it('reads an array claim, a single string, or nothing', () => {
    expect(groupsOf({ groups: ['a', 3, 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(groupsOf({ roles: 'ops' }, 'roles')).toEqual(['ops']);
    expect(groupsOf({}, 'groups')).toEqual([]);
  });
});

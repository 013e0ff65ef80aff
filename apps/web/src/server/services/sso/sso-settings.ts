import 'server-only';
import { serverEnv } from '@/env';
import type { SsoConfigDto } from '@peregrine/db';
import type { Role } from '../../roles';

/** The callback path under the auth route: the IdP's registered redirect URI ends with it. */
export const SSO_CALLBACK_PATH = '/api/auth/sso/callback';

/** The redirect URI to register at the identity provider for this console. */
export function ssoRedirectUri(): string {
  return `${serverEnv().baseUrl}${SSO_CALLBACK_PATH}`;
}

const RANK: Record<Role, number> = { viewer: 0, triager: 1, author: 2, admin: 3 };

/** The group that every user of the organisation's domains is in (for IdPs without groups, Google). */
export const ANY_GROUP = '*';

/**
 * The role the user's groups grant: the most privileged mapped role among them (`*` matches
 * everyone), or null when no group is mapped (then the user is not, or no longer, a member).
 */
export function roleForGroups(
  mappings: readonly { group: string; role: Role }[],
  groups: readonly string[],
): Role | null {
  const held = new Set(groups);
  let best: Role | null = null;
  for (const { group, role } of mappings) {
    if ((group === ANY_GROUP || held.has(group)) && (best === null || RANK[role] > RANK[best])) best = role;
  }
  return best;
}

/** The groups claim as a list of strings (IdPs send an array; a lone string is one group). */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return [];
}

/** The settings as the procedures answer them (the organisation is the caller's; times as ISO text). */
export type SsoConfigView = Omit<SsoConfigDto, 'organizationId' | 'updatedAt'> & { updatedAt: string };

export function toSsoConfigView({
  organizationId: _organizationId,
  updatedAt,
  ...rest
}: SsoConfigDto): SsoConfigView {
  return { ...rest, updatedAt: updatedAt.toISOString() };
}

import 'server-only';
import { listMemberships } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { Role } from '../../roles';

export interface ResolvedMembership {
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  role: Role;
}

/**
 * The organisation a request acts in. An explicitly requested organisation (its id, or its slug
 * from a `?org=` link) must be one the user belongs to (never silently swapped for another);
 * without a request, the oldest membership.
 */
export async function resolveMembership(input: {
  userId: string;
  requestedOrgId: string | null;
}): Promise<ResolvedMembership> {
  const memberships = await listMemberships(db(), input.userId);
  const chosen = input.requestedOrgId
    ? memberships.find(
        (m) => m.organizationId === input.requestedOrgId || m.organizationSlug === input.requestedOrgId,
      )
    : memberships[0];
  if (!chosen) {
    throw new AppError(
      'NOT_A_MEMBER',
      input.requestedOrgId
        ? 'You are not a member of this organisation.'
        : 'You are not a member of any organisation.',
    );
  }
  return chosen;
}

import 'server-only';
import { changeMemberRole as changeMemberRoleRow } from '@peregrine/db';
import { db } from '../../db';
import type { Role } from '../../roles';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';

/** Gives a member another role; the organisation always keeps at least one admin. */
export async function changeMemberRole(input: {
  organizationId: string;
  userId: string;
  role: Role;
  actor: RequestActor;
}): Promise<{ userId: string; role: Role }> {
  return withDbErrors(() =>
    changeMemberRoleRow(
      db(),
      { organizationId: input.organizationId, userId: input.userId, role: input.role },
      auditActor(input.actor),
    ),
  );
}

import 'server-only';
import { leaveOrganization as leaveOrganizationRow } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** The caller leaves an organisation (never as its last admin); their account stays. */
export async function leaveOrganization(input: {
  organizationId: string;
  actor: RequestActor & { userId: string };
}): Promise<{ organizationId: string }> {
  await withDbErrors(() =>
    leaveOrganizationRow(
      db(),
      { organizationId: input.organizationId, userId: input.actor.userId },
      auditActor(input.actor),
    ),
  );
  return { organizationId: input.organizationId };
}

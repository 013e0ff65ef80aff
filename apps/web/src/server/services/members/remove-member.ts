import 'server-only';
import { removeMember as removeMemberRow } from '@peregrine/db';
import { db } from '../../db';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';

/** Removes a member (never the last admin); their account stays, their sessions lose access. */
export async function removeMember(input: {
  organizationId: string;
  userId: string;
  actor: RequestActor;
}): Promise<{ userId: string }> {
  await withDbErrors(() =>
    removeMemberRow(
      db(),
      { organizationId: input.organizationId, userId: input.userId },
      auditActor(input.actor),
    ),
  );
  return { userId: input.userId };
}

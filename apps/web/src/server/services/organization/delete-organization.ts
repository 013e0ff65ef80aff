import 'server-only';
import { markOrganizationDeleting, purgeOrganization } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/**
 * An admin deletes an organisation with all its data. The answer comes once it is marked (keys
 * revoked, sources disabled, members removed, audited at instance level); its rows are then
 * purged in bounded batches after the answer, so a large organisation cannot time the request
 * out. If this process stops first, the collector's maintenance loop finishes the purge
 * (resumeOrganizationPurges).
 */
export async function deleteOrganization(input: {
  organizationId: string;
  confirmName: string;
  actor: RequestActor & { userId: string };
}): Promise<{ organizationId: string }> {
  const org = await withDbErrors(() =>
    markOrganizationDeleting(
      db(),
      { organizationId: input.organizationId, confirmName: input.confirmName },
      auditActor(input.actor),
    ),
  );
  void purgeOrganization(db(), org.id).catch((error: unknown) => {
    console.error(
      `organisation ${org.id} is marked deleted but its purge stopped (the collector resumes it):`,
      (error as Error).message,
    );
  });
  return { organizationId: org.id };
}

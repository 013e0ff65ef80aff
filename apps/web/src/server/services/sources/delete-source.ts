import 'server-only';
import { deleteOrganizationCloudSource } from '@peregrine/db';
import { db } from '../../db';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { sourceSecretKey } from './source-settings';

/** Deletes a source; its credentials stop working and its alerts stay. */
export async function deleteSource(input: {
  organizationId: string;
  sourceId: string;
  actor: RequestActor;
}): Promise<{ sourceId: string }> {
  await withDbErrors(() =>
    deleteOrganizationCloudSource(
      db(),
      { organizationId: input.organizationId, sourceId: input.sourceId, secretKey: sourceSecretKey() },
      auditActor(input.actor),
    ),
  );
  return { sourceId: input.sourceId };
}

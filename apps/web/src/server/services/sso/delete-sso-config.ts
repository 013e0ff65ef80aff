import 'server-only';
import { type Actor, deleteSsoConfig as deleteSsoConfigRow } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/** Removes the organisation's SSO settings (audited); memberships stay as they are. */
export async function deleteSsoConfig(input: {
  organizationId: string;
  actor: Actor;
}): Promise<{ deleted: true }> {
  await withDbErrors(() => deleteSsoConfigRow(db(), input.organizationId, input.actor));
  return { deleted: true };
}

import 'server-only';
import { revokeInvitation as revokeInvitationRow } from '@peregrine/db';
import { db } from '../../db';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { type InvitationItem, toInvitationItem } from './list-invitations';

/** Revokes a pending invitation: its link stops working. */
export async function revokeInvitation(input: {
  organizationId: string;
  invitationId: string;
  actor: RequestActor;
}): Promise<InvitationItem> {
  const row = await withDbErrors(() =>
    revokeInvitationRow(
      db(),
      { organizationId: input.organizationId, invitationId: input.invitationId },
      auditActor(input.actor),
    ),
  );
  return toInvitationItem(row);
}

import 'server-only';
import { createInvitation as createInvitationRow } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import type { Role } from '../../roles';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { generateInvitationToken, INVITATION_TTL_MS } from './invitation-token';
import { type InvitationItem, toInvitationItem } from './list-invitations';

/**
 * Invites an email address with a role. The link carries a random token that is stored only as
 * its SHA-256, so it is shown once, here; a newer invitation to the same address replaces the old.
 */
export async function createInvitation(input: {
  organizationId: string;
  email: string;
  role: Role;
  actor: RequestActor;
  now?: Date;
}): Promise<{ invitation: InvitationItem; url: string }> {
  const now = input.now ?? new Date();
  const { token, hash } = generateInvitationToken();
  const row = await withDbErrors(() =>
    createInvitationRow(
      db(),
      {
        organizationId: input.organizationId,
        email: input.email,
        role: input.role,
        tokenHash: hash,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        invitedById: input.actor.userId,
      },
      auditActor(input.actor),
      now,
    ),
  );
  return { invitation: toInvitationItem(row), url: `${serverEnv().baseUrl}/invite/${token}` };
}

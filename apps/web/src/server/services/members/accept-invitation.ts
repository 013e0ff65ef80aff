import 'server-only';
import { acceptInvitation as acceptInvitationRow } from '@peregrine/db';
import { db } from '../../db';
import type { Role } from '../../roles';
import { withDbErrors } from '../../errors/error-mapping';
import { hashInvitationToken } from './invitation-token';

/** Joins the invitation's organisation with its role, as the signed-in user it was addressed to. */
export async function acceptInvitation(input: {
  token: string;
  userId: string;
  ip: string | null;
  userAgent: string | null;
}): Promise<{ organizationId: string; role: Role }> {
  return withDbErrors(() =>
    acceptInvitationRow(
      db(),
      { tokenHash: hashInvitationToken(input.token), userId: input.userId },
      { userId: input.userId, ip: input.ip, userAgent: input.userAgent },
    ),
  );
}

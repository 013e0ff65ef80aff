import 'server-only';
import { findInvitationByTokenHash } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { Role } from '../../roles';
import { hashInvitationToken } from './invitation-token';

/** What the holder of an invitation link may see about it. */
export interface InvitationPreview {
  organizationName: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  expiresAt: string;
  /** Whether an account with the invited email exists: sign in to accept, or create one. */
  accountExists: boolean;
}

/** The invitation behind a link's token; NOT_FOUND for tokens that were never issued. */
export async function getInvitation(token: string): Promise<InvitationPreview> {
  const found = await findInvitationByTokenHash(db(), hashInvitationToken(token));
  if (!found)
    throw new AppError('NOT_FOUND', 'This invitation link is not valid. Ask an admin for a new one.');
  return {
    organizationName: found.organizationName,
    email: found.email,
    role: found.role,
    status: found.status,
    expiresAt: found.expiresAt.toISOString(),
    accountExists: found.accountExists,
  };
}

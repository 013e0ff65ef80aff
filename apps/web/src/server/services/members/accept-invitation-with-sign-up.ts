import 'server-only';
import { deleteUserWithoutMemberships } from '@peregrine/db';
import { APIError } from 'better-auth/api';
import { authHeaders, getAuth } from '../../auth/auth';
import { ssoRequiredMessage } from '../../auth/sso-plugin';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { Role } from '../../roles';
import { acceptInvitation } from './accept-invitation';
import { getInvitation } from './get-invitation';

/**
 * Creates the invitee's account (for the invited email, through better-auth, which signs them in)
 * and accepts the invitation. Open sign-up stays disabled: only a valid, pending invitation can
 * create an account here. If accepting fails after the account was made (the link was revoked
 * or used meanwhile), the new account is removed again.
 */
export async function acceptInvitationWithSignUp(input: {
  token: string;
  name: string;
  password: string;
  headers: Headers;
  /** The client's address (audit entry, session). */
  ip: string | null;
}): Promise<{ organizationId: string; role: Role }> {
  const invitation = await getInvitation(input.token);
  if (invitation.status !== 'pending') {
    throw new AppError(
      'INVALID_INPUT',
      `This invitation is ${invitation.status}. Ask an admin for a new one.`,
    );
  }
  const ssoOnly = await ssoRequiredMessage(invitation.email);
  if (ssoOnly) {
    // No password account for a domain whose organisation requires SSO: the invitee signs in
    // with SSO instead (and gets the role their groups grant).
    throw new AppError('INVALID_INPUT', ssoOnly);
  }
  if (invitation.accountExists) {
    throw new AppError('CONFLICT', `An account for ${invitation.email} already exists: sign in to accept.`);
  }
  let userId: string;
  try {
    const created = await getAuth().api.signUpEmail({
      body: { name: input.name, email: invitation.email, password: input.password },
      headers: authHeaders(input.headers, input.ip),
    });
    userId = created.user.id;
  } catch (error) {
    if (error instanceof APIError) {
      const code = (error.body as { code?: string } | undefined)?.code ?? '';
      if (code.startsWith('USER_ALREADY_EXISTS')) {
        throw new AppError(
          'CONFLICT',
          `An account for ${invitation.email} already exists: sign in to accept.`,
          {
            cause: error,
          },
        );
      }
      throw new AppError('INVALID_INPUT', error.message, { cause: error });
    }
    throw error;
  }
  try {
    return await acceptInvitation({
      token: input.token,
      userId,
      ip: input.ip,
      userAgent: input.headers.get('user-agent'),
    });
  } catch (error) {
    await deleteUserWithoutMemberships(db(), userId);
    throw error;
  }
}

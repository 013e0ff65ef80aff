import 'server-only';
import { checkSetupToken, completeFirstRunSetup, DbError, deleteUserWithoutMemberships } from '@peregrine/db';
import { APIError } from 'better-auth/api';
import { authHeaders, getAuth } from '../../auth/auth';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { toAppError } from '../../errors/error-mapping';
import { getSetupStatus, markSetupComplete } from './get-setup-status';

export interface CreateFirstAdminInput {
  name: string;
  email: string;
  password: string;
  organizationName: string;
  /** The one-time token from the start log: whoever reaches the console first cannot claim it. */
  setupToken: string;
  /** Request headers, so better-auth can attach the new session cookie to the response. */
  headers: Headers;
  /** The client's address, for the audit entry. */
  ip: string | null;
}

export interface CreateFirstAdminResult {
  userId: string;
  organization: { id: string; name: string; slug: string };
}

/**
 * First-run setup: the first user, their organisation (with staging and production), and an
 * admin membership, given a valid setup token. The account goes through better-auth (its password
 * hashing and session); if another setup wins the race, the account created here is removed again.
 */
export async function createFirstAdmin(input: CreateFirstAdminInput): Promise<CreateFirstAdminResult> {
  if (!(await getSetupStatus()).needsSetup) {
    throw new AppError('SETUP_CLOSED', 'Peregrine is already set up. Sign in instead.');
  }
  // Checked before any account exists, and again where setup commits (the token is used up there).
  if (!(await checkSetupToken(db(), input.setupToken))) throw invalidToken();
  let userId: string;
  try {
    const created = await getAuth().api.signUpEmail({
      body: { name: input.name, email: input.email, password: input.password },
      headers: authHeaders(input.headers, input.ip),
    });
    userId = created.user.id;
  } catch (error) {
    if (error instanceof APIError) {
      const code = (error.body as { code?: string } | undefined)?.code ?? '';
      if (code.startsWith('USER_ALREADY_EXISTS')) {
        throw new AppError('CONFLICT', 'An account with this email already exists.', { cause: error });
      }
      throw new AppError('INVALID_INPUT', error.message, { cause: error });
    }
    throw error;
  }
  try {
    const organization = await completeFirstRunSetup(
      db(),
      { userId, organizationName: input.organizationName, setupToken: input.setupToken },
      { userId, ip: input.ip, userAgent: input.headers.get('user-agent') },
    );
    markSetupComplete();
    return {
      userId,
      organization: { id: organization.id, name: organization.name, slug: organization.slug },
    };
  } catch (error) {
    await deleteUserWithoutMemberships(db(), userId);
    if (error instanceof DbError && error.code === 'CONFLICT') {
      markSetupComplete();
      throw new AppError(
        'SETUP_CLOSED',
        'Peregrine was set up by someone else a moment ago. Sign in instead.',
        {
          cause: error,
        },
      );
    }
    if (error instanceof DbError && error.code === 'FORBIDDEN') throw invalidToken(error);
    // Anything else means what it means everywhere in the console.
    throw toAppError(error) ?? error;
  }
}

function invalidToken(cause?: unknown): AppError {
  return new AppError(
    'INVALID_SETUP_TOKEN',
    "This setup token is wrong or has expired. Use the link printed in the console's start log.",
    cause ? { cause } : undefined,
  );
}

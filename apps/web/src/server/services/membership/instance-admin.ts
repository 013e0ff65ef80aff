import 'server-only';
import { isInstanceAdmin, normalizeEmail } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/**
 * Whether the user is an instance admin: flagged when they completed first-run setup, or named by
 * email in PEREGRINE_INSTANCE_ADMINS.
 */
export async function checkInstanceAdmin(user: { id: string; email: string }): Promise<boolean> {
  if (serverEnv().instanceAdmins.includes(normalizeEmail(user.email))) return true;
  return withDbErrors(() => isInstanceAdmin(db(), user.id));
}

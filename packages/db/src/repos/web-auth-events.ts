import type { Db } from '../client.js';
import { recordAudit } from './audit.js';
import { normalizeEmail } from './web-admin-members.js';

/** Sign-in events recorded in the audit log. */
export type AuthEventAction = 'auth.sign_in' | 'auth.sign_out' | 'auth.sign_in_failed';

/** Longest attempted email kept (RFC 5321's limit): anything longer is cut, not stored whole. */
const MAX_EMAIL_LENGTH = 254;

/**
 * Records a sign-in, sign-out or failed sign-in in the audit log of every organisation the
 * account belongs to, so each organisation's admins see attempts on their members. A failed
 * attempt names the account it was aimed at (never its password) and has no actor: whoever tried
 * is known only by address. An attempt on an email no account has, or an account in no
 * organisation, is kept without an organisation: operators see it in the database, no tenant
 * does.
 */
export async function recordAuthEvent(
  db: Db,
  input: {
    action: AuthEventAction;
    /** The account, when known (sign-in, sign-out); otherwise looked up by `email`. */
    userId?: string | null;
    email?: string | null;
    ip: string | null;
    userAgent: string | null;
    /** Why a sign-in failed (better-auth's error code). */
    reason?: string | null;
    /** The organisation whose SSO the attempt went through: its admins see it even from a non-member. */
    organizationId?: string | null;
  },
): Promise<void> {
  const email = input.email ? normalizeEmail(input.email).slice(0, MAX_EMAIL_LENGTH) : null;
  const user = input.userId
    ? await db.prisma.user.findUnique({ where: { id: input.userId }, select: { id: true, email: true } })
    : email
      ? await db.prisma.user.findUnique({ where: { email }, select: { id: true, email: true } })
      : null;
  const memberships = user
    ? await db.prisma.membership.findMany({ where: { userId: user.id }, select: { organizationId: true } })
    : [];
  const failed = input.action === 'auth.sign_in_failed';
  const actor = {
    userId: failed ? null : (user?.id ?? null),
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
  };
  const after = {
    email: user?.email ?? email,
    ...(failed ? { reason: input.reason ?? 'INVALID_EMAIL_OR_PASSWORD', knownAccount: user !== null } : {}),
  };
  const ids = new Set(memberships.map((m) => m.organizationId));
  if (input.organizationId) ids.add(input.organizationId);
  const organizations = ids.size ? [...ids] : [null];
  await db.prisma.$transaction(async (tx) => {
    for (const organizationId of organizations) {
      await recordAudit(tx, actor, {
        organizationId,
        action: input.action,
        targetType: 'user',
        targetId: user?.id ?? null,
        after,
      });
    }
  });
}

import { randomUUID } from 'node:crypto';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';

/** A user as an authenticating proxy names them. */
export interface ProxyUser {
  id: string;
  name: string;
  email: string;
}

/**
 * The user with this email, created just in time when there is none (no password: they only
 * sign in through the proxy). `name` renames nobody: it is used for a new account only.
 */
export async function ensureProxyUser(db: Db, input: { email: string; name: string }): Promise<ProxyUser> {
  const email = input.email.trim().toLowerCase();
  const select = { id: true, name: true, email: true } as const;
  const found = await db.prisma.user.findUnique({ where: { email }, select });
  if (found) return found;
  // Two first requests at once: the unique email lets one insert win; the other reads it.
  const created = await db.prisma.user.createMany({
    data: [{ id: randomUUID(), email, name: input.name.trim() || email, emailVerified: true }],
    skipDuplicates: true,
  });
  const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, select });
  if (created.count === 1) {
    await recordAudit(
      db.prisma,
      { userId: user.id },
      {
        organizationId: null,
        action: 'user.proxy_create',
        targetType: 'user',
        targetId: user.id,
        after: { email, name: user.name },
      },
    );
  }
  return user;
}

/**
 * Membership from the proxy's word: with group mappings (`role` is the mapped role, null when no
 * group maps) the role follows the groups on every request, as SSO does; without them (`role`
 * undefined) a non-member joins with `defaultRole` once and admins manage the role after that.
 * Changes are audited in the organisation. Returns the role now held (null: none).
 */
export async function applyProxyMembership(
  db: Db,
  input: {
    organizationSlug: string;
    userId: string;
    email: string;
    role?: Role | null;
    defaultRole: Role | null;
    groups: string[];
  },
  actor: Actor,
): Promise<Role | null> {
  const org = await db.prisma.organization.findUnique({
    where: { slug: input.organizationSlug },
    select: { id: true, deletingAt: true },
  });
  if (!org || org.deletingAt) {
    throw new DbError(
      'NOT_FOUND',
      `PEREGRINE_AUTH_PROXY_ORGANIZATION names no organisation ("${input.organizationSlug}")`,
    );
  }
  const where = { organizationId_userId: { organizationId: org.id, userId: input.userId } };
  const current = await db.prisma.membership.findUnique({ where, select: { role: true } });
  const before = current?.role ?? null;
  const after = input.role === undefined ? (before ?? input.defaultRole) : input.role;
  if (before === after) return after;
  await db.prisma.$transaction(async (tx) => {
    if (after === null)
      await tx.membership.deleteMany({ where: { organizationId: org.id, userId: input.userId } });
    else {
      await tx.membership.upsert({
        where,
        create: { organizationId: org.id, userId: input.userId, role: after },
        update: { role: after },
      });
    }
    await recordAudit(tx, actor, {
      organizationId: org.id,
      action:
        before === null
          ? 'member.proxy_join'
          : after === null
            ? 'member.proxy_remove'
            : 'member.proxy_role_change',
      targetType: 'membership',
      targetId: input.userId,
      before: before ? { email: input.email, role: before } : null,
      after: { email: input.email, ...(after ? { role: after } : {}), groups: input.groups.slice(0, 50) },
    });
  });
  return after;
}

/** Records a proxy identity header refused because the request did not come from a trusted proxy. */
export async function recordRefusedProxyHeader(
  db: Db,
  input: { ip: string | null; email: string; userAgent: string | null },
): Promise<void> {
  await recordAudit(
    db.prisma,
    { ip: input.ip, userAgent: input.userAgent },
    {
      organizationId: null,
      action: 'auth.proxy_header_refused',
      targetType: 'user',
      targetId: null,
      after: { email: input.email.slice(0, 320) },
    },
  );
}

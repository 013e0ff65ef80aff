import type { Db, Prisma } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import { isSetupTokenValid } from './web-setup.js';

/** Environments every organisation starts with, in console order. */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'staging', displayName: 'Staging', position: 0 },
  { name: 'production', displayName: 'Production', position: 1 },
] as const;

export const DEMO_ORGANIZATION_SLUG = 'demo';

/** Plain organisation record. */
export interface OrganizationDto {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
}

/** A user's membership with its organisation. */
export interface MembershipDto {
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  role: Role;
}

export interface EnvironmentDto {
  id: string;
  organizationId: string;
  name: string;
  displayName: string;
  position: number;
}

/** True until the first admin exists (no membership at all). */
export async function needsFirstRunSetup(db: Db): Promise<boolean> {
  const admin = await db.prisma.membership.findFirst({ where: { role: 'admin' }, select: { id: true } });
  return admin === null;
}

/** Lower-case, dash-separated slug of a display name. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'org';
}

/** Creates the environments an organisation lacks (idempotent). */
export async function ensureDefaultEnvironments(
  tx: Pick<Prisma, 'environment'>,
  organizationId: string,
): Promise<EnvironmentDto[]> {
  for (const env of DEFAULT_ENVIRONMENTS) {
    await tx.environment.upsert({
      where: { organizationId_name: { organizationId, name: env.name } },
      create: { organizationId, ...env },
      update: {},
    });
  }
  return tx.environment.findMany({
    where: { organizationId },
    orderBy: { position: 'asc' },
    select: { id: true, organizationId: true, name: true, displayName: true, position: true },
  });
}

/**
 * Makes `userId` the first admin, given a setup token from the start log (see issueSetupToken).
 * Adopts the seeded demo organisation (renamed to `organizationName`) when it has no members, so
 * its rules and local sensor carry over; otherwise creates a new organisation. Fails with
 * CONFLICT once an admin exists and FORBIDDEN for a wrong or expired token; every setup token
 * is deleted when it succeeds.
 */
export async function completeFirstRunSetup(
  db: Db,
  input: { userId: string; organizationName: string; setupToken: string },
  actor: Actor = { userId: input.userId },
): Promise<OrganizationDto> {
  const name = input.organizationName.trim();
  if (!name) throw new DbError('INVALID', 'organisation name is required');
  return db.prisma.$transaction(async (tx) => {
    // Serialises concurrent setups: only one can take the lock and see no admin.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7304661)`;
    const admin = await tx.membership.findFirst({ where: { role: 'admin' }, select: { id: true } });
    if (admin) throw new DbError('CONFLICT', 'setup is already complete: sign in instead');
    if (!(await isSetupTokenValid(tx, input.setupToken))) {
      throw new DbError('FORBIDDEN', 'the setup token is wrong or has expired');
    }
    await tx.setupToken.deleteMany({});
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: { id: true } });
    if (!user) throw new DbError('NOT_FOUND', 'user not found');
    // Whoever sets the instance up runs it: they read the instance-level audit log.
    await tx.user.update({ where: { id: input.userId }, data: { instanceAdmin: true } });
    const adoptable = await tx.organization.findFirst({
      where: { memberships: { none: {} } },
      orderBy: [{ createdAt: 'asc' }],
      select: { id: true },
    });
    const slug = await freeSlug(tx, slugify(name), adoptable?.id);
    const org = adoptable
      ? await tx.organization.update({ where: { id: adoptable.id }, data: { name, slug } })
      : await tx.organization.create({ data: { name, slug } });
    await ensureDefaultEnvironments(tx, org.id);
    await tx.membership.create({ data: { organizationId: org.id, userId: input.userId, role: 'admin' } });
    await recordAudit(tx, actor, {
      organizationId: org.id,
      action: 'setup.first_admin',
      targetType: 'organization',
      targetId: org.id,
      after: { name, slug, adminUserId: input.userId },
    });
    return { id: org.id, name: org.name, slug: org.slug, createdAt: org.createdAt };
  });
}

/** `base`, or `base-2`, `base-3`, ... whichever no other organisation uses. */
export async function freeSlug(
  tx: Pick<Prisma, 'organization'>,
  base: string,
  ownId?: string,
): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? base : `${base}-${i + 1}`;
    const taken = await tx.organization.findUnique({ where: { slug: candidate }, select: { id: true } });
    if (!taken || taken.id === ownId) return candidate;
  }
}

/** The organisations a user belongs to, with their role. */
export async function listMemberships(db: Db, userId: string): Promise<MembershipDto[]> {
  const rows = await db.prisma.membership.findMany({
    where: { userId },
    orderBy: { createdAt: 'asc' },
    select: { role: true, organization: { select: { id: true, name: true, slug: true } } },
  });
  return rows.map((r) => ({
    organizationId: r.organization.id,
    organizationName: r.organization.name,
    organizationSlug: r.organization.slug,
    role: r.role,
  }));
}

/** The caller's role in one organisation, or null when not a member. */
export async function getMembershipRole(
  db: Db,
  userId: string,
  organizationId: string,
): Promise<Role | null> {
  const m = await db.prisma.membership.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { role: true },
  });
  return m?.role ?? null;
}

/** An organisation's environments in console order. */
export async function listEnvironments(db: Db, organizationId: string): Promise<EnvironmentDto[]> {
  return db.prisma.environment.findMany({
    where: { organizationId },
    orderBy: { position: 'asc' },
    select: { id: true, organizationId: true, name: true, displayName: true, position: true },
  });
}

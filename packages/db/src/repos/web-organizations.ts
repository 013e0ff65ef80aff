import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';
import { freeSlug, type OrganizationDto, slugify } from './organizations.js';
import { type DemoSeedInput, provisionOrganizationDefaults } from './seed.js';

/**
 * A new organisation made by a signed-in user: `userId` becomes its admin, and it starts with what
 * the demo organisation has (provisionOrganizationDefaults: environments, the default rule set
 * active in each). If provisioning fails, the organisation is deleted again rather than left
 * half made.
 */
export async function createOrganization(
  db: Db,
  input: { userId: string; name: string; defaults: DemoSeedInput },
  actor: Actor = { userId: input.userId },
): Promise<OrganizationDto> {
  const name = input.name.trim();
  if (!name) throw new DbError('INVALID', 'organisation name is required');
  const org = await db.prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: { id: true } });
    if (!user) throw new DbError('NOT_FOUND', 'user not found');
    const slug = await freeSlug(tx, slugify(name));
    const created = await tx.organization.create({
      data: { name, slug },
      select: { id: true, name: true, slug: true, createdAt: true },
    });
    await tx.membership.create({ data: { organizationId: created.id, userId: input.userId, role: 'admin' } });
    await recordAudit(tx, actor, {
      organizationId: created.id,
      action: 'organization.create',
      targetType: 'organization',
      targetId: created.id,
      after: { name, slug, adminUserId: input.userId },
    });
    // Also at instance level, where it outlives the organisation (its own entries go with it).
    await recordAudit(tx, actor, {
      organizationId: null,
      action: 'organization.create',
      targetType: 'organization',
      targetId: created.id,
      after: { name, slug, adminUserId: input.userId },
    });
    return created;
  });
  try {
    // Rule set versions and activations commit in their own transactions (with their audit entries).
    await provisionOrganizationDefaults(db, org.id, input.defaults, actor);
  } catch (error) {
    await db.prisma.organization.delete({ where: { id: org.id } });
    throw error;
  }
  return org;
}

/** Whether the user is an admin of at least one organisation (who may create organisations when that is limited to admins). */
export async function isAdminAnywhere(db: Db, userId: string): Promise<boolean> {
  const row = await db.prisma.membership.findFirst({
    where: { userId, role: 'admin' },
    select: { id: true },
  });
  return row !== null;
}

import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';

/** A member's grant in one environment: their role there (null: the organisation role) and promoter. */
export interface EnvironmentGrantDto {
  userId: string;
  environmentId: string;
  role: Role | null;
  promoter: boolean;
}

/** The organisation's grants, for the members page. */
export async function listEnvironmentGrants(db: Db, organizationId: string): Promise<EnvironmentGrantDto[]> {
  const rows = await db.prisma.environmentGrant.findMany({
    where: { membership: { organizationId } },
    select: { environmentId: true, role: true, promoter: true, membership: { select: { userId: true } } },
  });
  return rows.map((row) => ({
    userId: row.membership.userId,
    environmentId: row.environmentId,
    role: row.role,
    promoter: row.promoter,
  }));
}

/** One member's grants in the organisation (every environment they have one in). */
export async function listMemberEnvironmentGrants(
  db: Db,
  input: { organizationId: string; userId: string },
): Promise<EnvironmentGrantDto[]> {
  const rows = await db.prisma.environmentGrant.findMany({
    where: { membership: { organizationId: input.organizationId, userId: input.userId } },
    select: { environmentId: true, role: true, promoter: true },
  });
  return rows.map((row) => ({ userId: input.userId, ...row }));
}

/** What an environment-scoped object is: the environment itself, or something that lives in one. */
export type EnvironmentRef =
  | { environmentId: string }
  | { sourceId: string }
  | { sensorId: string }
  | { alertId: bigint };

/**
 * The environment `ref` names or lives in, within the organisation; NOT_FOUND when it is not the
 * organisation's (another organisation's object is indistinguishable from a missing one).
 */
export async function environmentOf(
  db: Db,
  organizationId: string,
  ref: EnvironmentRef,
): Promise<{ id: string; name: string }> {
  const where = { organizationId };
  let environmentId: string | undefined;
  if ('environmentId' in ref) environmentId = ref.environmentId;
  else if ('sourceId' in ref) {
    const row = await db.prisma.cloudSource.findFirst({
      where: { ...where, id: ref.sourceId },
      select: { environmentId: true },
    });
    if (!row) throw new DbError('NOT_FOUND', 'source not found');
    environmentId = row.environmentId;
  } else if ('sensorId' in ref) {
    const row = await db.prisma.sensor.findFirst({
      where: { ...where, id: ref.sensorId },
      select: { environmentId: true },
    });
    if (!row) throw new DbError('NOT_FOUND', 'sensor not found');
    environmentId = row.environmentId;
  } else {
    const row = await db.prisma.alert.findFirst({
      where: { ...where, id: ref.alertId },
      select: { environmentId: true },
    });
    if (!row) throw new DbError('NOT_FOUND', 'alert not found');
    environmentId = row.environmentId;
  }
  const environment = await db.prisma.environment.findFirst({
    where: { ...where, id: environmentId },
    select: { id: true, name: true },
  });
  if (!environment) throw new DbError('NOT_FOUND', 'environment not found');
  return environment;
}

/** The environments (id and name) the organisation's alerts `ids` belong to; unknown ids are skipped. */
export async function environmentsOfAlerts(
  db: Db,
  organizationId: string,
  ids: bigint[],
): Promise<{ id: string; name: string }[]> {
  if (ids.length === 0) return [];
  const rows = await db.prisma.alert.findMany({
    where: { organizationId, id: { in: ids } },
    select: { environmentId: true },
    distinct: ['environmentId'],
  });
  return db.prisma.environment.findMany({
    where: { organizationId, id: { in: rows.map((r) => r.environmentId) } },
    select: { id: true, name: true },
    orderBy: { position: 'asc' },
  });
}

/** Every environment of the organisation (id and name), in display order. */
export function organizationEnvironments(
  db: Db,
  organizationId: string,
): Promise<{ id: string; name: string }[]> {
  return db.prisma.environment.findMany({
    where: { organizationId },
    select: { id: true, name: true },
    orderBy: { position: 'asc' },
  });
}

/**
 * Sets a member's role in one environment (null: back to their organisation role) and whether they
 * are its promoter; a grant with neither is removed. Organisation admins are admin in every
 * environment, so they take no grant (CONFLICT). The change is audited with the member, the
 * environment, and the role and promoter flag before and after.
 */
export async function setEnvironmentGrant(
  db: Db,
  input: {
    organizationId: string;
    userId: string;
    environmentId: string;
    role: Role | null;
    promoter: boolean;
  },
  actor: Actor,
): Promise<EnvironmentGrantDto> {
  return db.prisma.$transaction(async (tx) => {
    const member = await tx.membership.findUnique({
      where: { organizationId_userId: { organizationId: input.organizationId, userId: input.userId } },
      select: { id: true, role: true, user: { select: { email: true } } },
    });
    if (!member) throw new DbError('NOT_FOUND', 'member not found');
    const environment = await tx.environment.findFirst({
      where: { id: input.environmentId, organizationId: input.organizationId },
      select: { id: true, name: true },
    });
    if (!environment) throw new DbError('NOT_FOUND', 'environment not found');
    if (member.role === 'admin') {
      throw new DbError(
        'CONFLICT',
        'organisation admins are admin in every environment: change their organisation role first',
      );
    }
    const key = { membershipId_environmentId: { membershipId: member.id, environmentId: environment.id } };
    // Serialises concurrent changes to this member's grants, so each audit entry's "before" is true.
    await tx.$executeRaw`SELECT 1 FROM memberships WHERE id = ${member.id}::uuid FOR UPDATE`;
    const existing = await tx.environmentGrant.findUnique({
      where: key,
      select: { role: true, promoter: true },
    });
    const before = { role: existing?.role ?? null, promoter: existing?.promoter ?? false };
    const after = { role: input.role, promoter: input.promoter };
    const result = { userId: input.userId, environmentId: environment.id, ...after };
    if (before.role === after.role && before.promoter === after.promoter) return result;
    if (after.role === null && !after.promoter) await tx.environmentGrant.delete({ where: key });
    else {
      await tx.environmentGrant.upsert({
        where: key,
        create: { membershipId: member.id, environmentId: environment.id, ...after },
        update: after,
      });
    }
    const context = {
      email: member.user.email,
      environment: environment.name,
      organizationRole: member.role,
    };
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'member.environment_grant',
      targetType: 'membership',
      targetId: input.userId,
      before: { ...context, ...before },
      after: { ...context, ...after },
    });
    return result;
  });
}

/** Whether the user reads the instance-level audit log (set for whoever completed first-run setup). */
export async function isInstanceAdmin(db: Db, userId: string): Promise<boolean> {
  const row = await db.prisma.user.findUnique({ where: { id: userId }, select: { instanceAdmin: true } });
  return row?.instanceAdmin ?? false;
}

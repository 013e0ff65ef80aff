import type { Db, Prisma } from '../client.js';
import { DbError } from '../errors.js';

/** What an organisation holds against its limits (the instance's configuration sets them). */
export interface OrganizationUsage {
  /** Sensors whose key is not revoked. */
  sensors: number;
  /** Cloud sources, enabled or not. */
  sources: number;
  /** Alerts stored. */
  alertsRetained: number;
}

/** Counts what an organisation uses of its quotas. */
export async function getOrganizationUsage(db: Db, organizationId: string): Promise<OrganizationUsage> {
  const [sensors, sources, alertsRetained] = await Promise.all([
    db.prisma.sensor.count({ where: { organizationId, revokedAt: null } }),
    db.prisma.cloudSource.count({ where: { organizationId } }),
    db.prisma.alert.count({ where: { organizationId } }),
  ]);
  return { sensors, sources, alertsRetained };
}

/**
 * Refuses (CONFLICT) one more sensor or source beyond `limit`. Locks the organisation's row, so
 * concurrent registrations in one organisation take turns and cannot both slip under the limit;
 * an organisation being deleted takes none (NOT_FOUND). Call inside the creating transaction.
 */
export async function checkQuota(
  tx: Pick<Prisma, '$queryRaw' | 'sensor' | 'cloudSource'>,
  organizationId: string,
  kind: 'sensors' | 'sources',
  limit: number,
): Promise<void> {
  const rows = await tx.$queryRaw<{ deletingAt: Date | null }[]>`
    SELECT "deletingAt" FROM "organizations" WHERE "id" = ${organizationId}::uuid FOR UPDATE`;
  if (rows.length === 0 || rows[0]?.deletingAt) throw new DbError('NOT_FOUND', 'organisation not found');
  const used =
    kind === 'sensors'
      ? await tx.sensor.count({ where: { organizationId, revokedAt: null } })
      : await tx.cloudSource.count({ where: { organizationId } });
  if (used >= limit) {
    throw new DbError(
      'CONFLICT',
      kind === 'sensors'
        ? `this organisation has reached its limit of ${limit} sensors: revoke one, or ask the operator to raise PEREGRINE_MAX_SENSORS`
        : `this organisation has reached its limit of ${limit} sources: delete one, or ask the operator to raise PEREGRINE_MAX_SOURCES`,
    );
  }
}

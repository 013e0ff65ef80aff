import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';

/**
 * Marks an organisation as being deleted, in one transaction: its sensor keys and API keys are
 * revoked and its cloud sources disabled (the revocation triggers tell every collector at commit,
 * so nothing new is ingested), its memberships, invitations and SSO configuration are removed
 * (nobody acts in it or joins it any more), and the deletion is audited at instance level (`organizationId` null: the organisation's
 * own audit log goes with it). `confirmName` must equal the organisation's name. The instance's
 * last organisation cannot be deleted (CONFLICT): first-run setup would open again with nobody
 * to run it. The rows themselves go afterwards, in bounded batches (purgeOrganization).
 */
export async function markOrganizationDeleting(
  db: Db,
  input: { organizationId: string; confirmName: string },
  actor: Actor,
): Promise<{ id: string; name: string; slug: string }> {
  return db.prisma.$transaction(async (tx) => {
    // Serialises deletions, so two admins cannot each delete one of the last two organisations.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7304662)`;
    const org = await tx.organization.findUnique({
      where: { id: input.organizationId },
      select: { id: true, name: true, slug: true, deletingAt: true },
    });
    if (!org || org.deletingAt) throw new DbError('NOT_FOUND', 'organisation not found');
    if (input.confirmName.trim() !== org.name) {
      throw new DbError('INVALID', 'type the organisation name exactly to confirm');
    }
    const others = await tx.organization.count({ where: { id: { not: org.id }, deletingAt: null } });
    if (others === 0) {
      throw new DbError('CONFLICT', "the instance's last organisation cannot be deleted");
    }
    const now = new Date();
    await tx.organization.update({ where: { id: org.id }, data: { deletingAt: now } });
    const sensors = await tx.sensor.updateMany({
      where: { organizationId: org.id, revokedAt: null },
      data: { revokedAt: now },
    });
    const sources = await tx.cloudSource.updateMany({
      where: { organizationId: org.id, enabled: true },
      data: { enabled: false },
    });
    const apiKeys = await tx.apiKey.updateMany({
      where: { organizationId: org.id, revokedAt: null },
      data: { revokedAt: now },
    });
    const members = await tx.membership.deleteMany({ where: { organizationId: org.id } });
    await tx.invitation.deleteMany({ where: { organizationId: org.id } });
    // Its SSO domains would otherwise still sign people in and make them members again.
    const sso = await tx.ssoConfig.deleteMany({ where: { organizationId: org.id } });
    await recordAudit(tx, actor, {
      organizationId: null,
      action: 'organization.delete',
      targetType: 'organization',
      targetId: org.id,
      before: {
        name: org.name,
        slug: org.slug,
        members: members.count,
        sensorsRevoked: sensors.count,
        sourcesDisabled: sources.count,
        apiKeysRevoked: apiKeys.count,
        ssoRemoved: sso.count > 0,
      },
    });
    return { id: org.id, name: org.name, slug: org.slug };
  });
}

/**
 * Tables purged batch by batch before the organisation row, largest first; each `where` selects
 * the organisation's rows with `$1` as its id. Whatever is not listed (including any future table)
 * goes with the organisation row by its ON DELETE CASCADE; the list only keeps single statements
 * small. Activations go before rule sets and environments: their version reference is RESTRICT.
 */
const PURGE_ORDER: ReadonlyArray<{ table: string; where: string; key?: string }> = [
  // By entity: the occurrences' primary key leads with it (they have no other index to use).
  {
    table: 'entity_occurrences',
    where: '"entityId" IN (SELECT "id" FROM "entities" WHERE "organizationId" = $1)',
  },
  { table: 'entities', where: '"organizationId" = $1' },
  { table: 'incident_queue', where: '"organizationId" = $1' },
  { table: 'incidents', where: '"organizationId" = $1' },
  { table: 'raw_events', where: '"organizationId" = $1' },
  {
    table: 'ingest_batches',
    where: '"sensorId" IN (SELECT "id" FROM "sensors" WHERE "organizationId" = $1)',
  },
  {
    table: 'sensor_recording_chunks',
    where: '"recordingId" IN (SELECT "id" FROM "sensor_recordings" WHERE "organizationId" = $1)',
  },
  { table: 'sensor_recordings', where: '"organizationId" = $1' },
  { table: 'notification_outbox', where: '"organizationId" = $1' },
  // Partitioned: a ctid names a row only within its partition (the same ctid in another
  // partition is another organisation's alert), so the batch is picked by primary key.
  { table: 'alerts', where: '"organizationId" = $1', key: '"id", "eventTime"' },
  { table: 'alert_groups', where: '"organizationId" = $1' },
  { table: 'alert_rollups', where: '"organizationId" = $1' },
  { table: 'alert_rollups_5m', where: '"organizationId" = $1' },
  { table: 'alert_rollups_daily', where: '"organizationId" = $1' },
  { table: 'alert_tag_rollups', where: '"organizationId" = $1' },
  { table: 'alert_tag_rollups_5m', where: '"organizationId" = $1' },
  { table: 'alert_contents', where: '"organizationId" = $1' },
  { table: 'backtest_jobs', where: '"organizationId" = $1' },
  { table: 'audit_log', where: '"organizationId" = $1' },
  {
    table: 'activations',
    where: '"environmentId" IN (SELECT "id" FROM "environments" WHERE "organizationId" = $1)',
  },
];

/**
 * Deletes a marked organisation's rows in batches of `batchSize` (each its own statement, so no
 * request or statement holds long locks or runs into a timeout), then the organisation row.
 * Idempotent: a purge cut short (process stopped) is resumed by resumeOrganizationPurges. Returns
 * the number of rows deleted batch-wise.
 */
export async function purgeOrganization(
  db: Db,
  organizationId: string,
  options: { batchSize?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  const org = await db.prisma.organization.findUnique({
    where: { id: organizationId },
    select: { deletingAt: true },
  });
  if (!org) return 0;
  if (!org.deletingAt) throw new DbError('CONFLICT', 'organisation is not marked for deletion');
  let deleted = 0;
  for (const { table, where, key = 'ctid' } of PURGE_ORDER) {
    for (;;) {
      // Table names and predicates come from the constant list above, never from input.
      const n = await db.prisma.$executeRawUnsafe(
        `DELETE FROM "${table}" WHERE (${key}) IN (SELECT ${key} FROM "${table}" WHERE ${where} LIMIT ${batchSize})`,
        organizationId,
      );
      deleted += n;
      if (n < batchSize) break;
    }
  }
  await db.prisma.organization.deleteMany({ where: { id: organizationId, deletingAt: { not: null } } });
  return deleted;
}

/** Purges every organisation still marked as being deleted (after a restart cut one short). */
export async function resumeOrganizationPurges(
  db: Db,
  options: { batchSize?: number } = {},
): Promise<string[]> {
  const marked = await db.prisma.organization.findMany({
    where: { deletingAt: { not: null } },
    select: { id: true },
  });
  for (const { id } of marked) await purgeOrganization(db, id, options);
  return marked.map((o) => o.id);
}

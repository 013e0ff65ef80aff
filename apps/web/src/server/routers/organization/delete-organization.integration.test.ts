import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const {
  findSensorByKey,
  getDb,
  markOrganizationDeleting,
  purgeOrganization,
  registerSensor,
  resumeOrganizationPurges,
} = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

type User = Awaited<ReturnType<typeof createUser>>;
let ada: User;
let bob: User;

beforeAll(async () => {
  ada = await createUser('Ada Deleter');
  bob = await createUser('Bob Bystander');
});

/**
 * Every table with an `organizationId` column, read from the database (so a new table is
 * included); a partitioned table counts once, its partitions are read through it.
 */
async function tablesWithOrganizationId(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
     JOIN pg_class k ON k.relname = c.table_name
     JOIN pg_namespace n ON n.oid = k.relnamespace AND n.nspname = c.table_schema
     WHERE c.table_schema = current_schema() AND c.column_name = 'organizationId' AND NOT k.relispartition
     ORDER BY c.table_name`,
  );
  return r.rows.map((row) => row.table_name);
}

async function rowsPerTable(client: pg.Client, organizationId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await tablesWithOrganizationId(client)) {
    const r = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${table}" WHERE "organizationId" = $1`,
      [organizationId],
    );
    counts[table] = Number(r.rows[0]?.n);
  }
  return counts;
}

/** A row in every organisation-scoped table (and the ones below them), as a busy organisation has. */
async function fillOrganization(organizationId: string, userId: string) {
  const { prisma } = getDb(databaseUrl);
  const env = await prisma.environment.findFirstOrThrow({ where: { organizationId, name: 'staging' } });
  const ruleSet = await prisma.ruleSet.findFirstOrThrow({
    where: { organizationId },
    select: { id: true, versions: { select: { id: true } } },
  });
  const versionId = ruleSet.versions[0]!.id;
  const sensor = await registerSensor(getDb(databaseUrl), { environmentId: env.id, name: 'node-1' });
  await prisma.ingestBatch.create({
    data: { sensorId: sensor.sensorId, batchId: 'b-1', eventCount: 1, alertCount: 0 },
  });
  const source = await prisma.cloudSource.create({
    data: {
      organizationId,
      environmentId: env.id,
      kind: 'github',
      name: 'gh',
      tokenHash: `t-${organizationId}`,
    },
  });
  const group = await prisma.alertGroup.create({
    data: {
      organizationId,
      environmentId: env.id,
      dedupKey: 'k',
      rule: 'R',
      priority: 'warning',
      source: 'syscall',
      firstSeenAt: new Date(),
      lastSeenAt: new Date(),
      lastOutput: 'o',
    },
  });
  const now = new Date();
  for (let i = 0; i < 7; i++) {
    await prisma.alert.create({
      data: {
        organizationId,
        environmentId: env.id,
        rule: 'R',
        priority: 'warning',
        source: 'syscall',
        output: `shell spawned ${i}`,
        // Tagged, as most rules' alerts are: the ATT&CK matrix's tag rollups get a row too.
        tags: ['container', 'mitre_execution'],
        eventTime: now,
        dedupKey: 'k',
        groupId: group.id,
        sensorId: sensor.sensorId,
      },
    });
    await prisma.rawEvent.create({
      data: { organizationId, environmentId: env.id, source: 'github', eventTime: now, payload: { i } },
    });
  }
  const alert = await prisma.alert.findFirstOrThrow({ where: { organizationId } });
  await prisma.alertNote.create({ data: { alertId: alert.id, authorId: userId, body: 'seen' } });
  // What the collector's store statement and correlator write with an alert: an entity it names
  // (with its occurrence), its incident (link, activity) and its place in the correlation queue.
  const entityId = randomUUID();
  await prisma.entity.create({
    data: {
      id: entityId,
      organizationId,
      environmentId: env.id,
      kind: 'pod',
      value: 'payments/payments-7f9c',
    },
  });
  await prisma.entityOccurrence.create({
    data: {
      entityId,
      eventTime: alert.eventTime,
      environmentId: env.id,
      source: 'syscall',
      alertId: alert.id,
    },
  });
  await prisma.incident.create({
    data: {
      organizationId,
      environmentId: env.id,
      title: 'Shell in payments-7f9c',
      priority: 'warning',
      firstSeenAt: alert.eventTime,
      lastSeenAt: alert.eventTime,
      alertCount: 1,
      alerts: { create: [{ alertId: alert.id, eventTime: alert.eventTime, addedBy: 'correlator' }] },
      activities: { create: [{ kind: 'created' }] },
    },
  });
  await prisma.incidentQueue.create({
    data: { alertId: alert.id, eventTime: alert.eventTime, organizationId, environmentId: env.id },
  });
  await prisma.alertRollup.create({
    data: { organizationId, environmentId: env.id, bucket: now, dimension: 'rule', key: 'R', count: 7 },
  });
  await prisma.savedView.create({ data: { organizationId, userId, name: 'mine', query: {} } });
  await prisma.alertRetentionRule.create({
    data: { organizationId, environmentId: env.id, priority: 'debug', days: 7 },
  });
  await prisma.invitation.create({
    data: {
      organizationId,
      email: 'someone@example.test',
      role: 'viewer',
      tokenHash: `i-${organizationId}`,
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  await prisma.apiKey.create({
    data: { organizationId, name: 'ci', prefix: 'prk_x', keyHash: `k-${organizationId}`, role: 'author' },
  });
  await prisma.backtestJob.create({
    data: {
      organizationId,
      environmentId: env.id,
      ruleSetId: ruleSet.id,
      draftVersionId: versionId,
      fromTime: now,
      toTime: now,
    },
  });
  await prisma.ssoConfig.create({
    data: {
      organizationId,
      issuer: 'https://idp.example.test',
      clientId: 'peregrine',
      domains: { create: [{ domain: `${organizationId}.example.test` }] },
    },
  });
  await prisma.sensorRecording.create({
    data: {
      organizationId,
      sensorId: sensor.sensorId,
      seconds: 10,
      maxBytes: 1_000_000,
      chunks: { create: [{ offset: 0, data: new Uint8Array([1, 2, 3]) }] },
    },
  });
  const channel = await prisma.notificationChannel.create({
    data: { organizationId, kind: 'webhook', name: 'hook', config: { url: 'https://example.test' } },
  });
  await prisma.notificationRoute.create({ data: { organizationId, name: 'all', position: 0 } });
  await prisma.notificationOutbox.create({
    data: { organizationId, channelId: channel.id, action: 'alert', dedupKey: 'd' },
  });
  return { sensor, sourceId: source.id };
}

describe('organization.delete', () => {
  it('removes every row of every organisation-scoped table, and nothing of other organisations', async () => {
    const created = await createCaller(contextFor(ada)).organization.create({ name: 'Doomed' });
    const kept = await createCaller(contextFor(ada)).organization.create({ name: 'Kept' });
    await addMember(created.id, bob.id, 'viewer');
    const { sensor } = await fillOrganization(created.id, ada.id);
    await fillOrganization(kept.id, ada.id);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // The fill covers every table that names an organisation: a new table fails here until the
      // fill (and the deletion) know about it.
      const before = await rowsPerTable(client, created.id);
      expect(Object.keys(before).length).toBeGreaterThanOrEqual(21);
      expect(Object.entries(before).filter(([, n]) => n === 0)).toEqual([]);
      const keptBefore = await rowsPerTable(client, kept.id);

      const inDoomed = createCaller(contextFor(ada, created.id));
      expect(
        await inDoomed.organization.delete({ organizationId: created.id, confirmName: 'Doomed' }),
      ).toEqual({ organizationId: created.id });

      // At once: nobody acts in it, and the collector's key lookup refuses its sensor.
      expect(await appCodeOf(createCaller(contextFor(bob, created.id)).viewer.get())).toBe('NOT_A_MEMBER');
      expect(await findSensorByKey(getDb(databaseUrl), sensor.apiKey)).toBeNull();

      // The purge runs after the answer: wait for the organisation row to go.
      await vi.waitFor(
        async () => {
          const r = await client.query('SELECT 1 FROM organizations WHERE id = $1', [created.id]);
          expect(r.rowCount).toBe(0);
        },
        { timeout: 20_000, interval: 100 },
      );
      const after = await rowsPerTable(client, created.id);
      expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
      // Rows below them went too (sensor batches, alert notes, rule files, activations).
      const orphans = await client.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM ingest_batches WHERE "sensorId" = $1)
              + (SELECT count(*) FROM sensor_recording_chunks c WHERE NOT EXISTS (SELECT 1 FROM sensor_recordings r WHERE r.id = c."recordingId"))
              + (SELECT count(*) FROM rule_set_versions v WHERE NOT EXISTS (SELECT 1 FROM rule_sets s WHERE s.id = v."ruleSetId"))
              + (SELECT count(*) FROM entity_occurrences o WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = o."entityId"))
              + (SELECT count(*) FROM incident_alerts l WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = l."incidentId")) AS n`,
        [sensor.sensorId],
      );
      expect(Number(orphans.rows[0]?.n)).toBe(0);

      expect(await rowsPerTable(client, kept.id)).toEqual(keptBefore);

      // The deletion is audited at instance level, where it outlives the organisation.
      const audit = await getDb(databaseUrl).prisma.auditLog.findFirstOrThrow({
        where: { action: 'organization.delete', targetId: created.id },
      });
      expect(audit).toMatchObject({ organizationId: null, actorUserId: ada.id, targetType: 'organization' });
      expect(audit.before).toMatchObject({
        name: 'Doomed',
        members: 2,
        sensorsRevoked: 1,
        apiKeysRevoked: 1,
      });

      // Bob's only organisation is gone: he is left with none (the console offers to create one).
      expect(await createCaller(contextFor(bob)).viewer.listOrganizations()).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('needs the name typed exactly, the admin role, and the organisation acted in', async () => {
    const org = await createOrganization('Careful');
    await addMember(org.id, ada.id, 'admin');
    await addMember(org.id, bob.id, 'author');
    const other = await createOrganization('Elsewhere');
    await addMember(other.id, ada.id, 'admin');
    const asAda = createCaller(contextFor(ada, org.id));
    expect(
      await appCodeOf(asAda.organization.delete({ organizationId: org.id, confirmName: 'careful' })),
    ).toBe('INVALID_INPUT');
    expect(
      await appCodeOf(
        createCaller(contextFor(bob, org.id)).organization.delete({
          organizationId: org.id,
          confirmName: 'Careful',
        }),
      ),
    ).toBe('INSUFFICIENT_ROLE');
    expect(
      await appCodeOf(asAda.organization.delete({ organizationId: other.id, confirmName: 'Elsewhere' })),
    ).toBe('CONFLICT');
    const { prisma } = getDb(databaseUrl);
    expect(
      await prisma.organization.findUnique({ where: { id: org.id }, select: { deletingAt: true } }),
    ).toEqual({
      deletingAt: null,
    });
    expect(await prisma.membership.count({ where: { organizationId: org.id } })).toBe(2);
  });

  it('purges in bounded batches, and a purge cut short is resumed', async () => {
    const org = await createCaller(contextFor(ada)).organization.create({ name: 'Batched' });
    const { sourceId } = await fillOrganization(org.id, ada.id);
    const db = getDb(databaseUrl);
    await markOrganizationDeleting(
      db,
      { organizationId: org.id, confirmName: 'Batched' },
      { userId: ada.id },
    );
    // Marked: its source is disabled (the collector's source lookup only takes enabled ones).
    expect(await db.prisma.cloudSource.findUniqueOrThrow({ where: { id: sourceId } })).toMatchObject({
      enabled: false,
    });
    // The process that marked it stopped before purging: the collector's maintenance pass resumes,
    // 7 raw events and 7 alerts in batches of 2 (several statements each), to the same end.
    expect(await resumeOrganizationPurges(db, { batchSize: 2 })).toEqual([org.id]);
    expect(await db.prisma.organization.findUnique({ where: { id: org.id } })).toBeNull();
    expect(await db.prisma.rawEvent.count({ where: { organizationId: org.id } })).toBe(0);
    // Purging again (a second process resuming) is harmless.
    expect(await purgeOrganization(db, org.id, { batchSize: 2 })).toBe(0);
  });

  it("refuses to delete the instance's last organisation", async () => {
    const { prisma } = getDb(databaseUrl);
    const last = await createOrganization('Last One');
    await addMember(last.id, ada.id, 'admin');
    // Every other organisation is already being deleted.
    await prisma.organization.updateMany({
      where: { id: { not: last.id } },
      data: { deletingAt: new Date() },
    });
    expect(
      await appCodeOf(
        createCaller(contextFor(ada, last.id)).organization.delete({
          organizationId: last.id,
          confirmName: 'Last One',
        }),
      ),
    ).toBe('CONFLICT');
  });
});

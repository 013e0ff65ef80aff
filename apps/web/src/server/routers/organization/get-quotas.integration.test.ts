import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
// Small limits, so reaching them takes a few calls.
process.env.PEREGRINE_MAX_SENSORS = '2';
process.env.PEREGRINE_MAX_SOURCES = '1';
process.env.PEREGRINE_MAX_ALERTS_RETAINED = '5';
process.env.PEREGRINE_SECRET_KEY = 'quotas-secret-0123456789abcdef0123';
const { getDb } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

let org: Awaited<ReturnType<typeof createOrganization>>;
let other: Awaited<ReturnType<typeof createOrganization>>;
let admin: Awaited<ReturnType<typeof createUser>>;
let stagingId: string;

beforeAll(async () => {
  org = await createOrganization('Quota Org');
  other = await createOrganization('Other Quota Org');
  admin = await createUser('Quota Admin');
  await addMember(org.id, admin.id, 'admin');
  await addMember(other.id, admin.id, 'admin');
  const { prisma } = getDb(databaseUrl);
  stagingId = (
    await prisma.environment.findFirstOrThrow({ where: { organizationId: org.id, name: 'staging' } })
  ).id;
  const now = new Date();
  await prisma.alert.createMany({
    data: [1, 2, 3].map((i) => ({
      organizationId: org.id,
      environmentId: stagingId,
      rule: 'R',
      priority: 'warning' as const,
      source: 'syscall',
      output: `o ${i}`,
      eventTime: now,
      dedupKey: 'k',
    })),
  });
});

describe('organization quotas', () => {
  it('shows what the organisation uses of the configured limits', async () => {
    expect(await createCaller(contextFor(admin, org.id)).organization.getQuotas()).toEqual({
      sensors: { used: 0, limit: 2 },
      sources: { used: 0, limit: 1 },
      alertsRetained: { used: 3, limit: 5 },
    });
  });

  it('refuses a sensor beyond the limit with a clear message, and counts revoked keys out', async () => {
    const caller = createCaller(contextFor(admin, org.id));
    const first = await caller.sensors.register({ environmentId: stagingId, name: 'node-1' });
    await caller.sensors.register({ environmentId: stagingId, name: 'node-2' });
    const refused = caller.sensors.register({ environmentId: stagingId, name: 'node-3' });
    await expect(refused).rejects.toThrow(/limit of 2 sensors/);
    expect(await appCodeOf(caller.sensors.register({ environmentId: stagingId, name: 'node-3' }))).toBe(
      'CONFLICT',
    );
    expect((await caller.organization.getQuotas()).sensors).toEqual({ used: 2, limit: 2 });

    await caller.sensors.revoke({ sensorId: first.sensorId });
    await caller.sensors.register({ environmentId: stagingId, name: 'node-3' });
    expect((await caller.organization.getQuotas()).sensors).toEqual({ used: 2, limit: 2 });
  });

  it('refuses a source beyond the limit; the limit is per organisation', async () => {
    const caller = createCaller(contextFor(admin, org.id));
    const settings = { kind: 'falco', config: {} } as const;
    await caller.sources.create({ environmentId: stagingId, name: 'Falco A', settings });
    await expect(
      caller.sources.create({ environmentId: stagingId, name: 'Falco B', settings }),
    ).rejects.toThrow(/limit of 1 sources/);
    expect(await getDb(databaseUrl).prisma.cloudSource.count({ where: { organizationId: org.id } })).toBe(1);

    const elsewhere = createCaller(contextFor(admin, other.id));
    const { prisma } = getDb(databaseUrl);
    const otherStaging = await prisma.environment.findFirstOrThrow({
      where: { organizationId: other.id, name: 'staging' },
    });
    await elsewhere.sources.create({ environmentId: otherStaging.id, name: 'Falco B', settings });
    expect((await elsewhere.organization.getQuotas()).sources).toEqual({ used: 1, limit: 1 });
  });

  it('lets concurrent registrations in one organisation take turns, never past the limit', async () => {
    const org2 = await createOrganization('Race Org');
    await addMember(org2.id, admin.id, 'admin');
    const env = await getDb(databaseUrl).prisma.environment.findFirstOrThrow({
      where: { organizationId: org2.id, name: 'staging' },
    });
    const caller = createCaller(contextFor(admin, org2.id));
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((i) => caller.sensors.register({ environmentId: env.id, name: `racer-${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await getDb(databaseUrl).prisma.sensor.count({ where: { organizationId: org2.id } })).toBe(2);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import { createApiKey, revokeApiKey } from './web-admin-api-keys.js';
import { registerSensor, revokeSensor } from './collector-sensors.js';
import { type Revocation, RevocationListener } from './revocations.js';
import { createCloudSource, recordCloudSourceActivity } from './sources-ingest.js';
import { rotateCloudSourceToken } from './web-admin-sources.js';

describe('revocation notifications (real Postgres LISTEN/NOTIFY)', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  let organizationId: string;
  let environmentId: string;
  const received: Revocation[] = [];
  let listener: RevocationListener;
  let lost = 0;

  beforeAll(async () => {
    handle = await createMigratedTestDatabase('revocations');
    db = createDb(handle.url, { max: 2 });
    const org = await db.prisma.organization.create({ data: { name: 'Acme', slug: 'acme-revocations' } });
    organizationId = org.id;
    environmentId = (
      await db.prisma.environment.create({ data: { organizationId, name: 'prod', displayName: 'Prod' } })
    ).id;
    listener = new RevocationListener(handle.url, {
      onRevocation: (r) => received.push(r),
      onLost: () => lost++,
      retryMs: 50,
    });
    await listener.start();
  }, 120_000);
  afterAll(async () => {
    await listener?.stop();
    await db?.close();
    await handle?.drop();
  });

  it('notifies sensor and API key revocations and source additions and changes when they commit', async () => {
    const sensor = await registerSensor(db, { environmentId, name: 'n1' });
    await revokeSensor(db, sensor.sensorId);
    const { apiKey } = await createApiKey(
      db,
      { organizationId, name: 'ci', role: 'viewer', createdById: null },
      {},
    );
    await revokeApiKey(db, { organizationId, apiKeyId: apiKey.id }, {});
    const { source } = await createCloudSource(db, {
      organizationId,
      environmentId,
      kind: 'falco',
      name: 'falco',
      config: {},
      issueToken: true,
    });
    await rotateCloudSourceToken(db, { organizationId, sourceId: source.id, secretKey: null }, {});
    await db.prisma.cloudSource.update({ where: { id: source.id }, data: { enabled: false } });
    await db.prisma.cloudSource.delete({ where: { id: source.id } });
    await vi.waitFor(() => expect(received.length).toBe(6), { timeout: 5_000 });
    // Added (pollers pick it up at once), re-keyed, disabled, deleted.
    expect(received.map((r) => `${r.kind}:${r.id}`)).toEqual([
      `sensor:${sensor.sensorId}`,
      `api_key:${apiKey.id}`,
      `source:${source.id}`,
      `source:${source.id}`,
      `source:${source.id}`,
      `source:${source.id}`,
    ]);
    // A new source had no token before: nothing for a cache to drop by hash.
    expect((received[2] as { tokenHash: string | null }).tokenHash).toBeNull();
    expect((received[3] as { tokenHash: string | null }).tokenHash).toMatch(/^[0-9a-f]{64}$/);
    // The hash of the key being replaced, so a cache keyed by it can drop exactly that entry.
    expect((received[0] as { keyHash: string }).keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stays quiet on activity and cursor writes', async () => {
    const { source } = await createCloudSource(db, {
      organizationId,
      environmentId,
      kind: 'okta',
      name: 'okta',
      config: {},
      issueToken: false,
    });
    // Its addition is announced; what follows it is counted from there.
    await vi.waitFor(() => expect(received.map((r) => r.id)).toContain(source.id), { timeout: 5_000 });
    received.length = 0;
    await recordCloudSourceActivity(db, source.id, { lastEventAt: new Date(), error: 'x' }, new Date());
    await db.prisma.cloudSource.update({ where: { id: source.id }, data: { cursor: { next: 'x' } } });
    await db.prisma.cloudSource.update({ where: { id: source.id }, data: { enabled: false } });
    await vi.waitFor(() => expect(received.length).toBe(1), { timeout: 5_000 });
  });

  it('reports a lost connection and listens again', async () => {
    listener.dropConnection();
    await vi.waitFor(() => expect(lost).toBe(1));
    await vi.waitFor(() => expect(listener.listening).toBe(true), { timeout: 5_000 });
    received.length = 0;
    const sensor = await registerSensor(db, { environmentId, name: 'n2' });
    await revokeSensor(db, sensor.sensorId);
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 5_000 });
  });
});

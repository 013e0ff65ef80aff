import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reservePort } from '@peregrine/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_MAIN, type Running, startNode, stopProcess, waitForUrl } from '../../../../e2e/stack';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * `sources.sendTestEvent` against the real collector (apps/collector/dist, started on this test's
 * database with the same PEREGRINE_SECRET_KEY): who may send one, for which sources, and what
 * the console reports back.
 */
const SECRET_KEY = randomBytes(32).toString('base64');
const databaseUrl = await provisionTestDatabase();
const collectorPort = await reservePort();
process.env.PEREGRINE_SECRET_KEY = SECRET_KEY;
process.env.PEREGRINE_COLLECTOR_URL = `http://127.0.0.1:${collectorPort}`;
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const db = await import('@peregrine/db');
const { TEST_EVENT_TAG } = await import('@peregrine/protocol');

const handle = () => db.getDb(databaseUrl);
const spoolDir = path.join(tmpdir(), `peregrine-web-test-event-${randomBytes(4).toString('hex')}`);
let collector: Running | undefined;
let admin: ReturnType<typeof createCaller>;
let viewer: ReturnType<typeof createCaller>;
let intruder: ReturnType<typeof createCaller>;
let environmentId: string;
let organizationId: string;

beforeAll(async () => {
  const org = await createOrganization('Test Event Org');
  const other = await createOrganization('Intruder Org');
  organizationId = org.id;
  const [adminUser, viewerUser, intruderUser] = await Promise.all([
    createUser('Test Event Admin'),
    createUser('Test Event Viewer'),
    createUser('Intruder Admin'),
  ]);
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(org.id, viewerUser.id, 'viewer');
  await addMember(other.id, intruderUser.id, 'admin');
  admin = createCaller(contextFor(adminUser));
  viewer = createCaller(contextFor(viewerUser));
  intruder = createCaller(contextFor(intruderUser));
  environmentId = (await admin.environment.list())[0]?.id as string;
  collector = startNode(
    [COLLECTOR_MAIN],
    {
      DATABASE_URL: databaseUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      PEREGRINE_SECRET_KEY: SECRET_KEY,
      LOG_LEVEL: 'warn',
      COLLECTOR_SPOOL_DIR: spoolDir,
    },
    path.dirname(COLLECTOR_MAIN),
  );
  await waitForUrl(`${process.env.PEREGRINE_COLLECTOR_URL}/healthz`, collector);
}, 120_000);

afterAll(async () => {
  await stopProcess(collector);
  await rm(spoolDir, { recursive: true, force: true });
});

async function source(kind: 'falco' | 'k8s_audit', name: string) {
  const { source } = await admin.sources.create({ environmentId, name, settings: { kind, config: {} } });
  return source;
}

describe('sources.sendTestEvent', () => {
  it('sends a Falco test alert through the collector: stored, tagged, and named in the answer', async () => {
    const falco = await source('falco', 'fleet');
    const result = await admin.sources.sendTestEvent({ sourceId: falco.id });
    expect(result).toMatchObject({ sourceId: falco.id, kind: 'falco', accepted: 1, reason: null });
    expect(result.alerts.map((a) => a.rule)).toEqual(['Peregrine test event']);
    const stored = await handle().prisma.alert.findFirstOrThrow({
      where: { id: BigInt(result.alerts[0]?.id as string) },
      select: { organizationId: true, cloudSourceId: true, tags: true },
    });
    expect(stored).toEqual({ organizationId, cloudSourceId: falco.id, tags: [TEST_EVENT_TAG] });
    const audit = await handle().prisma.auditLog.findFirstOrThrow({
      where: { action: 'source.test_event', targetId: falco.id },
    });
    expect(JSON.stringify(audit.after)).toContain(result.alerts[0]?.id);
  });

  it('says why no alert was raised: the environment has no active rules', async () => {
    const cluster = await source('k8s_audit', 'cluster');
    const result = await admin.sources.sendTestEvent({ sourceId: cluster.id });
    expect(result.accepted).toBe(1);
    expect(result.alerts).toEqual([]);
    expect(result.reason).toContain('no rules are active in this environment');
  });

  it('refuses viewers, and admins of another organisation (nothing is sent)', async () => {
    const falco = await source('falco', 'guarded');
    expect(await appCodeOf(viewer.sources.sendTestEvent({ sourceId: falco.id }))).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(intruder.sources.sendTestEvent({ sourceId: falco.id }))).toBe('NOT_FOUND');
    expect(await handle().prisma.alert.count({ where: { cloudSourceId: falco.id } })).toBe(0);
  });

  it("passes on the collector's refusal of a disabled source", async () => {
    const falco = await source('falco', 'switched-off');
    await admin.sources.update({ sourceId: falco.id, enabled: false });
    const error = await admin.sources.sendTestEvent({ sourceId: falco.id }).catch((e: unknown) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('CONFLICT');
    expect((error as Error).message).toContain('"switched-off" is disabled');
  });

  it("sends a sensor's test event for its environment, refused to viewers and other organisations", async () => {
    const sensor = await db.registerSensor(handle(), { environmentId, name: 'node-7' });
    expect(await appCodeOf(viewer.sensors.sendTestEvent({ sensorId: sensor.sensorId }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    expect(await appCodeOf(intruder.sensors.sendTestEvent({ sensorId: sensor.sensorId }))).toBe('NOT_FOUND');
    const result = await admin.sensors.sendTestEvent({ sensorId: sensor.sensorId });
    expect(result).toMatchObject({ sourceId: sensor.sensorId, kind: 'syscall', accepted: 1, alerts: [] });
    // No rule set is active in this organisation's environments.
    expect(result.reason).toContain('no rules are active in this environment');
    expect(
      await handle().prisma.auditLog.count({
        where: { action: 'sensor.test_event', targetId: sensor.sensorId },
      }),
    ).toBe(1);
  });

  it('says so when the collector does not answer', async () => {
    const falco = await source('falco', 'unreachable');
    await stopProcess(collector);
    const error = await admin.sources.sendTestEvent({ sourceId: falco.id }).catch((e: unknown) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('UNAVAILABLE');
    expect((error as Error).message).toContain(
      `The collector at ${process.env.PEREGRINE_COLLECTOR_URL} did not answer`,
    );
  });
});

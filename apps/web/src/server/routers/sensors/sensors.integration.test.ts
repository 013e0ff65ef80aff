import { exampleHeartbeat } from '@peregrine/protocol/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

process.env.PEREGRINE_COLLECTOR_URL = 'https://collector.example.test:2801/';
await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const db = await import('@peregrine/db');
const { sensorInstallCommand } = await import('../../services/sensors/register-sensor');

const handle = () => db.getDb(process.env.DATABASE_URL as string);

let admin: ReturnType<typeof createCaller>;
let viewer: ReturnType<typeof createCaller>;
let environments: { id: string; name: string }[];

beforeAll(async () => {
  const org = await createOrganization('Sensors Org');
  const adminUser = await createUser('Sensors Admin');
  const viewerUser = await createUser('Sensors Viewer');
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(org.id, viewerUser.id, 'viewer');
  admin = createCaller(contextFor(adminUser));
  viewer = createCaller(contextFor(viewerUser));
  environments = await admin.environment.list();
});

function heartbeat(sentAt: Date) {
  return exampleHeartbeat({
    sensorId: 'web-1',
    hostname: 'web-1.prod',
    kernel: '6.1.0-18-amd64',
    startedAt: new Date(sentAt.getTime() - 3_600_000).toISOString(),
    sentAt: sentAt.toISOString(),
    rulesVersion: 'v7',
    rates: { captured: 1520.5, shipped: 310.2, filtered: 1210.3 },
    totals: { captured: 5_473_800, shipped: 1_116_720, filtered: 4_357_080 },
    drops: { kernel: 12, parse: 0, queue: 3, spool: 0, rejected: 1 },
    queueDepth: 42,
  });
}

describe('sensors', () => {
  it('registers a sensor whose key the collector accepts, shown once with its install command', async () => {
    const production = environments.find((e) => e.name === 'production');
    const registered = await admin.sensors.register({
      environmentId: production?.id as string,
      name: 'web-1',
    });
    expect(registered.key).toMatch(/^prs_/);
    expect(registered.collectorUrl).toBe('https://collector.example.test:2801');
    expect(registered.installCommand).toBe(
      `sudo PEREGRINE_COLLECTOR_URL=https://collector.example.test:2801 PEREGRINE_SENSOR_KEY=${registered.key} peregrine-sensor`,
    );
    const identity = await db.findSensorByKey(handle(), registered.key);
    expect(identity).toMatchObject({
      sensorId: registered.sensorId,
      environmentId: production?.id,
      name: 'web-1',
    });
    const listed = await viewer.sensors.list({});
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      name: 'web-1',
      state: 'never_seen',
      health: null,
      keyPrefix: registered.keyPrefix,
    });
    expect(JSON.stringify(listed)).not.toContain(registered.key);
    const audit = await handle().prisma.auditLog.findFirstOrThrow({ where: { action: 'sensor.register' } });
    expect(audit.after).toEqual({
      name: 'web-1',
      environment: 'production',
      keyPrefix: registered.keyPrefix,
    });
    expect(JSON.stringify({ before: audit.before, after: audit.after })).not.toContain(registered.key);
  });

  it('shows last-seen time, version, backend, rates and drops from the latest heartbeat', async () => {
    const [sensor] = await admin.sensors.list({});
    const now = new Date();
    const beat = heartbeat(now);
    await db.recordSensorHeartbeat(handle(), sensor?.id as string, {
      hostname: beat.hostname,
      version: beat.version,
      backend: beat.backend,
      heartbeat: beat,
      seenAt: now,
    });
    const [listed] = await viewer.sensors.list({});
    expect(listed).toMatchObject({
      state: 'online',
      version: '0.1.0',
      backend: 'ebpf',
      hostname: 'web-1.prod',
      lastSeenAt: now.toISOString(),
      health: {
        kernel: '6.1.0-18-amd64',
        rates: { captured: 1520.5, shipped: 310.2, filtered: 1210.3 },
        drops: { kernel: 12, parse: 0, queue: 3, spool: 0, rejected: 1 },
        queueDepth: 42,
      },
    });
    // Restarted, its capture still starting: online, the last run's capture not shown as this one's.
    await db.recordSensorHeartbeat(handle(), sensor?.id as string, {
      hostname: beat.hostname,
      version: beat.version,
      capture: { mode: 'libbpf', eventTypes: ['execve', 'openat'] },
      heartbeat: beat,
      seenAt: now,
    });
    expect((await viewer.sensors.list({}))[0]).toMatchObject({
      state: 'online',
      capture: { mode: 'libbpf' },
    });
    await db.recordSensorHeartbeat(handle(), sensor?.id as string, {
      hostname: beat.hostname,
      version: beat.version,
      heartbeat: { ...beat, phase: 'starting' },
      seenAt: now,
    });
    expect((await viewer.sensors.list({}))[0]).toMatchObject({
      state: 'starting',
      capture: null,
      backend: 'ebpf',
    });
    expect(await viewer.sensors.getCoverage({ environment: null })).toMatchObject({ online: 1, kernel: 0 });
    // Its capture could not start: shown as failed, with why, until a heartbeat says otherwise.
    await db.recordSensorHeartbeat(handle(), sensor?.id as string, {
      hostname: beat.hostname,
      version: beat.version,
      heartbeat: { ...beat, phase: 'failed', error: 'capture could not start: the kernel has no BTF' },
      seenAt: new Date(now.getTime() - 10 * 60_000),
    });
    expect((await viewer.sensors.list({}))[0]).toMatchObject({
      state: 'failed',
      capture: null,
      captureError: 'capture could not start: the kernel has no BTF',
    });
    expect(await viewer.sensors.getCoverage({ environment: null })).toMatchObject({ online: 0, kernel: 0 });
    const old = new Date(now.getTime() - 10 * 60_000);
    await db.recordSensorHeartbeat(handle(), sensor?.id as string, {
      hostname: beat.hostname,
      version: beat.version,
      backend: beat.backend,
      heartbeat: heartbeat(old),
      seenAt: old,
    });
    expect((await viewer.sensors.list({}))[0]?.state).toBe('stale');
  });

  it('filters by environment and refuses duplicate names in one environment', async () => {
    const staging = environments.find((e) => e.name === 'staging')?.id as string;
    expect(await viewer.sensors.list({ environmentId: staging })).toEqual([]);
    await admin.sensors.register({ environmentId: staging, name: 'web-1' });
    expect(await appCodeOf(admin.sensors.register({ environmentId: staging, name: 'web-1' }))).toBe(
      'CONFLICT',
    );
    await expect(admin.sensors.register({ environmentId: staging, name: 'bad name' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('revokes a sensor: the collector refuses its key', async () => {
    const production = environments.find((e) => e.name === 'production')?.id as string;
    const registered = await admin.sensors.register({ environmentId: production, name: 'db-1' });
    const revoked = await admin.sensors.revoke({ sensorId: registered.sensorId });
    expect(revoked.state).toBe('revoked');
    expect(await db.findSensorByKey(handle(), registered.key)).toBeNull();
    const again = await admin.sensors.revoke({ sensorId: registered.sensorId });
    expect(again.revokedAt).toBe(revoked.revokedAt);
    expect(
      await handle().prisma.auditLog.count({
        where: { action: 'sensor.revoke', targetId: registered.sensorId },
      }),
    ).toBe(1);
  });

  it('quotes install-command values that a shell would otherwise interpret', () => {
    expect(sensorInstallCommand("http://x/$(id)'", 'prs_k')).toBe(
      `sudo PEREGRINE_COLLECTOR_URL='http://x/$(id)'"'"'' PEREGRINE_SENSOR_KEY=prs_k peregrine-sensor`,
    );
  });

  it('reports capture coverage: a /proc sensor alone is reduced, one eBPF sensor makes it whole', async () => {
    const [staging] = environments;
    const { sensorId: procId } = await admin.sensors.register({
      environmentId: staging?.id as string,
      name: 'procfs-1',
    });
    const now = new Date();
    const procBeat = {
      ...heartbeat(now),
      backend: 'procfs' as const,
      capture: {
        mode: 'procfs' as const,
        eventTypes: ['execve', 'procexit'],
        reason: 'bpftrace: not installed',
      },
    };
    // Only this sensor reports now (the one above was left stale).
    await db.recordSensorHeartbeat(handle(), procId, {
      hostname: 'laptop',
      version: '0.1.0',
      backend: 'procfs',
      capture: procBeat.capture,
      heartbeat: procBeat,
      seenAt: now,
    });
    const listed = (await viewer.sensors.list({})).find((s) => s.id === procId);
    expect(listed?.capture).toEqual({
      mode: 'procfs',
      eventTypes: ['execve', 'procexit'],
      reduced: true,
      reason: 'bpftrace: not installed',
      // A sensor that did not say what the rules need and it lacks.
      uncaptured: null,
    });
    const reduced = await viewer.sensors.getCoverage({ environment: null });
    expect(reduced).toMatchObject({
      online: 1,
      kernel: 0,
      reduced: [{ name: 'procfs-1', reason: 'bpftrace: not installed' }],
    });
    expect(reduced.fullCoverage.command).toBe('sudo apt-get install bpftrace');
    expect(await viewer.sensors.getCoverage({ environment: 'production' })).toMatchObject({ online: 0 });

    const { sensorId: kernelId } = await admin.sensors.register({
      environmentId: staging?.id as string,
      name: 'ebpf-1',
    });
    const beat = {
      ...heartbeat(now),
      capture: {
        mode: 'bpftrace' as const,
        eventTypes: ['execve', 'openat', 'procexit'],
        // The rules also ask for these: the console names them.
        uncaptured: ['finit_module', 'setns'],
      },
    };
    await db.recordSensorHeartbeat(handle(), kernelId, {
      hostname: 'server',
      version: '0.1.0',
      backend: 'ebpf',
      capture: beat.capture,
      heartbeat: beat,
      seenAt: now,
    });
    const mixed = await viewer.sensors.getCoverage({ environment: null });
    expect(mixed).toMatchObject({ online: 2, kernel: 1 });
    expect(mixed.uncaptured).toEqual([
      { name: 'ebpf-1', hostname: 'server', mode: 'bpftrace', eventTypes: ['finit_module', 'setns'] },
    ]);
    expect((await viewer.sensors.list({})).find((s) => s.id === kernelId)?.capture?.uncaptured).toEqual([
      'finit_module',
      'setns',
    ]);
    await admin.sensors.revoke({ sensorId: procId });
    await admin.sensors.revoke({ sensorId: kernelId });
  });
});

describe('recordings', () => {
  it('starts one for an online sensor (admins), lists it for members, and refuses clearly otherwise', async () => {
    const staging = environments.find((e) => e.name === 'staging');
    const registered = await admin.sensors.register({ environmentId: staging?.id as string, name: 'rec-1' });
    // Never seen: offline.
    const offline = admin.sensors.requestRecording({ sensorId: registered.sensorId, seconds: 60 });
    expect(await appCodeOf(offline)).toBe('CONFLICT');
    await expect(offline).rejects.toThrow('Sensor rec-1 is offline (never seen)');
    await db.recordSensorHeartbeat(handle(), registered.sensorId, {
      hostname: 'rec-1',
      version: '0.1.0',
      backend: 'ebpf',
      heartbeat: heartbeat(new Date()),
    });
    expect(await appCodeOf(viewer.sensors.requestRecording({ sensorId: registered.sensorId }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    // Bounded: at most 10 minutes.
    await expect(
      admin.sensors.requestRecording({ sensorId: registered.sensorId, seconds: 601 }),
    ).rejects.toThrow(/expected number to be <=600/);
    const requested = await admin.sensors.requestRecording({ sensorId: registered.sensorId, seconds: 30 });
    expect(requested).toMatchObject({
      sensorName: 'rec-1',
      seconds: 30,
      maxBytes: 64 * 1024 * 1024,
      status: 'requested',
      requestedByName: 'Sensors Admin',
    });
    const again = admin.sensors.requestRecording({ sensorId: registered.sensorId, seconds: 30 });
    await expect(again).rejects.toThrow('Sensor rec-1 already has a recording requested');
    const listed = await viewer.sensors.listRecordings({ sensorId: registered.sensorId });
    expect(listed.map((r) => [r.id, r.status])).toEqual([[requested.id, 'requested']]);
    const audit = await handle().prisma.auditLog.findFirstOrThrow({
      where: { action: 'sensor.recording.request', targetId: registered.sensorId },
    });
    expect(audit.after).toMatchObject({ recordingId: requested.id, seconds: 30 });
    // Never stuck: a request no heartbeat picks up within 5 minutes fails, and so does a recording
    // not uploaded 5 minutes past its length.
    expect(await db.expireSensorRecordings(handle(), new Date(Date.now() + 4 * 60_000))).toBe(0);
    expect(await db.expireSensorRecordings(handle(), new Date(Date.now() + 6 * 60_000))).toBe(1);
    expect(
      await handle().prisma.sensorRecording.findUniqueOrThrow({ where: { id: requested.id } }),
    ).toMatchObject({
      status: 'failed',
      error: 'the sensor did not pick up the request within 5 minutes (offline?)',
    });
    const started = new Date();
    const late = await handle().prisma.sensorRecording.create({
      data: {
        organizationId: (
          await handle().prisma.sensor.findUniqueOrThrow({ where: { id: registered.sensorId } })
        ).organizationId,
        sensorId: registered.sensorId,
        seconds: 30,
        maxBytes: 1024,
        status: 'uploading',
        startedAt: started,
        sensorStartedAt: 'x',
      },
    });
    expect(
      await db.expireSensorRecordings(handle(), new Date(started.getTime() + (30 + 4 * 60) * 1000)),
    ).toBe(0);
    expect(
      await db.expireSensorRecordings(handle(), new Date(started.getTime() + (30 + 6 * 60) * 1000)),
    ).toBe(1);
    expect(await handle().prisma.sensorRecording.findUniqueOrThrow({ where: { id: late.id } })).toMatchObject(
      {
        status: 'failed',
        error: 'the sensor stopped reporting before the recording was uploaded',
      },
    );
    // A revoked sensor cannot record.
    await admin.sensors.revoke({ sensorId: registered.sensorId });
    await expect(admin.sensors.requestRecording({ sensorId: registered.sensorId })).rejects.toThrow(
      'Sensor rec-1 is revoked',
    );
  });
});

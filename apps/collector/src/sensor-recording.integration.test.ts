/**
 * "Record 60 s" end to end on the real kernel (docs/SCAP.md): a recording requested the way the
 * console requests it reaches the real `peregrine-sensor` through the real collector's heartbeat
 * answer; the sensor records while it keeps shipping, uploads the gzip capture in chunks, and the
 * collector stores it in Postgres. The stored file, streamed as the console's download streams it,
 * must read with Debian's sysdig (`sysdig -r`) and with the engine's reader. Also: a sensor
 * offline, a sensor restarting mid-recording, and an upload over the bound. Needs root (eBPF) and
 * sysdig; skipped otherwise, saying why.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  createDb,
  type Db,
  DbError,
  openSensorRecordingDownload,
  registerSensor,
  requestSensorRecording,
} from '@peregrine/db';
import { createMigratedTestDatabase, reservePort } from '@peregrine/db/testing';
import { builtinSources, compileOutput, readScap, renderOutput, scapSyscallEvents } from '@peregrine/engine';
import { SENSOR_API_PATHS } from '@peregrine/protocol';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { seedDemoOrganization } from './bootstrap/seed-demo.js';
import { type CollectorProcess, ensureBuilt, startCollectorProcess } from './testing/processes.js';
import { exampleHeartbeat } from '@peregrine/protocol/testing';

const SENSOR_CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/sensor/dist/cli.js');
const SECRET = 'sensor-recording-secret-0123456789abcdef';

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const SYSDIG = which('sysdig');
const skipReason =
  process.getuid?.() !== 0
    ? 'needs root (eBPF)'
    : !SYSDIG
      ? "needs Debian's sysdig"
      : !existsSync(SENSOR_CLI)
        ? 'needs the built sensor (npm run build -w packages/sensor)'
        : undefined;
if (skipReason) console.warn(`sensor recording test skipped: ${skipReason}`);

const ADMIN = { userId: null };

describe.skipIf(skipReason !== undefined)('recordings from the console on the real kernel', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  let collector: CollectorProcess;
  let work: string;
  let organizationId: string;
  let environmentId: string;
  let sensorKey: { sensorId: string; apiKey: string };
  let sensor: ChildProcess | undefined;
  let sensorLog = '';

  /** Starts the real sensor (heartbeat every second, so orders arrive quickly). */
  async function startSensor(): Promise<void> {
    sensorLog = '';
    const child = spawn(process.execPath, [SENSOR_CLI], {
      env: {
        ...process.env,
        PEREGRINE_COLLECTOR_URL: collector.url,
        PEREGRINE_SENSOR_KEY: sensorKey.apiKey,
        PEREGRINE_SENSOR_ID: sensorKey.sensorId,
        PEREGRINE_BACKEND: 'ebpf',
        PEREGRINE_SPOOL_DIR: join(work, 'spool'),
        PEREGRINE_FLUSH_INTERVAL_MS: '200',
        PEREGRINE_HEARTBEAT_INTERVAL_S: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sensor = child;
    child.stdout!.on('data', (c: Buffer) => {
      sensorLog += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      sensorLog += c.toString();
    });
    await vi.waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`sensor exited ${child.exitCode}:\n${sensorLog}`);
        expect(sensorLog, 'the sensor to start capturing').toMatch(
          /container metadata from|no container runtime socket found/,
        );
        // Online for the console: a heartbeat stored.
        const row = await db.prisma.sensor.findUniqueOrThrow({ where: { id: sensorKey.sensorId } });
        expect(row.lastSeenAt).not.toBeNull();
      },
      { timeout: 60_000, interval: 200 },
    );
  }

  async function stopSensor(signal: NodeJS.Signals): Promise<void> {
    const child = sensor;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  const recording = (id: string) => db.prisma.sensorRecording.findUniqueOrThrow({ where: { id } });

  beforeAll(async () => {
    ensureBuilt();
    handle = await createMigratedTestDatabase('sensor_recording');
    db = createDb(handle.url, { max: 3 });
    const seeded = await seedDemoOrganization(db);
    organizationId = seeded.organizationId;
    environmentId = seeded.environments.staging!;
    sensorKey = await registerSensor(db, { environmentId, name: 'rec-node' });
    work = await mkdtemp(join(tmpdir(), 'peregrine-recording-'));
    collector = await startCollectorProcess({
      DATABASE_URL: handle.url,
      PEREGRINE_SECRET_KEY: SECRET,
      COLLECTOR_PORT: String(await reservePort()),
      RULES_POLL_MS: '500',
    });
    await startSensor();
  }, 120_000);

  afterAll(async () => {
    await stopSensor('SIGTERM');
    await collector?.stop();
    await db?.close();
    await handle?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('records while shipping, uploads, and stores a capture sysdig and the engine read', async () => {
    // Short: a process name is its comm, which the kernel cuts at 15 characters.
    const marker = `prec${randomBytes(4).toString('hex')}`;
    const binary = join(work, marker);
    copyFileSync('/bin/cat', binary);
    const markerFile = join(work, `${marker}.txt`);
    writeFileSync(markerFile, 'recorded\n');
    // The marker binary reads its file and /etc/shadow five times a second from before the
    // recording starts until it is ready: in the capture (some reads fall inside its window however
    // late this test sees it start), and (shipping goes on) alerts from the rules.
    const markerLoop = spawn(
      'sh',
      ['-c', `while :; do ${binary} ${markerFile} /etc/shadow > /dev/null; sleep 0.2; done`],
      { stdio: 'ignore' },
    );
    onTestFinished(() => {
      markerLoop.kill();
    });
    const requested = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: sensorKey.sensorId,
        seconds: 4,
        maxBytes: 64 * 1024 * 1024,
        requestedBy: { id: null, name: 'test' },
      },
      ADMIN,
    );
    expect(requested.status).toBe('requested');
    // Recording for real once the sensor reports events written to it (the capture restarted to
    // trace every event type, then the heartbeat carried the progress).
    await vi.waitFor(
      async () => {
        const row = await recording(requested.id);
        expect(row.status, sensorLog).toBe('recording');
        expect(row.events).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi
      .waitFor(
        async () => {
          const row = await recording(requested.id);
          if (row.status === 'failed') throw new Error(`failed: ${row.error}\n${sensorLog}`);
          expect(row.status).toBe('ready');
        },
        { timeout: 60_000, interval: 250 },
      )
      .finally(() => markerLoop.kill());
    const shipped = await vi.waitFor(
      async () => {
        const found = await db.prisma.alert.findFirst({
          where: { rule: 'Sensitive File Opened for Reading', output: { contains: marker } },
        });
        expect(found, 'an alert shipped while recording').not.toBeNull();
        return found!;
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(shipped.output).toContain('/etc/shadow');

    // The download, as the console's route streams it (members; audited).
    const { recording: item, chunks } = await openSensorRecordingDownload(
      db,
      { organizationId, recordingId: requested.id },
      { userId: null },
    );
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks()) parts.push(chunk);
    const file = Buffer.concat(parts);
    expect(file.length).toBe(item.bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(item.sha256);
    expect(item.events).toBeGreaterThan(0);
    expect(file[0]).toBe(0x1f); // gzip
    const path = join(work, `${marker}.scap.gz`);
    writeFileSync(path, file);
    expect(
      await db.prisma.auditLog.count({ where: { organizationId, action: 'sensor.recording.download' } }),
    ).toBe(1);
    expect(
      await db.prisma.auditLog.count({ where: { organizationId, action: 'sensor.recording.request' } }),
    ).toBeGreaterThanOrEqual(1);

    // sysdig 0.29 reads the file and sees the marker binary open its file.
    const sysdig = execFileSync(SYSDIG!, ['-r', path, '-p', '%proc.name %fd.name', `proc.name=${marker}`], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(sysdig).toContain(`${marker} ${markerFile}`);
    expect(sysdig).toContain(`${marker} /etc/shadow`);
    // So does the engine's reader.
    const syscall = builtinSources().find((s) => s.name === 'syscall')!;
    const parts2 = compileOutput('%proc.name %fd.name', syscall);
    const lines = new Set<string>();
    for (const e of scapSyscallEvents(readScap(gunzipSync(file)))) {
      if (e.proc.name === marker) lines.add(renderOutput(parts2, e));
    }
    expect(lines).toContain(`${marker} ${markerFile}`);
    expect(lines).toContain(`${marker} /etc/shadow`);
    // The temporary file is gone from the sensor's disk.
    expect(existsSync(join(work, 'spool', 'recordings', `${requested.id}.scap.gz`))).toBe(false);
  }, 150_000);

  it('refuses a sensor that is offline, clearly', async () => {
    const silent = await registerSensor(db, { environmentId, name: 'silent-node' });
    const refused = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: silent.sensorId,
        seconds: 60,
        maxBytes: 1024 * 1024,
        requestedBy: { id: null, name: 't' },
      },
      ADMIN,
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DbError);
    expect((refused as DbError).code).toBe('CONFLICT');
    expect((refused as DbError).message).toMatch(/silent-node is offline \(never seen\)/);
    expect(await db.prisma.sensorRecording.count({ where: { sensorId: silent.sensorId } })).toBe(0);
  });

  it('fails a recording the sensor restarted in the middle of, and records again after', async () => {
    const requested = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: sensorKey.sensorId,
        seconds: 60,
        maxBytes: 64 * 1024 * 1024,
        requestedBy: { id: null, name: 't' },
      },
      ADMIN,
    );
    await vi.waitFor(
      async () => {
        const row = await recording(requested.id);
        expect(row.status).toBe('recording');
        expect(row.events).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    // A crash: no chance to report anything. The restarted sensor's heartbeat names another start.
    await stopSensor('SIGKILL');
    await startSensor();
    const failed = await vi.waitFor(
      async () => {
        const row = await recording(requested.id);
        expect(row.status).toBe('failed');
        return row;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(failed.error).toMatch(/the sensor restarted .* during the recording/);
    expect(await db.prisma.sensorRecordingChunk.count({ where: { recordingId: requested.id } })).toBe(0);
    // Not stuck: the sensor takes the next one.
    const next = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: sensorKey.sensorId,
        seconds: 2,
        maxBytes: 64 * 1024 * 1024,
        requestedBy: { id: null, name: 't' },
      },
      ADMIN,
    );
    await vi.waitFor(
      async () => {
        const row = await recording(next.id);
        if (row.status === 'failed') throw new Error(`failed: ${row.error}`);
        expect(row.status).toBe('ready');
      },
      { timeout: 60_000, interval: 250 },
    );
  }, 150_000);

  it('fails a recording the sensor was stopped in the middle of, with the reason it sent', async () => {
    const requested = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: sensorKey.sensorId,
        seconds: 60,
        maxBytes: 64 * 1024 * 1024,
        requestedBy: { id: null, name: 't' },
      },
      ADMIN,
    );
    await vi.waitFor(
      async () => {
        const row = await recording(requested.id);
        expect(row.status).toBe('recording');
        expect(row.events).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    await stopSensor('SIGTERM');
    const row = await recording(requested.id);
    expect(row.status).toBe('failed');
    expect(row.error).toBe('the sensor stopped during the recording');
    expect(existsSync(join(work, 'spool', 'recordings', `${requested.id}.scap.gz`))).toBe(false);
    await startSensor();
  }, 120_000);

  it('refuses an upload over the bound (413) and fails the recording with the reason', async () => {
    // A sensor key driven by hand, so the upload can be made too big on purpose.
    const manual = await registerSensor(db, { environmentId, name: 'manual-node' });
    const call = (path: string, init: RequestInit, type = 'application/json') =>
      fetch(new URL(path, collector.url), {
        ...init,
        headers: { authorization: `Bearer ${manual.apiKey}`, 'content-type': type },
      });
    const startedAt = new Date().toISOString();
    const heartbeat = (phase?: 'starting') =>
      call(SENSOR_API_PATHS.heartbeat, {
        method: 'POST',
        body: JSON.stringify(
          exampleHeartbeat({
            sensorId: manual.sensorId,
            version: 'test',
            ...(phase ? { phase } : {}),
            hostname: 'manual',
            kernel: 'test',
            startedAt,
            sentAt: new Date().toISOString(),
          }),
        ),
      }).then(async (r) => {
        expect(r.status, await r.clone().text()).toBe(200);
        return r.json() as Promise<{ recording?: { id: string; maxBytes: number } }>;
      });
    expect((await heartbeat()).recording).toBeUndefined();
    const requested = await requestSensorRecording(
      db,
      {
        organizationId,
        sensorId: manual.sensorId,
        seconds: 10,
        maxBytes: 1024 * 1024,
        requestedBy: { id: null, name: 't' },
      },
      ADMIN,
    );
    // Not to a sensor whose capture is still starting: it could not record yet.
    expect((await heartbeat('starting')).recording).toBeUndefined();
    const order = (await heartbeat()).recording;
    expect(order).toMatchObject({ id: requested.id, seconds: 10, maxBytes: 1024 * 1024 });
    const chunk = (offset: number, bytes: number, key = manual.apiKey) =>
      fetch(
        new URL(
          SENSOR_API_PATHS.recordingChunk.replace(':id', requested.id).replace(':offset', String(offset)),
          collector.url,
        ),
        {
          method: 'PUT',
          body: randomBytes(bytes),
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
        },
      );
    // Another sensor's key cannot touch it.
    expect((await chunk(0, 1000, sensorKey.apiKey)).status).toBe(404);
    expect((await chunk(0, 700 * 1024)).status).toBe(200);
    // Out of order is refused, not stored.
    expect((await chunk(5, 10)).status).toBe(409);
    const tooBig = await chunk(700 * 1024, 700 * 1024);
    expect(tooBig.status).toBe(413);
    const body = (await tooBig.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BODY_TOO_LARGE');
    expect(body.error.message).toMatch(/upload too big: more than 1048576 bytes/);
    const row = await recording(requested.id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/upload too big/);
    expect(await db.prisma.sensorRecordingChunk.count({ where: { recordingId: requested.id } })).toBe(0);
    // Nothing more is taken for it.
    expect((await chunk(0, 10)).status).toBe(409);
  });

  it('fails an upload whose checksum does not match what was stored', async () => {
    const manual = await db.prisma.sensor.findFirstOrThrow({ where: { name: 'manual-node' } });
    const requested = await db.prisma.sensorRecording.create({
      data: {
        organizationId,
        sensorId: manual.id,
        seconds: 5,
        maxBytes: 1024,
        status: 'recording',
        startedAt: new Date(),
        sensorStartedAt: 'x',
      },
    });
    const { storeSensorRecordingChunk, completeSensorRecording } = await import('@peregrine/db');
    await storeSensorRecordingChunk(db, manual.id, requested.id, 0, Buffer.from('abc'));
    const wrong = await completeSensorRecording(db, manual.id, requested.id, {
      bytes: 3,
      sha256: createHash('sha256').update('abd').digest('hex'),
      events: 1,
      dropped: 0,
      captureBytes: 3,
    }).catch((error: unknown) => error);
    expect((wrong as DbError).code).toBe('INVALID');
    const row = await recording(requested.id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/upload damaged/);
  });
});

import { createHash } from 'node:crypto';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';

/** Where a recording is: asked for, being recorded, being uploaded, stored, or given up. */
export type SensorRecordingStatus = 'requested' | 'recording' | 'uploading' | 'ready' | 'failed';

/** A recording as the console lists it (never its bytes). */
export interface SensorRecordingItem {
  id: string;
  sensorId: string;
  sensorName: string;
  seconds: number;
  maxBytes: number;
  status: SensorRecordingStatus;
  error: string | null;
  requestedByName: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  events: number;
  captureBytes: number;
  uploadedBytes: number;
  /** Size of the stored gzip file, once ready. */
  bytes: number | null;
  sha256: string | null;
  dropped: number;
  note: string | null;
}

/** A sensor not heard from for this long is offline: a recording cannot be handed to it. */
export const SENSOR_OFFLINE_AFTER_MS = 2 * 60_000;
/** A request no heartbeat picked up within this is failed (the sensor went away). */
const PICKUP_TIMEOUT_MS = 5 * 60_000;
/** Time beyond a recording's duration for the sensor to finish and upload before it is failed. */
const FINISH_GRACE_MS = 5 * 60_000;

const ACTIVE = ['requested', 'recording', 'uploading'] as const;
const IN_PROGRESS = ['recording', 'uploading'] as const;

const SELECT = {
  id: true,
  sensorId: true,
  seconds: true,
  maxBytes: true,
  status: true,
  error: true,
  requestedByName: true,
  requestedAt: true,
  startedAt: true,
  finishedAt: true,
  events: true,
  captureBytes: true,
  uploadedBytes: true,
  bytes: true,
  sha256: true,
  dropped: true,
  note: true,
  sensor: { select: { name: true } },
} as const;

type Row = {
  id: string;
  sensorId: string;
  seconds: number;
  maxBytes: number;
  status: SensorRecordingStatus;
  error: string | null;
  requestedByName: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  events: number;
  captureBytes: bigint;
  uploadedBytes: bigint;
  bytes: bigint | null;
  sha256: string | null;
  dropped: number;
  note: string | null;
  sensor: { name: string };
};

function toItem(row: Row): SensorRecordingItem {
  const { sensor, captureBytes, uploadedBytes, bytes, ...rest } = row;
  return {
    ...rest,
    sensorName: sensor.name,
    captureBytes: Number(captureBytes),
    uploadedBytes: Number(uploadedBytes),
    bytes: bytes === null ? null : Number(bytes),
  };
}

/**
 * Fails the recordings that can no longer finish: requested but never picked up, or still
 * recording/uploading well past their time (the sensor went away mid-way).
 */
export async function expireSensorRecordings(db: Db, now: Date = new Date()): Promise<number> {
  const pickup = await db.prisma.sensorRecording.updateMany({
    where: { status: 'requested', requestedAt: { lt: new Date(now.getTime() - PICKUP_TIMEOUT_MS) } },
    data: {
      status: 'failed',
      finishedAt: now,
      error: `the sensor did not pick up the request within ${PICKUP_TIMEOUT_MS / 60_000} minutes (offline?)`,
    },
  });
  // Per row: the deadline depends on each recording's duration.
  const late = await db.prisma.$executeRaw`
    UPDATE "sensor_recordings"
       SET "status" = 'failed', "finishedAt" = ${now},
           "error" = 'the sensor stopped reporting before the recording was uploaded'
     WHERE "status" IN ('recording', 'uploading')
       AND "startedAt" + make_interval(secs => "seconds") + ${`${FINISH_GRACE_MS / 1000} seconds`}::interval < ${now}`;
  return pickup.count + late;
}

/**
 * An admin asks a sensor of the organisation for a recording. Refused when the sensor is unknown
 * (NOT_FOUND), revoked, offline or already busy with one (CONFLICT, the message says which).
 * Audited as `sensor.recording.request`.
 */
export async function requestSensorRecording(
  db: Db,
  input: {
    organizationId: string;
    sensorId: string;
    seconds: number;
    maxBytes: number;
    requestedBy: { id: string | null; name: string | null };
  },
  actor: Actor,
  now: Date = new Date(),
): Promise<SensorRecordingItem> {
  await expireSensorRecordings(db, now);
  return db.prisma.$transaction(async (tx) => {
    // Serialises requests for one sensor, so two admins clicking at once cannot both start one.
    const sensors = await tx.$queryRaw<
      { id: string; name: string; revokedAt: Date | null; lastSeenAt: Date | null }[]
    >`
      SELECT "id", "name", "revokedAt", "lastSeenAt" FROM "sensors"
       WHERE "id" = ${input.sensorId}::uuid AND "organizationId" = ${input.organizationId}::uuid
       FOR UPDATE`;
    const sensor = sensors[0];
    if (!sensor) throw new DbError('NOT_FOUND', 'sensor not found');
    if (sensor.revokedAt)
      throw new DbError('CONFLICT', `Sensor ${sensor.name} is revoked: it cannot record.`);
    if (!sensor.lastSeenAt || now.getTime() - sensor.lastSeenAt.getTime() > SENSOR_OFFLINE_AFTER_MS) {
      const seen = sensor.lastSeenAt ? `last seen ${sensor.lastSeenAt.toISOString()}` : 'never seen';
      throw new DbError(
        'CONFLICT',
        `Sensor ${sensor.name} is offline (${seen}): a recording can only be started on a sensor that is running.`,
      );
    }
    const busy = await tx.sensorRecording.findFirst({
      where: { sensorId: sensor.id, status: { in: [...ACTIVE] } },
      select: { status: true },
    });
    if (busy)
      throw new DbError(
        'CONFLICT',
        `Sensor ${sensor.name} already has a recording ${busy.status === 'requested' ? 'requested' : 'in progress'}: wait for it to finish.`,
      );
    const row = await tx.sensorRecording.create({
      data: {
        organizationId: input.organizationId,
        sensorId: sensor.id,
        seconds: input.seconds,
        maxBytes: input.maxBytes,
        requestedById: input.requestedBy.id,
        requestedByName: input.requestedBy.name,
        requestedAt: now,
      },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'sensor.recording.request',
      targetType: 'sensor',
      targetId: sensor.id,
      after: { recordingId: row.id, sensor: sensor.name, seconds: input.seconds, maxBytes: input.maxBytes },
    });
    return toItem(row as Row);
  });
}

/** The organisation's recordings (of one sensor, or all), newest first, at most `limit`. */
export async function listSensorRecordings(
  db: Db,
  organizationId: string,
  options: { sensorId?: string; limit?: number } = {},
  now: Date = new Date(),
): Promise<SensorRecordingItem[]> {
  await expireSensorRecordings(db, now);
  const rows = await db.prisma.sensorRecording.findMany({
    where: { organizationId, ...(options.sensorId ? { sensorId: options.sensorId } : {}) },
    orderBy: { requestedAt: 'desc' },
    take: options.limit ?? 50,
    select: SELECT,
  });
  return rows.map((row) => toItem(row as Row));
}

/**
 * A ready recording of the organisation for download: its metadata and its bytes as chunks read
 * one at a time (never the whole file in memory). Audited as `sensor.recording.download`.
 */
export async function openSensorRecordingDownload(
  db: Db,
  input: { organizationId: string; recordingId: string },
  actor: Actor,
): Promise<{ recording: SensorRecordingItem; chunks: () => AsyncGenerator<Uint8Array> }> {
  const row = await db.prisma.sensorRecording.findFirst({
    where: { id: input.recordingId, organizationId: input.organizationId },
    select: SELECT,
  });
  if (!row) throw new DbError('NOT_FOUND', 'recording not found');
  if (row.status !== 'ready')
    throw new DbError('CONFLICT', `This recording is ${row.status}, not ready to download.`);
  await recordAudit(db.prisma, actor, {
    organizationId: input.organizationId,
    action: 'sensor.recording.download',
    targetType: 'sensor_recording',
    targetId: row.id,
    after: { sensor: row.sensor.name, bytes: Number(row.bytes), sha256: row.sha256 },
  });
  return { recording: toItem(row as Row), chunks: () => recordingChunks(db, row.id) };
}

/** The stored chunks of a recording in order, one query per chunk. */
async function* recordingChunks(db: Db, recordingId: string): AsyncGenerator<Uint8Array> {
  let offset = -1n;
  for (;;) {
    const chunk = await db.prisma.sensorRecordingChunk.findFirst({
      where: { recordingId, offset: { gt: offset } },
      orderBy: { offset: 'asc' },
      select: { offset: true, data: true },
    });
    if (!chunk) return;
    offset = chunk.offset;
    yield chunk.data;
  }
}

// ---- the collector's side (the sensor API) ----

/** What a sensor's heartbeat says about recordings. */
export interface RecordingHeartbeat {
  /** The sensor process's start time (a different one means it restarted). */
  startedAt: string;
  recording?: { id: string; state: 'recording' | 'uploading'; events: number; bytes: number };
  /** The sensor's capture is not running (starting, or failed): no order is handed out. */
  notCapturing?: boolean;
}

/** A recording order for a sensor. */
export interface RecordingOrder {
  id: string;
  seconds: number;
  maxBytes: number;
}

/**
 * On a sensor's heartbeat: fails its recordings a restart interrupted, stores the progress it
 * reports, and hands it its oldest requested recording when it is making none and its capture
 * runs (marked `recording`). Returns the order to put in the heartbeat answer, if any.
 */
export async function sensorRecordingHeartbeat(
  db: Db,
  sensorId: string,
  hb: RecordingHeartbeat,
  now: Date = new Date(),
): Promise<RecordingOrder | undefined> {
  await db.prisma.sensorRecording.updateMany({
    where: { sensorId, status: { in: [...IN_PROGRESS] }, sensorStartedAt: { not: hb.startedAt } },
    data: {
      status: 'failed',
      finishedAt: now,
      error: `the sensor restarted (now running since ${hb.startedAt}) during the recording`,
    },
  });
  if (hb.recording) {
    await db.prisma.sensorRecording.updateMany({
      where: { id: hb.recording.id, sensorId, status: { in: [...IN_PROGRESS] } },
      data: {
        events: hb.recording.events,
        captureBytes: BigInt(hb.recording.bytes),
        ...(hb.recording.state === 'uploading' ? { status: 'uploading' } : {}),
      },
    });
  }
  const busy = await db.prisma.sensorRecording.findFirst({
    where: { sensorId, status: { in: [...IN_PROGRESS] } },
    select: { id: true },
  });
  if (busy || hb.notCapturing) return undefined;
  const next = await db.prisma.sensorRecording.findFirst({
    where: { sensorId, status: 'requested' },
    orderBy: { requestedAt: 'asc' },
    select: { id: true, seconds: true, maxBytes: true },
  });
  if (!next) return undefined;
  // Conditional, so two collectors answering heartbeats of one sensor hand it over once.
  const taken = await db.prisma.sensorRecording.updateMany({
    where: { id: next.id, status: 'requested' },
    data: { status: 'recording', startedAt: now, sensorStartedAt: hb.startedAt },
  });
  return taken.count === 1 ? next : undefined;
}

/** The recording a sensor API call names, if it is the sensor's own and may still change. */
async function ownRecording(db: Db, sensorId: string, recordingId: string) {
  const row = await db.prisma.sensorRecording.findFirst({
    where: { id: recordingId, sensorId },
    select: { id: true, status: true, maxBytes: true, uploadedBytes: true },
  });
  if (!row) throw new DbError('NOT_FOUND', 'no such recording for this sensor');
  if (row.status !== 'recording' && row.status !== 'uploading')
    throw new DbError('CONFLICT', `the recording is ${row.status}`);
  return row;
}

/** Fails a recording (the sensor's own report, or the collector refusing its upload). */
export async function failSensorRecording(
  db: Db,
  sensorId: string,
  recordingId: string,
  reason: string,
  now: Date = new Date(),
): Promise<void> {
  await ownRecording(db, sensorId, recordingId);
  await db.prisma.sensorRecording.updateMany({
    where: { id: recordingId, sensorId, status: { in: [...IN_PROGRESS] } },
    data: { status: 'failed', error: reason.slice(0, 1000), finishedAt: now },
  });
  // The partial upload is of no use to anyone.
  await db.prisma.sensorRecordingChunk.deleteMany({ where: { recordingId } });
}

/**
 * Stores one chunk of a recording's upload at `offset`, which must be where the upload stands
 * (a chunk already stored at that offset with the same length is acknowledged again). A chunk
 * past the recording's bound fails it: INVALID with `tooLarge`.
 */
export async function storeSensorRecordingChunk(
  db: Db,
  sensorId: string,
  recordingId: string,
  offset: number,
  data: Uint8Array,
): Promise<{ uploadedBytes: number }> {
  const row = await ownRecording(db, sensorId, recordingId);
  const end = offset + data.length;
  if (end > row.maxBytes) {
    const reason = `upload too big: more than ${row.maxBytes} bytes (the recording's bound)`;
    await failSensorRecording(db, sensorId, recordingId, reason);
    throw new RecordingTooLargeError(reason);
  }
  const uploaded = Number(row.uploadedBytes);
  if (offset < uploaded) {
    const stored = await db.prisma.sensorRecordingChunk.findUnique({
      where: { recordingId_offset: { recordingId, offset: BigInt(offset) } },
      select: { data: true },
    });
    if (stored && stored.data.length === data.length) return { uploadedBytes: uploaded };
    throw new DbError('CONFLICT', `the upload stands at byte ${uploaded}, not ${offset}`);
  }
  if (offset !== uploaded)
    throw new DbError('CONFLICT', `the upload stands at byte ${uploaded}, not ${offset}`);
  return db.prisma.$transaction(async (tx) => {
    await tx.sensorRecordingChunk.create({
      data: { recordingId, offset: BigInt(offset), data: new Uint8Array(data) },
    });
    const updated = await tx.sensorRecording.update({
      where: { id: recordingId },
      data: { uploadedBytes: BigInt(end), status: 'uploading' },
      select: { uploadedBytes: true },
    });
    return { uploadedBytes: Number(updated.uploadedBytes) };
  });
}

/** A recording's upload went past its bound. */
export class RecordingTooLargeError extends DbError {
  constructor(message: string) {
    super('INVALID', message);
    this.name = 'RecordingTooLargeError';
  }
}

/**
 * Completes an upload: the stored bytes must be the size and SHA-256 the sensor reports, else
 * the recording fails (checksum mismatch) and INVALID is thrown.
 */
export async function completeSensorRecording(
  db: Db,
  sensorId: string,
  recordingId: string,
  input: {
    bytes: number;
    sha256: string;
    events: number;
    dropped: number;
    captureBytes: number;
    note?: string;
  },
  now: Date = new Date(),
): Promise<SensorRecordingItem> {
  const row = await ownRecording(db, sensorId, recordingId);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of recordingChunks(db, recordingId)) {
    hash.update(chunk);
    size += chunk.length;
  }
  const sha256 = hash.digest('hex');
  if (size !== input.bytes || Number(row.uploadedBytes) !== input.bytes || sha256 !== input.sha256) {
    const reason = `upload damaged: the collector holds ${size} bytes (SHA-256 ${sha256}), the sensor sent ${input.bytes} (SHA-256 ${input.sha256})`;
    await failSensorRecording(db, sensorId, recordingId, reason, now);
    throw new DbError('INVALID', reason);
  }
  const updated = await db.prisma.sensorRecording.update({
    where: { id: recordingId },
    data: {
      status: 'ready',
      finishedAt: now,
      bytes: BigInt(size),
      sha256,
      events: input.events,
      dropped: input.dropped,
      captureBytes: BigInt(input.captureBytes),
      note: input.note ?? null,
    },
    select: SELECT,
  });
  return toItem(updated as Row);
}

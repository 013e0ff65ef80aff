import { z } from 'zod';
import { SyscallEventSchema } from './sensor-event.js';

/**
 * The sensor <-> collector HTTP API. Every request carries `Authorization: Bearer <sensor key>`;
 * a bad or missing key is 401 with an `SensorApiError` body.
 *
 * - `POST /v1/sensor/events`: body is gzip-compressed (`Content-Encoding: gzip`) in one of three
 *   versions. JSON (`Content-Type: application/json`), told apart by the envelope's `v` field:
 *   without `v`, version 1, `SensorEventBatchSchema` (every event whole); with `"v": 2`,
 *   version 2, `SensorEventBatchV2Schema` (sensor-batch-v2.ts: per-batch tables of processes,
 *   containers and argument names, events as short rows referring to them, expanded by the
 *   collector into the same events as version 1). Binary, `Content-Type:
 *   application/vnd.peregrine.batch.v3`: version 3 (sensor-batch-v3.ts: the tables and rows of
 *   version 2 in a schema-driven byte layout with one string table, read without a JSON parser).
 *   The collector lists the versions it reads in `SensorConfig.batchVersions`; a sensor sends the
 *   newest version that list has (version 1 when there is none), so a new sensor still works with
 *   an older collector, and the collector keeps reading versions 1 and 2 from older sensors (and
 *   from their spools). The 8 MiB bound applies to the inflated body of every version. Answers 200 with
 *   `SensorEventBatchResponseSchema`; 401 bad key; 413 body too large (the sensor splits and
 *   resends); 429 or 503 with `Retry-After` (seconds) for backpressure; any 5xx is retried.
 *   Resending a `batchId` the collector has already accepted answers 200 with `duplicate: true`
 *   and `accepted: 0`, so at-least-once delivery never stores an event twice.
 * - `POST /v1/sensor/heartbeat`: JSON `SensorHeartbeatSchema`, answers `SensorHeartbeatResponseSchema`.
 * - `GET /v1/sensor/config`: answers `SensorConfigSchema`.
 * - Recordings (a `.scap` capture an admin asked for from the console): the heartbeat answer's
 *   `recording` hands the sensor its oldest requested recording; the sensor records beside
 *   shipping, then uploads the gzip file in order in chunks of at most
 *   `SENSOR_RECORDING_CHUNK_BYTES`: `PUT /v1/sensor/recordings/:id/chunks/:offset`
 *   (`Content-Type: application/octet-stream`; resending a stored chunk is a no-op), then
 *   `POST /v1/sensor/recordings/:id/complete` (`SensorRecordingCompleteSchema`: the whole file's
 *   size and SHA-256, which the collector checks against what it stored). A recording that could
 *   not be made is reported with `POST /v1/sensor/recordings/:id/fail` (`SensorRecordingFailSchema`).
 *   A chunk past the recording's byte bound is 413 and fails the recording; a recording that is
 *   not this sensor's is 404; one no longer recording or uploading (failed, ready) is 409.
 */

/** Paths of the sensor API on the collector. */
export const SENSOR_API_PATHS = {
  events: '/v1/sensor/events',
  heartbeat: '/v1/sensor/heartbeat',
  config: '/v1/sensor/config',
  recordingChunk: '/v1/sensor/recordings/:id/chunks/:offset',
  recordingComplete: '/v1/sensor/recordings/:id/complete',
  recordingFail: '/v1/sensor/recordings/:id/fail',
} as const;

/** Largest chunk of a recording upload (bytes). */
export const SENSOR_RECORDING_CHUNK_BYTES = 4 * 1024 * 1024;
/** Largest recording a sensor may be asked for (bytes of the capture, also the bound of the upload). */
export const SENSOR_RECORDING_MAX_BYTES = 256 * 1024 * 1024;
/** Longest recording (seconds). */
export const SENSOR_RECORDING_MAX_SECONDS = 600;

/** A recording the collector asks the sensor to make (in the heartbeat answer). */
export const SensorRecordingOrderSchema = z.object({
  id: z.uuid(),
  seconds: z.number().int().positive().max(SENSOR_RECORDING_MAX_SECONDS),
  /** Bound of the capture before gzip (the upload, gzip, is smaller). */
  maxBytes: z.number().int().positive().max(SENSOR_RECORDING_MAX_BYTES),
});

/** The recording a sensor is making or uploading, reported in its heartbeat. */
export const SensorRecordingProgressSchema = z.object({
  id: z.uuid(),
  state: z.enum(['recording', 'uploading']),
  /** Events written so far. */
  events: z.number().int().nonnegative(),
  /** Capture bytes so far (before gzip). */
  bytes: z.number().int().nonnegative(),
});

/** `POST /v1/sensor/recordings/:id/complete`: what the sensor uploaded. */
export const SensorRecordingCompleteSchema = z.object({
  /** Size of the uploaded (gzip) file. */
  bytes: z.number().int().nonnegative(),
  /** Lowercase hex SHA-256 of the uploaded file. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  events: z.number().int().nonnegative(),
  /** Events left out (size bound, slow disk, conversion). */
  dropped: z.number().int().nonnegative(),
  /** Capture bytes before gzip. */
  captureBytes: z.number().int().nonnegative(),
  /** Why it ended before its time (the size bound), if it did. */
  note: z.string().max(500).optional(),
});

/** `POST /v1/sensor/recordings/:id/fail`: why the sensor could not make or upload it. */
export const SensorRecordingFailSchema = z.object({ reason: z.string().min(1).max(1000) });

/** Largest decompressed batch body the collector must accept (bytes); larger may be 413. */
export const SENSOR_MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** Stable identifier of a sensor (assigned at registration, or the host's machine id). */
export const SensorIdSchema = z.string().min(1).max(200);

/** A version-1 batch of events shipped to `POST /v1/sensor/events` (no `v` field). */
export const SensorEventBatchSchema = z.object({
  sensorId: SensorIdSchema,
  /** Unique per batch and stable across resends: the collector deduplicates on it. */
  batchId: z.string().min(1).max(100),
  /** Per-sensor batch sequence number, increasing from 1 (gaps mean dropped batches). */
  seq: z.number().int().nonnegative(),
  events: z.array(SyscallEventSchema),
});

/** One event the collector refused (it keeps the others). */
export const SensorRejectedEventSchema = z.object({
  index: z.number().int().nonnegative(),
  error: z.string(),
});

/** The collector's acknowledgement of a batch; only after it may the sensor forget the batch. */
export const SensorEventBatchResponseSchema = z.object({
  /** Events stored from this request (0 for a duplicate). */
  accepted: z.number().int().nonnegative(),
  /** True when this batchId had already been accepted. */
  duplicate: z.boolean(),
  rejected: z.array(SensorRejectedEventSchema),
  /**
   * Events stored with NUL or unpaired surrogate characters replaced by U+FFFD (absent when none).
   * Optional and added later: sensors that predate it strip it (zod objects drop unknown keys).
   */
  sanitized: z.number().int().nonnegative().optional(),
});

/** Capture backends the sensor can run. */
export const SensorBackendSchema = z.enum(['ebpf', 'procfs']);

/**
 * How the sensor captures, finer than `SensorBackendSchema`: `libbpf` (peregrine-capture, the
 * native loader), `bpftrace`, or `procfs` (polling /proc without privileges: process starts and
 * exits only). The console shows it so a user knows what the sensor can and cannot see.
 */
export const SensorCaptureModeSchema = z.enum(['libbpf', 'bpftrace', 'procfs']);

/** What the running capture covers: its mode and the event types it traces on this kernel. */
export const SensorCaptureSchema = z.object({
  mode: SensorCaptureModeSchema,
  /** Event types (`evt.type` values) the capture produces; procfs: `execve` and `procexit`. */
  eventTypes: z.array(z.string().min(1).max(64)).max(512),
  /** Why no kernel capture runs (procfs only): each kernel backend's reason, as the sensor logs it. */
  reason: z.string().max(1000).optional(),
  /**
   * Event types the environment's active rules need (`SensorConfig.ruleEventTypes`) that this
   * capture does not produce, so the rules on them cannot fire here; empty when it covers them
   * all. Absent when the sensor does not know the rules (no config yet) and from older sensors.
   */
  uncaptured: z.array(z.string().min(1).max(64)).max(512).optional(),
});

/** Why events were dropped; each cause has its own counter. */
export const SensorDropCauseSchema = z.enum([
  /** The kernel/bpftrace ring buffer overflowed (bpftrace "Lost N events"). */
  'kernel',
  /** The capture output could not be parsed. */
  'parse',
  /** The in-memory queue was full. */
  'queue',
  /** The on-disk spool exceeded its byte bound; oldest batches were discarded. */
  'spool',
  /** The collector rejected events (validation) or answered a non-retryable failure. */
  'rejected',
]);

/** Drop counters since the sensor started, by cause. */
export const SensorDropCountersSchema = z.record(SensorDropCauseSchema, z.number().int().nonnegative());

/** Where a sensor is in its life: its capture starting, running, or failed (the sensor then exits). */
export const SensorPhaseSchema = z.enum(['starting', 'capturing', 'failed']);

/**
 * Whether a heartbeat's phase says the capture runs: `capturing`, or no phase at all (sensors
 * older than the field sent heartbeats only once capturing).
 */
export function captureRuns(phase: z.infer<typeof SensorPhaseSchema> | undefined): boolean {
  return phase === undefined || phase === 'capturing';
}

/** Periodic heartbeat, `POST /v1/sensor/heartbeat`. */
export const SensorHeartbeatSchema = z.object({
  sensorId: SensorIdSchema,
  /** peregrine-sensor version. */
  version: z.string(),
  /** The backend in use; while `starting`, the one the sensor will try first (`ebpf` unless told `procfs`). */
  backend: SensorBackendSchema,
  /**
   * `starting`: the sensor runs and reaches the collector, but its capture is not running yet
   * (loading the eBPF programs can take a minute on a busy node), so no events flow and
   * `capture` is absent. `capturing` once it runs. `failed`: the capture could not start or
   * died, said in `error`, in the sensor's last heartbeat before it exits. Absent from sensors
   * older than this field, which sent heartbeats only once capturing.
   */
  phase: SensorPhaseSchema.optional(),
  /** Why the capture failed (phase `failed`), as the sensor logs it. */
  error: z.string().max(1000).optional(),
  /** Capture mode and coverage; absent while starting and from sensors older than this field. */
  capture: SensorCaptureSchema.optional(),
  hostname: z.string(),
  /** `uname -r`. */
  kernel: z.string(),
  /** Sensor start, ISO-8601. */
  startedAt: z.string(),
  /** Heartbeat time, ISO-8601. */
  sentAt: z.string(),
  /** Rules version of the config the sensor is applying (null before the first config pull). */
  rulesVersion: z.string().nullable(),
  /** Events per second over the last heartbeat interval. */
  rates: z.object({
    captured: z.number().nonnegative(),
    shipped: z.number().nonnegative(),
    filtered: z.number().nonnegative(),
  }),
  /** Totals since start. */
  totals: z.object({
    captured: z.number().int().nonnegative(),
    shipped: z.number().int().nonnegative(),
    filtered: z.number().int().nonnegative(),
  }),
  drops: SensorDropCountersSchema,
  /** Events waiting in the in-memory queue. */
  queueDepth: z.number().int().nonnegative(),
  /** Bytes and batches waiting in the on-disk spool. */
  spool: z.object({ bytes: z.number().int().nonnegative(), batches: z.number().int().nonnegative() }),
  /** The console-requested recording in progress; absent when none (and from older sensors). */
  recording: SensorRecordingProgressSchema.optional(),
});

/** Answer to a heartbeat. */
export const SensorHeartbeatResponseSchema = z.object({
  ok: z.literal(true),
  /** Current rules version; when it differs from the sensor's, the sensor pulls the config. */
  rulesVersion: z.string().nullable().optional(),
  /** A recording to start now (absent when none; older sensors ignore it). */
  recording: SensorRecordingOrderSchema.optional(),
});

/** Configuration the sensor pulls from `GET /v1/sensor/config`. */
export const SensorConfigSchema = z.object({
  rulesVersion: z.string(),
  /** Event types the environment's rules can match; null = ship all. */
  eventTypes: z.array(z.string()).nullable(),
  /**
   * Event types the environment's active syscall rules name (those restricted by evt.type), also
   * when `eventTypes` is null: what a sensor must capture for every rule to be able to fire. The
   * sensor reports the ones it cannot capture. Absent from older collectors.
   */
  ruleEventTypes: z.array(z.string()).optional(),
  /** Event batch versions the collector reads (`v` of the body); absent = `[1]` (older collectors). */
  batchVersions: z.array(z.number().int().positive()).optional(),
});

/** Error body for 4xx/5xx answers of the sensor API. */
export const SensorApiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/** A batch of events on the wire. */
export type SensorEventBatch = z.infer<typeof SensorEventBatchSchema>;
/** One rejected event of a batch. */
export type SensorRejectedEvent = z.infer<typeof SensorRejectedEventSchema>;
/** Acknowledgement of a batch. */
export type SensorEventBatchResponse = z.infer<typeof SensorEventBatchResponseSchema>;
/** A capture backend name. */
export type SensorBackend = z.infer<typeof SensorBackendSchema>;
/** A capture mode. */
export type SensorCaptureMode = z.infer<typeof SensorCaptureModeSchema>;
/** A capture mode with the event types it covers. */
export type SensorCapture = z.infer<typeof SensorCaptureSchema>;
/** A drop cause. */
export type SensorDropCause = z.infer<typeof SensorDropCauseSchema>;
/** Drop counters by cause. */
export type SensorDropCounters = z.infer<typeof SensorDropCountersSchema>;
/** A heartbeat. */
export type SensorHeartbeat = z.infer<typeof SensorHeartbeatSchema>;
/** A sensor's phase in its heartbeat. */
export type SensorPhase = z.infer<typeof SensorPhaseSchema>;
/** Answer to a heartbeat. */
export type SensorHeartbeatResponse = z.infer<typeof SensorHeartbeatResponseSchema>;
/** Sensor configuration pulled from the collector. */
export type SensorConfig = z.infer<typeof SensorConfigSchema>;
/** A recording order. */
export type SensorRecordingOrder = z.infer<typeof SensorRecordingOrderSchema>;
/** A recording's progress in a heartbeat. */
export type SensorRecordingProgress = z.infer<typeof SensorRecordingProgressSchema>;
/** Body of a recording's completion. */
export type SensorRecordingComplete = z.infer<typeof SensorRecordingCompleteSchema>;
/** Error body of the sensor API. */
export type SensorApiError = z.infer<typeof SensorApiErrorSchema>;

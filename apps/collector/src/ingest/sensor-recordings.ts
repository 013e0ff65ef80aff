import {
  completeSensorRecording,
  failSensorRecording,
  sensorRecordingHeartbeat,
  storeSensorRecordingChunk,
  type RecordingOrder,
} from '@peregrine/db';
import {
  captureRuns,
  SENSOR_API_PATHS,
  SENSOR_RECORDING_CHUNK_BYTES,
  SensorRecordingCompleteSchema,
  SensorRecordingFailSchema,
  type SensorHeartbeat,
} from '@peregrine/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CollectorError } from '../http/errors.js';
import type { IngestContext } from './register.js';
import { issueText } from './sensor-batch.js';

const ParamsSchema = z.object({ id: z.uuid(), offset: z.coerce.number().int().nonnegative().optional() });

function params(req: FastifyRequest): { id: string; offset?: number } {
  const parsed = ParamsSchema.safeParse(req.params);
  if (!parsed.success) throw new CollectorError('NOT_FOUND', 'no such recording for this sensor');
  return parsed.data;
}

/**
 * The heartbeat's part in recordings: a restart fails what the sensor was recording, reported
 * progress is stored, and the sensor's oldest requested recording is handed to it once its
 * capture runs.
 */
export function recordingHeartbeat(
  ctx: IngestContext,
  sensorId: string,
  hb: SensorHeartbeat,
): Promise<RecordingOrder | undefined> {
  return sensorRecordingHeartbeat(ctx.db, sensorId, {
    startedAt: hb.startedAt,
    ...(hb.recording ? { recording: hb.recording } : {}),
    notCapturing: !captureRuns(hb.phase),
  });
}

/**
 * Uploads of recordings (packages/protocol/src/sensor-api.ts): chunks in order, then completion
 * with the whole file's size and SHA-256, or a failure report. Registered in the sensor scope, so
 * the sensor key is checked first; a recording must be the calling sensor's own.
 */
export function sensorRecordingRoutes(
  app: FastifyInstance,
  ctx: IngestContext,
  sensorOf: (req: FastifyRequest) => string,
): void {
  const config = { source: 'syscall' };
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: SENSOR_RECORDING_CHUNK_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.put(
    SENSOR_API_PATHS.recordingChunk,
    { bodyLimit: SENSOR_RECORDING_CHUNK_BYTES, config },
    async (req) => {
      const { id, offset } = params(req);
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw new CollectorError('INVALID_BODY', 'a chunk is a non-empty application/octet-stream body');
      return storeSensorRecordingChunk(ctx.db, sensorOf(req), id, offset ?? 0, req.body);
    },
  );

  app.post(SENSOR_API_PATHS.recordingComplete, { config }, async (req) => {
    const { id } = params(req);
    const body = SensorRecordingCompleteSchema.safeParse(req.body);
    if (!body.success)
      throw new CollectorError('INVALID_BODY', `invalid completion: ${issueText(body.error)}`);
    const done = await completeSensorRecording(ctx.db, sensorOf(req), id, body.data);
    return { ok: true, bytes: done.bytes, sha256: done.sha256 };
  });

  app.post(SENSOR_API_PATHS.recordingFail, { config }, async (req) => {
    const { id } = params(req);
    const body = SensorRecordingFailSchema.safeParse(req.body);
    if (!body.success)
      throw new CollectorError('INVALID_BODY', `invalid failure report: ${issueText(body.error)}`);
    await failSensorRecording(ctx.db, sensorOf(req), id, body.data.reason);
    return { ok: true };
  });
}

import { recordSensorHeartbeat } from '@peregrine/db';
import {
  captureRuns,
  SENSOR_API_PATHS,
  SENSOR_BATCH_V2,
  SENSOR_BATCH_V3,
  SENSOR_BATCH_V3_CONTENT_TYPE,
  SENSOR_MAX_BATCH_BYTES,
  type SensorConfig,
  type SensorEventBatchResponse,
  SensorHeartbeatSchema,
  type SensorHeartbeatResponse,
  type SensorRejectedEvent,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import type { SensorIdentity } from '@peregrine/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { installRequestDecompression } from '../http/decompress.js';
import { CollectorError } from '../http/errors.js';
import { BackpressureError, type IngestEvent, type SyscallRows } from '../pipeline/types.js';
import type { IngestContext, IngestModule } from './register.js';
import {
  type DecodedSensorBatch,
  decodeSensorBatch,
  issueText,
  type OpenedSensorBatchV3,
  openSensorBatchV3Body,
} from './sensor-batch.js';
import { SensorAuthenticator } from './sensor-auth.js';
import { recordingHeartbeat, sensorRecordingRoutes } from './sensor-recordings.js';
import { type CleanReport, cleanJsonValue, jsonTextNeedsCleaning } from './shared/clean-text.js';

/** Batch body versions this collector reads (advertised in the config). */
const BATCH_VERSIONS = [1, SENSOR_BATCH_V2, SENSOR_BATCH_V3];

function epochNsToDate(ts: string): Date | undefined {
  // Milliseconds are enough for the stored event time; nanoseconds stay in the event itself.
  const ms = Number(ts.length > 6 ? ts.slice(0, -6) : '0');
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined;
}

/**
 * A decoded batch's events for the pipeline, each keyed by the sensor, the batch id and its index
 * in the batch (as sent, whatever the body version): `keyPrefix` + index.
 */
export function sensorIngestEvents(
  sensorId: string,
  batch: DecodedSensorBatch,
): { events: IngestEvent[]; keyPrefix: string } {
  const events: IngestEvent[] = new Array(batch.events.length);
  const keyPrefix = `${sensorId}:${batch.batchId}:`;
  for (let n = 0; n < batch.events.length; n++) {
    const { index, event: ev } = batch.events[n]!;
    events[n] = syscallIngestEvent(ev, `${keyPrefix}${index}`);
  }
  return { events, keyPrefix };
}

function syscallIngestEvent(ev: WireSyscallEvent, ingestKey: string): IngestEvent {
  return { source: 'syscall', event: ev, ingestKey, eventTime: epochNsToDate(ev.ts), hostname: ev.hostname };
}

/**
 * A version-3 batch's accepted events for the pipeline, left in the body: keyed as
 * `sensorIngestEvents` keys them, built when evaluation asks.
 */
export function sensorIngestRows(
  sensorId: string,
  batch: OpenedSensorBatchV3,
): { rows: SyscallRows; keyPrefix: string } {
  const keyPrefix = `${sensorId}:${batch.batchId}:`;
  const { rows } = batch;
  return {
    keyPrefix,
    rows: {
      length: rows.accepted,
      type: (k) => rows.type(k),
      event: (k) => rows.event(k),
      ingestEvent: (k, event) =>
        syscallIngestEvent(
          (event as WireSyscallEvent | undefined) ?? rows.event(k),
          `${keyPrefix}${rows.index(k)}`,
        ),
    },
  };
}

/**
 * The sensor stream (packages/protocol/src/sensor-api.ts): authenticated gzip batches (versions 1
 * and 2 in JSON, version 3 binary; decoded by sensor-batch.ts), heartbeats and config pull. A batch is acknowledged only after its alerts and its batch id are committed;
 * a re-sent batch id is answered `duplicate: true` without evaluating it again.
 */
export const sensorIngest: IngestModule = {
  name: 'sensor',
  async register(root, ctx: IngestContext) {
    // An encapsulated scope: the streaming decompression hook applies to the sensor routes only
    // (cloud-source modules read raw bytes and undo Content-Encoding themselves).
    await root.register(async (app) => {
      const auth = new SensorAuthenticator(ctx.db, {
        ttlMs: 30_000,
        maxEntries: 10_000,
        revocations: ctx.revocations,
      });
      app.addHook('onClose', async () => auth.close());
      // Authenticate and apply backpressure before the body is read: neither an unknown caller
      // nor a full pipeline costs a decompressed body in memory.
      let reading = 0;
      app.addHook('onRequest', async (req, reply) => {
        const receivedAt = Date.now();
        const sensor = await auth.authenticate(req);
        if (req.routeOptions.url === SENSOR_API_PATHS.events) {
          // Bodies being read are not yet counted by the pipeline: cap them too, so memory stays
          // bounded (at most MAX_BATCH_REQUESTS x 8 MiB) however many sensors send at once.
          if (ctx.pipeline.saturated?.() || reading >= MAX_BATCH_REQUESTS) {
            ctx.metrics.rejects.inc({ source: 'pipeline', reason: 'busy' });
            throw new BackpressureError(1);
          }
          reading++;
          reply.raw.once('close', () => {
            reading--;
          });
        }
        requests.set(req, { sensor, receivedAt });
      });
      installRequestDecompression(app);
      installCleaningJsonParser(app);
      // Version 3 bodies stay bytes: sensor-batch.ts reads them without a JSON parser.
      app.addContentTypeParser(SENSOR_BATCH_V3_CONTENT_TYPE, { parseAs: 'buffer' }, (_req, body, done) =>
        done(null, body),
      );
      sensorRoutes(app, ctx);
    });
  },
};

/** Cleaning reports of sensor bodies in which characters were replaced (clean-text.ts). */
const cleaned = new WeakMap<FastifyRequest, CleanReport>();

/**
 * Fastify's own JSON parser (secure-json-parse, refusing `__proto__` and `constructor.prototype`
 * keys as before), followed by cleaning when the text says it may be needed: a clean body costs
 * one `indexOf` (the sensor stream is the collector's hot path).
 */
function installCleaningJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parse(req, body as string, (err, value) => {
      if (err) return done(err, undefined);
      if (!jsonTextNeedsCleaning(body as string)) return done(null, value);
      const result = cleanJsonValue(value);
      if (result.report.replaced > 0) cleaned.set(req, result.report);
      done(null, result.value);
    });
  });
}

/** Sensor batch requests handled at once (reading, evaluating or committing). */
const MAX_BATCH_REQUESTS = 64;

/** What the onRequest hook learned about a request. */
const requests = new WeakMap<FastifyRequest, { sensor: SensorIdentity; receivedAt: number }>();

function requestInfo(req: FastifyRequest): { sensor: SensorIdentity; receivedAt: number } {
  const info = requests.get(req);
  if (!info) throw new CollectorError('UNAUTHENTICATED', 'request was not authenticated');
  return info;
}

/** SubmitResult.rejected of a sensor batch -> refused events by index (from `<prefix><index>`). */
function storeRefusals(
  refused: { ingestKey: string; reason: string }[] | undefined,
  keyPrefix: string,
): SensorRejectedEvent[] {
  if (!refused?.length) return [];
  const out: SensorRejectedEvent[] = [];
  for (const r of refused) {
    const index = r.ingestKey.startsWith(keyPrefix)
      ? Number(r.ingestKey.slice(keyPrefix.length))
      : Number.NaN;
    if (Number.isSafeInteger(index) && index >= 0) out.push({ index, error: `not stored: ${r.reason}` });
  }
  return out;
}

function sensorRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const config = { source: 'syscall' };

  app.post(SENSOR_API_PATHS.events, { bodyLimit: SENSOR_MAX_BATCH_BYTES, config }, async (req) => {
    const { sensor, receivedAt } = requestInfo(req);
    // Version 3 stays in its bytes until evaluation: only events a rule may match get built.
    const batch =
      req.body instanceof Uint8Array
        ? openSensorBatchV3Body(req.body)
        : decodeSensorBatch(req.body, cleaned.get(req));
    const { batchId, rejected } = batch;
    ctx.metrics.eventsIn.inc({ source: 'syscall' }, batch.count);
    if (await ctx.store.isBatchSeen(sensor.sensorId, batchId)) {
      ctx.metrics.duplicates.inc({ source: 'syscall' });
      const dup: SensorEventBatchResponse = { accepted: 0, duplicate: true, rejected: [] };
      return dup;
    }
    const { events, rows, keyPrefix } =
      'rows' in batch
        ? { events: [], ...sensorIngestRows(sensor.sensorId, batch) }
        : { rows: undefined, ...sensorIngestEvents(sensor.sensorId, batch) };
    const accepted = events.length + (rows?.length ?? 0);
    if (rejected.length)
      ctx.metrics.rejects.inc({ source: 'syscall', reason: 'invalid_event' }, rejected.length);
    const result = await ctx.pipeline.submitEvents(
      {
        organizationId: sensor.organizationId,
        environmentId: sensor.environmentId,
        sensorId: sensor.sensorId,
      },
      events,
      { batchId, receivedAt, ...(rows ? { rows } : {}) },
    );
    const duplicate = result.duplicates > 0 && result.accepted === 0;
    if (duplicate) ctx.metrics.duplicates.inc({ source: 'syscall' });
    // Events the database refused are reported like events refused at decoding, by index.
    const refused = storeRefusals(result.rejected, keyPrefix);
    if (refused.length)
      ctx.metrics.rejects.inc({ source: 'syscall', reason: 'store_refused' }, refused.length);
    if (batch.sanitized > 0 && !duplicate) ctx.metrics.sanitized.inc({ source: 'syscall' }, batch.sanitized);
    const body: SensorEventBatchResponse = {
      accepted: duplicate ? 0 : accepted - refused.length,
      duplicate,
      rejected: refused.length ? [...rejected, ...refused].sort((a, b) => a.index - b.index) : rejected,
    };
    if (batch.sanitized > 0 && !duplicate) body.sanitized = batch.sanitized;
    return body;
  });

  app.post(SENSOR_API_PATHS.heartbeat, { config }, async (req) => {
    const { sensor } = requestInfo(req);
    const hb = SensorHeartbeatSchema.safeParse(req.body);
    if (!hb.success) throw new CollectorError('INVALID_BODY', `invalid heartbeat: ${issueText(hb.error)}`);
    await recordSensorHeartbeat(ctx.db, sensor.sensorId, {
      hostname: hb.data.hostname,
      version: hb.data.version,
      // A capture starting (or failed) only says which backend it tried: the stored one stays.
      backend: captureRuns(hb.data.phase) ? hb.data.backend : undefined,
      capture: hb.data.capture,
      heartbeat: hb.data as unknown as Record<string, unknown>,
    });
    const recording = await recordingHeartbeat(ctx, sensor.sensorId, hb.data);
    const rules = await ctx.rules.get(sensor.environmentId);
    const body: SensorHeartbeatResponse = {
      ok: true,
      rulesVersion: rules.stamp,
      ...(recording ? { recording } : {}),
    };
    return body;
  });

  app.get(SENSOR_API_PATHS.config, { config }, async (req) => {
    const { sensor } = requestInfo(req);
    const rules = await ctx.rules.get(sensor.environmentId);
    const body: SensorConfig = {
      rulesVersion: rules.stamp,
      eventTypes: rules.eventTypes,
      ruleEventTypes: rules.ruleEventTypes,
      batchVersions: BATCH_VERSIONS,
    };
    return body;
  });

  sensorRecordingRoutes(app, ctx, (req) => requestInfo(req).sensor.sensorId);
}

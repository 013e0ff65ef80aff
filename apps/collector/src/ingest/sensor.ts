import { recordSensorHeartbeat } from '@peregrine/db';
import {
  SENSOR_API_PATHS,
  SENSOR_MAX_BATCH_BYTES,
  type SensorConfig,
  type SensorEventBatchResponse,
  SensorHeartbeatSchema,
  type SensorHeartbeatResponse,
  type SensorRejectedEvent,
  SensorEventBatchSchema,
  SyscallEventSchema,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import type { SensorIdentity } from '@peregrine/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { installRequestDecompression } from '../http/decompress.js';
import { CollectorError } from '../http/errors.js';
import { BackpressureError, type IngestEvent } from '../pipeline/types.js';
import type { IngestContext, IngestModule } from './register.js';
import { SensorAuthenticator } from './sensor-auth.js';
import { isValidSyscallEvent } from './syscall-event-check.js';

/** The batch envelope alone: events are validated one by one so a bad one is rejected alone. */
const EnvelopeSchema = SensorEventBatchSchema.extend({ events: z.array(z.unknown()) });

function issueText(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.length ? `${first.path.join('.')}: ` : '';
  return `${path}${first.message}`;
}

function epochNsToDate(ts: string): Date | undefined {
  // Milliseconds are enough for the stored event time; nanoseconds stay in the event itself.
  const ms = Number(ts.length > 6 ? ts.slice(0, -6) : '0');
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined;
}

/**
 * The sensor stream (packages/protocol/src/sensor-api.ts): authenticated gzip batches, heartbeats
 * and config pull. A batch is acknowledged only after its alerts and its batch id are committed;
 * a re-sent batch id is answered `duplicate: true` without evaluating it again.
 */
export const sensorIngest: IngestModule = {
  name: 'sensor',
  async register(root, ctx: IngestContext) {
    // An encapsulated scope: the streaming decompression hook applies to the sensor routes only
    // (cloud-source modules read raw bytes and undo Content-Encoding themselves).
    await root.register(async (app) => {
      const auth = new SensorAuthenticator(ctx.db);
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
      sensorRoutes(app, ctx);
    });
  },
};

/** Sensor batch requests handled at once (reading, evaluating or committing). */
const MAX_BATCH_REQUESTS = 64;

/** What the onRequest hook learned about a request. */
const requests = new WeakMap<FastifyRequest, { sensor: SensorIdentity; receivedAt: number }>();

function requestInfo(req: FastifyRequest): { sensor: SensorIdentity; receivedAt: number } {
  const info = requests.get(req);
  if (!info) throw new CollectorError('UNAUTHENTICATED', 'request was not authenticated');
  return info;
}

function sensorRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const config = { source: 'syscall' };

  app.post(SENSOR_API_PATHS.events, { bodyLimit: SENSOR_MAX_BATCH_BYTES, config }, async (req) => {
    const { sensor, receivedAt } = requestInfo(req);
    const envelope = EnvelopeSchema.safeParse(req.body);
    if (!envelope.success)
      throw new CollectorError('INVALID_BODY', `invalid batch: ${issueText(envelope.error)}`);
    const { batchId, events: raw } = envelope.data;
    ctx.metrics.eventsIn.inc({ source: 'syscall' }, raw.length);
    if (await ctx.store.isBatchSeen(sensor.sensorId, batchId)) {
      ctx.metrics.duplicates.inc({ source: 'syscall' });
      const dup: SensorEventBatchResponse = { accepted: 0, duplicate: true, rejected: [] };
      return dup;
    }
    const rejected: SensorRejectedEvent[] = [];
    const events: IngestEvent[] = [];
    for (let i = 0; i < raw.length; i++) {
      let ev: WireSyscallEvent;
      if (isValidSyscallEvent(raw[i])) {
        ev = raw[i] as WireSyscallEvent;
      } else {
        // The slow path: zod decides and says why.
        const parsed = SyscallEventSchema.safeParse(raw[i]);
        if (!parsed.success) {
          rejected.push({ index: i, error: issueText(parsed.error) });
          continue;
        }
        ev = parsed.data;
      }
      events.push({
        source: 'syscall',
        event: ev,
        ingestKey: `${sensor.sensorId}:${batchId}:${i}`,
        eventTime: epochNsToDate(ev.ts),
        hostname: ev.hostname,
      });
    }
    if (rejected.length)
      ctx.metrics.rejects.inc({ source: 'syscall', reason: 'invalid_event' }, rejected.length);
    const result = await ctx.pipeline.submitEvents(
      {
        organizationId: sensor.organizationId,
        environmentId: sensor.environmentId,
        sensorId: sensor.sensorId,
      },
      events,
      { batchId, receivedAt },
    );
    const duplicate = result.duplicates > 0 && result.accepted === 0;
    if (duplicate) ctx.metrics.duplicates.inc({ source: 'syscall' });
    const body: SensorEventBatchResponse = { accepted: duplicate ? 0 : events.length, duplicate, rejected };
    return body;
  });

  app.post(SENSOR_API_PATHS.heartbeat, { config }, async (req) => {
    const { sensor } = requestInfo(req);
    const hb = SensorHeartbeatSchema.safeParse(req.body);
    if (!hb.success) throw new CollectorError('INVALID_BODY', `invalid heartbeat: ${issueText(hb.error)}`);
    await recordSensorHeartbeat(ctx.db, sensor.sensorId, {
      hostname: hb.data.hostname,
      version: hb.data.version,
      backend: hb.data.backend,
      heartbeat: hb.data as unknown as Record<string, unknown>,
    });
    const rules = await ctx.rules.get(sensor.environmentId);
    const body: SensorHeartbeatResponse = { ok: true, rulesVersion: rules.stamp };
    return body;
  });

  app.get(SENSOR_API_PATHS.config, { config }, async (req) => {
    const { sensor } = requestInfo(req);
    const rules = await ctx.rules.get(sensor.environmentId);
    const body: SensorConfig = { rulesVersion: rules.stamp, eventTypes: rules.eventTypes };
    return body;
  });
}

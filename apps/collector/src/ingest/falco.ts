import { createHash } from 'node:crypto';
import { parsePriority } from '@peregrine/engine';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CollectorError } from '../http/errors.js';
import type { ExternalAlert } from '../pipeline/types.js';
import type { IngestModule } from './register.js';
import { authenticatePush } from './shared/auth.js';
import { ShapeError, type ShapeIssue, shapeIssues } from '../http/errors.js';
import { CLEAN, type CleanReport } from './shared/clean-text.js';
import { type JsonBody, mediaType, parseJsonBody, requestBytes, setupIngestScope } from './shared/http.js';
import { exceedsDepth, isRecord, MAX_EVENT_DEPTH, rfc3339ToNs } from './shared/plugin-event.js';
import type { ResolvedSource } from './shared/source-store.js';
import { type CloudIngestDeps, countSanitized, pushAnswer, submitExternalAlerts } from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';

/**
 * Falco alerts from an existing fleet: Falco's `http_output` (one JSON alert per POST),
 * falcosidekick's forwarded payload (with `uuid`), the falcosidekick-ui wrapper
 * `{ event, outputs }`, and Tracee's falcosidekick template (no priority, no source). Served at
 * falcosidekick's paths: `POST /`, `/api/v1/`, `/api/v1/events/add` and, like sidekick's `"/"`
 * ServeMux pattern, any other POST path no other route claims. So a fleet moves by changing the
 * host of `http_output.url` (plus `?token=`). Alerts are stored as they are; no re-evaluation.
 */

export const FALCO_SOURCE = 'falco';

export interface FalcoOptions {
  bodyLimit?: number;
  /** Serve every unclaimed POST path as ingest, as falcosidekick does (default true). */
  catchAll?: boolean;
}

/** Paths the catch-all never claims: the sensor API, cloud webhooks, socket.io, operations. */
const RESERVED_PATHS = /^\/(?:v\d+|ingest|socket\.io|metrics|healthz|readyz)(?:[/?]|$)/;

/** The alert as Falco/falcosidekick/Tracee send it; other keys are ignored. */
const FalcoAlertSchema = z.object({
  uuid: z.string().min(1).max(200).optional(),
  time: z.string().refine((s) => rfc3339ToNs(s) !== undefined, 'must be an RFC 3339 timestamp'),
  rule: z.string().trim().min(1, 'must not be empty'),
  priority: z
    .string()
    .refine((p) => parsePriority(p) !== undefined, 'must be a Falco priority (Emergency … Debug)')
    .optional(),
  output: z.string().optional(),
  output_fields: z.record(z.string(), z.unknown()).optional(),
  source: z.string().optional(),
  tags: z.array(z.string()).optional(),
  hostname: z.string().optional(),
});

type FalcoAlert = z.infer<typeof FalcoAlertSchema>;

/** falcosidekick defaults an empty source to `syscalls`, falco-talon to `syscall`; we keep Falco's name. */
function normaliseSource(a: FalcoAlert): string {
  const s = a.source?.trim() ?? '';
  // Tracee's template sends neither priority nor source.
  if (s === '' && a.priority === undefined) return 'tracee';
  if (s === '' || s === 'syscalls') return 'syscall';
  return s;
}

/** uuid when the sender gave one (falcosidekick), else a hash of what identifies a Falco alert. */
export function falcoIngestKey(
  a: Pick<FalcoAlert, 'uuid' | 'hostname' | 'rule' | 'time' | 'output'>,
): string {
  if (a.uuid) return `uuid:${a.uuid}`;
  const h = createHash('sha256');
  for (const part of [a.hostname ?? '', a.rule, a.time, a.output ?? '']) h.update(part).update('\0');
  return `sha256:${h.digest('hex')}`;
}

export function toExternalAlert(a: FalcoAlert): ExternalAlert {
  const ns = BigInt(rfc3339ToNs(a.time) as string);
  const alert: ExternalAlert = {
    time: new Date(Number(ns / 1_000_000n)),
    rule: a.rule,
    priority: parsePriority(a.priority ?? 'Warning') as string,
    source: normaliseSource(a),
    output: a.output ?? '',
    outputFields: a.output_fields ?? {},
    tags: [...(a.tags ?? [])].sort(),
    ingestKey: falcoIngestKey(a),
  };
  if (a.hostname) alert.hostname = a.hostname;
  return alert;
}

export interface DecodedFalcoBody {
  alerts: ExternalAlert[];
  rejected: number;
  issues: ShapeIssue[];
  /** Alerts (of `alerts`) in which characters were replaced (clean-text.ts). */
  sanitized: number;
}

/**
 * One alert, the sidekick-ui wrapper, or an array of either; bad alerts are refused one by one.
 * `report` is the cleaning report of the parsed body (counts the alerts it changed).
 */
export function decodeFalcoBody(body: unknown, report: CleanReport = CLEAN): DecodedFalcoBody {
  const items: { value: unknown; path: (string | number)[] }[] = [];
  const unwrap = (v: unknown, path: (string | number)[]) => {
    if (isRecord(v) && isRecord(v.event) && Array.isArray(v.outputs))
      items.push({ value: v.event, path: [...path, 'event'] });
    else items.push({ value: v, path });
  };
  if (Array.isArray(body)) {
    for (const [i, v] of body.entries()) unwrap(v, [i]);
  } else unwrap(body, []);
  const alerts: ExternalAlert[] = [];
  const issues: ShapeIssue[] = [];
  let rejected = 0;
  let sanitized = 0;
  for (const { value, path } of items) {
    if (exceedsDepth(value)) {
      rejected++;
      issues.push({ path, message: `alert nests deeper than ${MAX_EVENT_DEPTH} levels` });
      continue;
    }
    const parsed = FalcoAlertSchema.safeParse(value);
    if (!parsed.success) {
      rejected++;
      for (const i of shapeIssues(parsed.error.issues))
        issues.push({ path: [...path, ...i.path], message: i.message });
      continue;
    }
    alerts.push(toExternalAlert(parsed.data));
    if (report.touched(value)) sanitized++;
  }
  return { alerts, rejected, issues, sanitized };
}

declare module 'fastify' {
  interface FastifyRequest {
    falcoSource?: ResolvedSource;
  }
}

/** Registers the Falco/falcosidekick-compatible routes in their own encapsulated scope. */
export async function registerFalcoRoutes(
  app: FastifyInstance,
  deps: CloudIngestDeps,
  options: FalcoOptions = {},
): Promise<void> {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  await app.register(async (scope) => {
    setupIngestScope(scope, { source: FALCO_SOURCE, bodyLimit, metrics: deps.metrics });
    scope.decorateRequest('falcoSource', undefined);
    scope.addHook('onRequest', async (req) => {
      if (req.method !== 'POST') return;
      // The catch-all stops short of the collector's own API namespaces, where an unknown path
      // is a mistake worth a 404 rather than an attempt to send a Falco alert.
      if (req.routeOptions.url === '/*' && RESERVED_PATHS.test(req.url)) {
        throw new CollectorError(
          'UNKNOWN_SOURCE',
          `no ingest endpoint at ${req.method} ${req.url.split('?')[0]}`,
        );
      }
      req.falcoSource = await authenticatePush(req, deps.sources, 'falco');
    });
    const handler = async (req: FastifyRequest) => {
      const source = req.falcoSource as ResolvedSource;
      const bytes = requestBytes(req);
      let body: JsonBody;
      try {
        // Falco writes 64-bit output fields (evt.time in nanoseconds) as integers: kept exact.
        body = parseJsonBody(bytes, { exactIntegers: true });
      } catch (err) {
        // Falco without json_output sends its text line as text/plain.
        if (mediaType(req) === 'text/plain') {
          throw new CollectorError(
            'UNSUPPORTED_ENCODING',
            'send JSON alerts: set json_output: true in falco.yaml',
          );
        }
        throw err;
      }
      const decoded = decodeFalcoBody(body.value, body.report);
      if (decoded.rejected > 0) {
        deps.metrics.rejects.inc({ source: FALCO_SOURCE, reason: 'invalid_event' }, decoded.rejected);
        if (decoded.alerts.length === 0)
          throw new ShapeError('Please send a valid request body', decoded.issues);
      }
      const result = await submitExternalAlerts(deps, source, decoded.alerts);
      countSanitized(deps, FALCO_SOURCE, decoded.sanitized);
      return pushAnswer(result, decoded, decoded.sanitized);
    };
    for (const path of ['/', '/api/v1/', '/api/v1/events/add']) scope.post(path, handler);
    if (options.catchAll ?? true) scope.post('/*', handler);
    // falcosidekick's liveness probe, for fleets whose checks call it.
    scope.get('/ping', async (_req, reply) => reply.type('text/plain').send('pong\n'));
  });
}

/** The module entry for src/ingest/modules.ts (register it last: it owns the POST catch-all). */
export function falcoIngest(options: FalcoOptions = {}): IngestModule {
  return {
    name: 'falco',
    register: (app, ctx) => registerFalcoRoutes(app, dbIngestDeps(ctx), options),
  };
}

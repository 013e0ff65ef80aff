import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CollectorError } from '../http/errors.js';
import type { IngestEvent } from '../pipeline/types.js';
import type { IngestModule } from './register.js';
import { authenticatePush } from './shared/auth.js';
import { ShapeError, type ShapeIssue, shapeIssues } from '../http/errors.js';
import { CLEAN, type CleanReport } from './shared/clean-text.js';
import { mediaType, parseJsonBody, requestBytes, setupIngestScope } from './shared/http.js';
import {
  exceedsDepth,
  isRecord,
  MAX_EVENT_DEPTH,
  nsToDate,
  pluginEvent,
  rfc3339ToNs,
} from './shared/plugin-event.js';
import type { ResolvedSource } from './shared/source-store.js';
import { type CloudIngestDeps, countSanitized, pushAnswer, submitCloudEvents } from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';

/**
 * Kubernetes audit webhook: the API server's webhook backend POSTs `audit.k8s.io/v1` EventList
 * batches (mode `batch`) or single Events (mode `blocking`). Unlike Falco's k8saudit plugin, which
 * answers 200 before parsing and does no authentication, this endpoint authenticates a bearer
 * token per source, answers only after the events are durable (the API server retries a failed
 * batch) and keeps the good events of a batch while rejecting the bad ones one by one.
 */

export const K8S_AUDIT_SOURCE = 'k8s_audit';

export interface K8sAuditOptions {
  /** Largest body; the API server's default truncate-max-batch-size is 10 MiB (Falco uses 12 MiB). */
  bodyLimit?: number;
  /** Largest single event after re-serialisation (Falco's maxEventSize, 256 KiB). */
  maxEventSize?: number;
}

const DEFAULT_BODY_LIMIT = 12 * 1024 * 1024;
const DEFAULT_MAX_EVENT = 256 * 1024;

/** The keys an audit Event must have for us to identify and time it; the rest is kept as sent. */
const AuditEventSchema = z.looseObject({
  kind: z.literal('Event').optional(),
  auditID: z.string().min(1),
  stage: z.string().min(1),
  stageTimestamp: z.string().refine((s) => rfc3339ToNs(s) !== undefined, 'must be an RFC 3339 timestamp'),
});

export interface DecodedAuditBatch {
  events: IngestEvent[];
  /** Number of candidate events refused (each is described in `issues`). */
  rejected: number;
  issues: ShapeIssue[];
  /** Events (of `events`) in which characters were replaced (clean-text.ts). */
  sanitized: number;
}

interface Candidate {
  value: unknown;
  path: (string | number)[];
}

const NOT_AUDIT = 'data not recognized as a k8s audit event (expected kind "EventList" or "Event")';

/** Body -> candidate events: EventList items, a single Event, or a JSON array of either. */
function candidates(body: unknown): { items: Candidate[]; issues: ShapeIssue[] } {
  const fromList = (list: Record<string, unknown>, at: (string | number)[]): Candidate[] => {
    if (!Array.isArray(list.items)) {
      throw new ShapeError('EventList without an items array', [
        { path: [...at, 'items'], message: 'expected an array' },
      ]);
    }
    return list.items.map((value, i) => ({ value, path: [...at, 'items', i] }));
  };
  if (isRecord(body) && body.kind === 'EventList') return { items: fromList(body, []), issues: [] };
  if (isRecord(body) && body.kind === 'Event') return { items: [{ value: body, path: [] }], issues: [] };
  if (!Array.isArray(body)) throw new ShapeError(NOT_AUDIT, [{ path: [], message: NOT_AUDIT }]);
  // A JSON array (what a file replay sends): an unrecognised element is refused alone.
  const items: Candidate[] = [];
  const issues: ShapeIssue[] = [];
  body.forEach((el, i) => {
    if (isRecord(el) && el.kind === 'EventList') items.push(...fromList(el, [i]));
    else if (isRecord(el) && el.kind === 'Event') items.push({ value: el, path: [i] });
    else issues.push({ path: [i], message: NOT_AUDIT });
  });
  return { items, issues };
}

/**
 * Decodes an audit webhook body; bad events are described in `issues`, good ones kept. `report`
 * is the cleaning report of the parsed body (counts the events it changed).
 */
export function decodeAuditBody(
  body: unknown,
  maxEventSize = DEFAULT_MAX_EVENT,
  report: CleanReport = CLEAN,
): DecodedAuditBatch {
  const { items, issues } = candidates(body);
  let rejected = issues.length;
  let sanitized = 0;
  const events: IngestEvent[] = [];
  for (const { value, path } of items) {
    const parsed = AuditEventSchema.safeParse(value);
    if (!parsed.success) {
      rejected++;
      for (const i of shapeIssues(parsed.error.issues))
        issues.push({ path: [...path, ...i.path], message: i.message });
      continue;
    }
    const event = value as Record<string, unknown>;
    if (exceedsDepth(event)) {
      rejected++;
      issues.push({ path, message: `event nests deeper than ${MAX_EVENT_DEPTH} levels` });
      continue;
    }
    if (JSON.stringify(event).length > maxEventSize) {
      rejected++;
      issues.push({ path, message: `event larger than maxEventSize (${maxEventSize} bytes)` });
      continue;
    }
    const ts = rfc3339ToNs(parsed.data.stageTimestamp) as string;
    events.push({
      source: K8S_AUDIT_SOURCE,
      event: pluginEvent(event, ts),
      // One audit ID appears once per stage (RequestReceived, ResponseStarted, ResponseComplete).
      ingestKey: `${parsed.data.auditID}/${parsed.data.stage}`,
      eventTime: nsToDate(ts),
    });
    if (report.touched(event)) sanitized++;
  }
  return { events, rejected, issues, sanitized };
}

declare module 'fastify' {
  interface FastifyRequest {
    k8sAuditSource?: ResolvedSource;
  }
}

/** Registers `POST /ingest/k8s-audit[/:sourceId]` in its own encapsulated scope. */
export async function registerK8sAuditRoutes(
  app: FastifyInstance,
  deps: CloudIngestDeps,
  options: K8sAuditOptions = {},
): Promise<void> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT;
  await app.register(async (scope) => {
    setupIngestScope(scope, { source: K8S_AUDIT_SOURCE, bodyLimit, metrics: deps.metrics });
    scope.decorateRequest('k8sAuditSource', undefined);
    // Authenticate before the body is read: an unauthenticated sender cannot make us buffer 12 MiB.
    scope.addHook('onRequest', async (req: FastifyRequest<{ Params: { sourceId?: string } }>) => {
      req.k8sAuditSource = await authenticatePush(req, deps.sources, 'k8s_audit', req.params.sourceId);
    });
    const handler = async (req: FastifyRequest) => {
      const source = req.k8sAuditSource as ResolvedSource;
      if (!mediaType(req).includes('json')) {
        throw new CollectorError('UNSUPPORTED_ENCODING', 'audit webhook bodies must be application/json');
      }
      const body = parseJsonBody(requestBytes(req));
      const decoded = decodeAuditBody(body.value, maxEventSize, body.report);
      if (decoded.rejected > 0) {
        deps.metrics.rejects.inc({ source: K8S_AUDIT_SOURCE, reason: 'invalid_event' }, decoded.rejected);
        if (decoded.events.length === 0)
          throw new ShapeError('no valid audit event in the body', decoded.issues);
      }
      const result = await submitCloudEvents(deps, source, K8S_AUDIT_SOURCE, decoded.events, { push: true });
      countSanitized(deps, K8S_AUDIT_SOURCE, decoded.sanitized);
      return pushAnswer(result, decoded, decoded.sanitized);
    };
    scope.post('/ingest/k8s-audit', handler);
    scope.post('/ingest/k8s-audit/:sourceId', handler);
  });
}

/** The module entry for src/ingest/modules.ts. */
export function k8sAuditIngest(options: K8sAuditOptions = {}): IngestModule {
  return {
    name: 'k8s-audit',
    register: (app, ctx) => registerK8sAuditRoutes(app, dbIngestDeps(ctx), options),
  };
}

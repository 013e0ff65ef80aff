import type { CollectorMetrics } from '../../ops/metrics.js';
import {
  BackpressureError,
  type ExternalAlert,
  type IngestEvent,
  type IngestOrigin,
  type Pipeline,
  type SubmitResult,
} from '../../pipeline/types.js';
import { CollectorError } from '../../http/errors.js';
import type { SourceReach } from '../../net/source-reach.js';
import type { ShapeIssue } from '../../http/errors.js';
import type { CloudSourceStore, ResolvedSource } from './source-store.js';

/** What every cloud-source module is built from (explicit, so each can be tested alone). */
export interface CloudIngestDeps {
  pipeline: Pipeline;
  sources: CloudSourceStore;
  metrics: CollectorMetrics;
  /** What tenant-configured sources may reach: outbound policy, folder roots, AWS identity. */
  reach: SourceReach;
}

export function originOf(source: ResolvedSource): IngestOrigin {
  return {
    organizationId: source.organizationId,
    environmentId: source.environmentId,
    cloudSourceId: source.id,
  };
}

function busy(err: unknown): never {
  if (err instanceof BackpressureError) throw new CollectorError('BUSY', err.message, err.retryAfterSeconds);
  throw err;
}

/**
 * Submits decoded cloud events (raw kept for backtesting) and resolves once they are durable.
 * A saturated pipeline becomes a 429 with Retry-After for push endpoints.
 */
export async function submitCloudEvents(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  metricSource: string,
  events: IngestEvent[],
  options: {
    /** A push sender that never retries: spool through a database outage. */
    push?: boolean;
    /** Where the events came from (a log file), named in the source's error for refused events. */
    where?: string;
    /** Keep the raw events for backtesting (default true; test events are not kept). */
    storeRaw?: boolean;
  } = {},
): Promise<SubmitResult> {
  if (events.length === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
  deps.metrics.eventsIn.inc({ source: metricSource }, events.length);
  const result = await deps.pipeline
    .submitEvents(originOf(source), events, {
      storeRaw: options.storeRaw ?? true,
      spoolOnOutage: options.push === true,
    })
    .catch(busy);
  if (result.duplicates > 0) deps.metrics.duplicates.inc({ source: metricSource }, result.duplicates);
  await noteActivity(deps, source, {
    lastEventAt: new Date(),
    ...refusals(deps, metricSource, result, options.where),
  });
  return result;
}

/**
 * Events the database refused (SubmitResult.rejected): counted as rejects and recorded as the
 * source's last error, so a refused record is visible in the console while the others are stored
 * and the source moves on.
 */
function refusals(
  deps: Pick<CloudIngestDeps, 'metrics'>,
  metricSource: string,
  result: SubmitResult,
  where?: string,
): { error?: string } {
  const refused = result.rejected ?? [];
  const first = refused[0];
  if (!first) return {};
  deps.metrics.rejects.inc({ source: metricSource, reason: 'store_refused' }, refused.length);
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more)` : '';
  const at = where ? `${where}: ` : '';
  return { error: `${at}event ${first.ingestKey} was not stored: ${first.reason}${more}` };
}

/**
 * Records a poller's decoding refused (malformed in the source's own data): counted as rejects
 * and recorded as the source's last error, naming the first and why, so that no refused record
 * goes unseen while the rest are stored.
 */
export async function noteDecodeRefusals(
  deps: Pick<CloudIngestDeps, 'metrics' | 'sources'>,
  source: ResolvedSource,
  metricSource: string,
  decoded: { rejected: number; firstRejection?: string },
  where: string,
): Promise<void> {
  if (decoded.rejected === 0) return;
  deps.metrics.rejects.inc({ source: metricSource, reason: 'invalid_event' }, decoded.rejected);
  const what = decoded.rejected === 1 ? '1 record was' : `${decoded.rejected} records were`;
  const first = decoded.firstRejection ? ` (first, ${decoded.firstRejection})` : '';
  await noteActivity(deps, source, { error: `${where}: ${what} not stored${first}` });
}

/** Counts events stored with characters replaced (clean-text.ts) in the sanitized metric. */
export function countSanitized(
  deps: Pick<CloudIngestDeps, 'metrics'>,
  metricSource: string,
  events: number,
): void {
  if (events > 0) deps.metrics.sanitized.inc({ source: metricSource }, events);
}

/** Submits alerts produced elsewhere (Falco); same durability and backpressure rules. */
export async function submitExternalAlerts(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  alerts: ExternalAlert[],
): Promise<SubmitResult> {
  if (alerts.length === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
  deps.metrics.eventsIn.inc({ source: 'falco' }, alerts.length);
  // Falco's http_output never retries: keep its alerts through a database outage.
  const result = await deps.pipeline
    .submitAlerts(originOf(source), alerts, { spoolOnOutage: true })
    .catch(busy);
  if (result.duplicates > 0) deps.metrics.duplicates.inc({ source: 'falco' }, result.duplicates);
  await noteActivity(deps, source, { lastEventAt: new Date(), ...refusals(deps, 'falco', result) });
  return result;
}

/** The answer of a push endpoint: what was stored, recognised, refused (when decoding or by the database) and spooled. */
export interface PushAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  issues?: ShapeIssue[];
  /** Events stored with characters Postgres refuses replaced by U+FFFD (clean-text.ts). */
  sanitized?: number;
  /** The database was unavailable: the events are on the collector's disk and stored once it is back. */
  spooled?: true;
}

/** Builds a push endpoint's answer from the pipeline's result and what decoding refused. */
export function pushAnswer(
  result: SubmitResult,
  decoded: { rejected: number; issues: ShapeIssue[] } = { rejected: 0, issues: [] },
  sanitized = 0,
): PushAnswer {
  const refused = result.rejected ?? [];
  const issues = [
    ...decoded.issues,
    ...refused.slice(0, 20).map((r) => ({
      path: [],
      message: `event ${JSON.stringify(r.ingestKey)} was refused by the database: ${r.reason}`,
    })),
  ];
  const answer: PushAnswer = {
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: decoded.rejected + refused.length,
  };
  if (issues.length > 0) answer.issues = issues;
  if (sanitized > 0) answer.sanitized = sanitized;
  if (result.spooled) answer.spooled = true;
  return answer;
}

/** Source health for the console; a failure to record it must never fail the ingest itself. */
export async function noteActivity(
  deps: Pick<CloudIngestDeps, 'sources'>,
  source: ResolvedSource,
  activity: { lastEventAt?: Date; error?: string | null },
): Promise<void> {
  try {
    await deps.sources.recordActivity(source.id, activity);
  } catch {
    // Health bookkeeping is best effort: the events are already durable.
  }
}

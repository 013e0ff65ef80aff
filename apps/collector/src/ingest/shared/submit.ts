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
import type { CloudSourceStore, ResolvedSource } from './source-store.js';

/** What every cloud-source module is built from (explicit, so each can be tested alone). */
export interface CloudIngestDeps {
  pipeline: Pipeline;
  sources: CloudSourceStore;
  metrics: CollectorMetrics;
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
 * A saturated pipeline becomes a 429 with Retry-After for push endpoints. Events the database
 * refused are counted and recorded as the source's last error (prefixed with `where`, e.g. the
 * log file they came from); the others are stored.
 */
export async function submitCloudEvents(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  metricSource: string,
  events: IngestEvent[],
  where?: string,
): Promise<SubmitResult> {
  if (events.length === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
  deps.metrics.eventsIn.inc({ source: metricSource }, events.length);
  const result = await deps.pipeline.submitEvents(originOf(source), events, { storeRaw: true }).catch(busy);
  if (result.duplicates > 0) deps.metrics.duplicates.inc({ source: metricSource }, result.duplicates);
  await noteActivity(deps, source, {
    lastEventAt: new Date(),
    ...refusals(deps, metricSource, result, where),
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

/** Counts events stored with characters replaced (clean-text.ts) in the sanitized metric. */
export function countSanitized(
  deps: Pick<CloudIngestDeps, 'metrics'>,
  metricSource: string,
  events: number,
): void {
  if (events > 0) deps.metrics.sanitized.inc({ source: metricSource }, events);
}

/** The fields every push answer carries about one submission (optional ones only when non-zero). */
export function answerFields(
  result: SubmitResult,
  counts: { rejected?: number; sanitized: number },
): { accepted: number; duplicates: number; rejected?: number; sanitized?: number } {
  const refused = result.rejected?.length ?? 0;
  const out: { accepted: number; duplicates: number; rejected?: number; sanitized?: number } = {
    accepted: result.accepted,
    duplicates: result.duplicates,
  };
  if (counts.rejected !== undefined || refused > 0) out.rejected = (counts.rejected ?? 0) + refused;
  if (counts.sanitized > 0) out.sanitized = counts.sanitized;
  return out;
}

/** Submits alerts produced elsewhere (Falco); same durability and backpressure rules. */
export async function submitExternalAlerts(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  alerts: ExternalAlert[],
): Promise<SubmitResult> {
  if (alerts.length === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
  deps.metrics.eventsIn.inc({ source: 'falco' }, alerts.length);
  const result = await deps.pipeline.submitAlerts(originOf(source), alerts).catch(busy);
  if (result.duplicates > 0) deps.metrics.duplicates.inc({ source: 'falco' }, result.duplicates);
  await noteActivity(deps, source, { lastEventAt: new Date(), ...refusals(deps, 'falco', result) });
  return result;
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

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
 * A saturated pipeline becomes a 429 with Retry-After for push endpoints.
 */
export async function submitCloudEvents(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  metricSource: string,
  events: IngestEvent[],
): Promise<SubmitResult> {
  if (events.length === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
  deps.metrics.eventsIn.inc({ source: metricSource }, events.length);
  const result = await deps.pipeline.submitEvents(originOf(source), events, { storeRaw: true }).catch(busy);
  if (result.duplicates > 0) deps.metrics.duplicates.inc({ source: metricSource }, result.duplicates);
  await noteActivity(deps, source, { lastEventAt: new Date() });
  return result;
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
  await noteActivity(deps, source, { lastEventAt: new Date() });
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

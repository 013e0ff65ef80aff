import type { CollectorMetrics } from '../ops/metrics.js';
import {
  BackpressureError,
  type ExternalAlert,
  type IngestEvent,
  type IngestOrigin,
  type Pipeline,
  type SubmitOptions,
  type SubmitResult,
} from './types.js';
import { type WorkItem, workSize } from './work.js';

/** How much work one process may hold at once and how it hands work on. */
export interface AdmissionOptions {
  /** Events (or alerts) accepted and not yet committed, across all requests. */
  maxInFlight: number;
  /** Retry-After, seconds, for refused submissions. */
  retryAfterSeconds: number;
}

/** Where admitted work goes: evaluated here (single process) or published to JetStream. */
export type WorkSink = (item: WorkItem) => Promise<SubmitResult>;

/**
 * The pipeline ingest modules talk to. Admission control bounds memory: a submission that would
 * push the in-flight count over `maxInFlight` is refused with BackpressureError (429 + Retry-After)
 * instead of queueing. One submission alone is always admitted when nothing else is in flight
 * (the HTTP body limit bounds its size).
 */
export class AdmittingPipeline implements Pipeline {
  private inFlight = 0;
  private draining = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly sink: WorkSink,
    private readonly options: AdmissionOptions,
    private readonly metrics: CollectorMetrics,
  ) {}

  submitEvents(
    origin: IngestOrigin,
    events: IngestEvent[],
    options: SubmitOptions = {},
  ): Promise<SubmitResult> {
    return this.run({
      kind: 'events',
      origin,
      events,
      ...(options.rows ? { rows: options.rows } : {}),
      storeRaw: options.storeRaw ?? false,
      batchId: options.batchId,
      receivedAt: options.receivedAt ?? Date.now(),
      ...(options.spoolOnOutage ? { spoolOnOutage: true } : {}),
    });
  }

  submitAlerts(
    origin: IngestOrigin,
    alerts: ExternalAlert[],
    options: Pick<SubmitOptions, 'spoolOnOutage'> = {},
  ): Promise<SubmitResult> {
    return this.run({
      kind: 'alerts',
      origin,
      alerts,
      receivedAt: Date.now(),
      ...(options.spoolOnOutage ? { spoolOnOutage: true } : {}),
    });
  }

  saturated(): boolean {
    return this.draining || this.inFlight >= this.options.maxInFlight;
  }

  /** Events accepted and not yet committed. */
  get depth(): number {
    return this.inFlight;
  }

  private async run(item: WorkItem): Promise<SubmitResult> {
    const n = workSize(item);
    if (n === 0) return { accepted: 0, duplicates: 0, alerts: 0 };
    if (this.draining) {
      this.metrics.rejects.inc({ source: 'pipeline', reason: 'draining' });
      throw new BackpressureError(this.options.retryAfterSeconds);
    }
    if (this.inFlight > 0 && this.inFlight + n > this.options.maxInFlight) {
      this.metrics.rejects.inc({ source: 'pipeline', reason: 'busy' });
      throw new BackpressureError(this.options.retryAfterSeconds);
    }
    this.inFlight += n;
    this.metrics.queueDepth.set(this.inFlight);
    try {
      return await this.sink(item);
    } finally {
      this.inFlight -= n;
      this.metrics.queueDepth.set(this.inFlight);
      if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /** Refuses new work and resolves once everything admitted is committed. */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}

/**
 * Contract between ingest modules (src/ingest/*) and the pipeline (src/pipeline/*).
 * Ingest modules authenticate and decode; the pipeline evaluates, stores and pushes.
 */

/** Where events came from: resolved by the ingest module after authentication. */
export interface IngestOrigin {
  organizationId: string;
  environmentId: string;
  /** Exactly one of sensorId / cloudSourceId is set. */
  sensorId?: string;
  cloudSourceId?: string;
}

/** One decoded event for the engine. */
export interface IngestEvent {
  /** Engine source name: `syscall`, `k8s_audit`, `github`, `okta`, `aws_cloudtrail`, `gcp_auditlog`, `json`. */
  source: string;
  /** The event object the engine's source reads (see packages/engine/README.md). */
  event: unknown;
  /**
   * Stable identity of the event across re-deliveries (sensor batchId + index, audit event
   * uid, Okta uuid, CloudTrail eventID, GitHub delivery id + index): a re-delivered event never
   * yields a second alert.
   */
  ingestKey: string;
  /** When the event happened, if the transport says; else the pipeline uses receipt time. */
  eventTime?: Date;
  hostname?: string;
  /**
   * A test event the console asked for (src/ingest/test-events.ts): its alerts carry the tag
   * TEST_EVENT_TAG. Only that module sets it; nothing a sender writes can.
   */
  test?: true;
}

/** An alert produced elsewhere (an existing Falco deployment's http_output / falcosidekick). */
export interface ExternalAlert {
  time: Date;
  rule: string;
  /** Falco priority name in any case (`Warning`, `warning`, `WARNING`). */
  priority: string;
  source: string;
  output: string;
  outputFields: Record<string, unknown>;
  tags: string[];
  hostname?: string;
  ingestKey: string;
}

/** An event the database refused (the others of its batch were stored). */
export interface RejectedEvent {
  ingestKey: string;
  /** `SQLSTATE message` from Postgres. */
  reason: string;
}

export interface SubmitResult {
  /** Events newly stored (or, with `spooled`/`queued`, durably kept to be stored). */
  accepted: number;
  /** Events recognised as already handled (re-sent). */
  duplicates: number;
  alerts: number;
  /** The alerts stored (absent when `queued` or `spooled`: they are stored later). */
  storedAlerts?: { id: string; rule: string; priority: string }[];
  /**
   * Events the database refused for their values (each isolated from the rest, which are stored):
   * the caller reports them and moves on. Transient failures (database unavailable) throw instead.
   */
  rejected?: RejectedEvent[];
  /**
   * True when the database was unavailable and the submission was written to the collector's
   * on-disk spool instead: durable, stored once the database is back (push sources only).
   */
  spooled?: boolean;
  /**
   * True when the work was durably queued (NATS JetStream mode) rather than evaluated and
   * committed before resolving; `alerts` is then 0 and alerts follow asynchronously.
   */
  queued?: boolean;
}

/**
 * Syscall events still in their batch body (sensor batch version 3, read and checked whole): the
 * processor builds only the events a rule may match (by type), and their ingest fields only for
 * those that raise an alert. `ingestEvent(k)` is row `k` as `submitEvents` would have taken it.
 */
export interface SyscallRows {
  readonly length: number;
  /** Event type of row `k`, read without building the event. */
  type(k: number): string;
  /** Row `k` as the event the engine reads (a new object per call). */
  event(k: number): unknown;
  /** Row `k` as an ingest event (source `syscall`), around `event` when it is already built. */
  ingestEvent(k: number, event?: unknown): IngestEvent;
}

/** Options of `submitEvents`. */
export interface SubmitOptions {
  /**
   * Syscall events after `events`, left in their batch body until evaluation (sensor batches of
   * version 3); keyed and counted like events.
   */
  rows?: SyscallRows;
  /** Keep the raw events for backtesting (cloud sources). */
  storeRaw?: boolean;
  /**
   * Sensor stream: the batch id, recorded with the batch's alerts in one transaction so a re-sent
   * batch resolves with `duplicates = events.length` (needs `origin.sensorId`).
   */
  batchId?: string;
  /** Epoch ms when the transport received the events (default: now). */
  receivedAt?: number;
  /**
   * Push senders that do not retry (Falco, GitHub, audit webhooks, Okta hooks): when the database
   * is unavailable, keep the work in the on-disk spool and resolve `spooled` instead of failing.
   */
  spoolOnOutage?: boolean;
}

/** Submitting resolves only once the events' alerts are durably stored (at-least-once). */
export interface Pipeline {
  submitEvents(origin: IngestOrigin, events: IngestEvent[], options?: SubmitOptions): Promise<SubmitResult>;
  submitAlerts(
    origin: IngestOrigin,
    alerts: ExternalAlert[],
    options?: Pick<SubmitOptions, 'spoolOnOutage'>,
  ): Promise<SubmitResult>;
  /**
   * True while new work would be refused: push endpoints may answer 429 before reading a body
   * (so waiting requests never buffer bodies the pipeline cannot take).
   */
  saturated?(): boolean;
}

/** Thrown by `submit*` when the pipeline is saturated: ingest answers 429 with Retry-After. */
export class BackpressureError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`collector is busy: retry after ${retryAfterSeconds}s`);
    this.name = 'BackpressureError';
  }
}

/**
 * The database stayed unavailable through the store's retries: nothing of the work was committed.
 * Ingest answers 503 + Retry-After (or spools, for push senders that do not retry).
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

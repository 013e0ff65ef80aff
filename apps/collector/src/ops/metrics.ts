import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one collector instance (own registry: tests run several side by side). */
export interface CollectorMetrics {
  registry: Registry;
  /** Events received, by source (`syscall`, `k8s_audit`, ...). */
  eventsIn: Counter<'source'>;
  /** Alerts stored, by priority. */
  alertsStored: Counter<'priority'>;
  /** Requests or events refused, by source and reason (`invalid_json`, `unauthenticated`, ...). */
  rejects: Counter<'source' | 'reason'>;
  /** Events or alerts dropped after acceptance, by reason. */
  drops: Counter<'reason'>;
  /** Re-sent batches or events recognised as already handled. */
  duplicates: Counter<'source'>;
  /**
   * Events stored with characters Postgres refuses (NUL, unpaired surrogates) replaced by U+FFFD,
   * by source; `store` counts what the store's last-resort net repaired (an ingest path missed).
   */
  sanitized: Counter<'source'>;
  /** Receipt-to-commit time of a submitted batch. */
  batchSeconds: Histogram<'stage'>;
  /** Events accepted and not yet committed. */
  queueDepth: Gauge;
  /** Rules compilations per environment, by outcome. */
  rulesCompiles: Counter<'outcome'>;
  /** Alerts pushed to socket.io rooms. */
  alertsPushed: Counter;
  /** JetStream work waiting for any collector (pending + unacknowledged), NATS mode only. */
  workQueueDepth: Gauge;
  /** Store statements retried because the database went away (terminated connection, restart). */
  storeRetries: Counter;
  /** Events or alerts written to the on-disk spool while the database was unavailable, by kind. */
  spooled: Counter<'kind'>;
  /** Spooled events or alerts stored after the database came back, by kind. */
  spoolReplayed: Counter<'kind'>;
  /** Spooled items that failed for another reason than the database (kept in failed/). */
  spoolFailed: Counter;
  /** Items waiting in the spool. */
  spoolDepth: Gauge;
  /** Bytes waiting in the spool. */
  spoolBytes: Gauge;
  /** Notification attempts, by channel kind and outcome (`delivered`, `retry`, `dead`). */
  notifications: Counter<'kind' | 'outcome'>;
  /** From the notification being owed (alert stored) to its delivery. */
  notificationSeconds: Histogram<'kind'>;
}

/** Creates the collector's metrics on a fresh registry. */
export function createMetrics(options: { defaults?: boolean } = {}): CollectorMetrics {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'peregrine_collector_' });
  const r = [registry];
  return {
    registry,
    eventsIn: new Counter({
      name: 'peregrine_collector_events_in_total',
      help: 'Events received, by source.',
      labelNames: ['source'],
      registers: r,
    }),
    alertsStored: new Counter({
      name: 'peregrine_collector_alerts_stored_total',
      help: 'Alerts committed to the database, by priority.',
      labelNames: ['priority'],
      registers: r,
    }),
    rejects: new Counter({
      name: 'peregrine_collector_rejects_total',
      help: 'Requests or events refused, by source and reason.',
      labelNames: ['source', 'reason'],
      registers: r,
    }),
    drops: new Counter({
      name: 'peregrine_collector_drops_total',
      help: 'Accepted events or alerts that could not be handled, by reason.',
      labelNames: ['reason'],
      registers: r,
    }),
    duplicates: new Counter({
      name: 'peregrine_collector_duplicates_total',
      help: 'Re-delivered batches recognised as already handled, by source.',
      labelNames: ['source'],
      registers: r,
    }),
    sanitized: new Counter({
      name: 'peregrine_collector_sanitized_total',
      help: 'Events whose NUL or unpaired surrogate characters were replaced by U+FFFD, by source.',
      labelNames: ['source'],
      registers: r,
    }),
    batchSeconds: new Histogram({
      name: 'peregrine_collector_batch_seconds',
      help: 'Time from receipt of a batch to the end of a stage (evaluate, commit).',
      labelNames: ['stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    queueDepth: new Gauge({
      name: 'peregrine_collector_queue_depth',
      help: 'Events accepted and not yet committed.',
      registers: r,
    }),
    rulesCompiles: new Counter({
      name: 'peregrine_collector_rules_compiles_total',
      help: 'Compilations of an environment rule set, by outcome.',
      labelNames: ['outcome'],
      registers: r,
    }),
    workQueueDepth: new Gauge({
      name: 'peregrine_collector_work_queue_depth',
      help: 'JetStream work items waiting or being processed by any collector (NATS mode).',
      registers: r,
    }),
    alertsPushed: new Counter({
      name: 'peregrine_collector_alerts_pushed_total',
      help: 'Alerts pushed to socket.io rooms.',
      registers: r,
    }),
    storeRetries: new Counter({
      name: 'peregrine_collector_store_retries_total',
      help: 'Store statements retried because the database went away.',
      registers: r,
    }),
    spooled: new Counter({
      name: 'peregrine_collector_spooled_total',
      help: 'Events or alerts written to the on-disk spool while the database was unavailable, by kind.',
      labelNames: ['kind'],
      registers: r,
    }),
    spoolReplayed: new Counter({
      name: 'peregrine_collector_spool_replayed_total',
      help: 'Spooled events or alerts stored after the database came back, by kind.',
      labelNames: ['kind'],
      registers: r,
    }),
    spoolFailed: new Counter({
      name: 'peregrine_collector_spool_failed_total',
      help: 'Spooled items that failed for another reason than the database (kept in failed/).',
      registers: r,
    }),
    spoolDepth: new Gauge({
      name: 'peregrine_collector_spool_items',
      help: 'Items waiting in the on-disk spool.',
      registers: r,
    }),
    spoolBytes: new Gauge({
      name: 'peregrine_collector_spool_bytes',
      help: 'Bytes waiting in the on-disk spool.',
      registers: r,
    }),
    notifications: new Counter({
      name: 'peregrine_collector_notifications_total',
      help: 'Notification attempts, by channel kind and outcome (delivered, retry, dead).',
      labelNames: ['kind', 'outcome'],
      registers: r,
    }),
    notificationSeconds: new Histogram({
      name: 'peregrine_collector_notification_delivery_seconds',
      help: 'From a notification being owed (its alert stored) to its delivery.',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: r,
    }),
  };
}

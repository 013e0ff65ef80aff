import type { AlertInput, Priority, RawEventInput, StoredAlert } from '@peregrine/db';
import {
  alertEntities,
  matchRoutes,
  parsePriority,
  rawEventEntities,
  withEventNumber,
} from '@peregrine/engine';
import { TEST_EVENT_TAG } from '@peregrine/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { redactText } from '../ops/log-redaction.js';
import { targetPlanner } from '../notify/plan-targets.js';
import type { CachedRoute, NotificationRoutes } from '../notify/routes-cache.js';
import type { CollectorMetrics } from '../ops/metrics.js';
import { dedupKeyOf } from './dedup-key.js';
import type { RulesCache } from './rules-cache.js';
import type { EngineAlert } from './rules-engine.js';
import { storableAlert, storableIngestKey, storableTime } from './storable.js';
import type { StoreWriter } from './store-writer.js';
import type { IngestEvent, SubmitResult } from './types.js';
import { type WorkItem, withRowsBuilt, workSize } from './work.js';

/** Receives alerts once they are committed (the socket.io server). */
export interface AlertPublisher {
  publish(
    organizationId: string,
    environmentId: string,
    alerts: readonly StoredAlert[],
    receivedAt: number,
  ): void;
}

/** Falco priority name in any case (and the `Info` alias, as the engine parses it) -> stored priority. */
export function normalizePriority(name: string): Priority | undefined {
  const p = parsePriority(name);
  return p === undefined ? undefined : (p.toLowerCase() as Priority);
}

function hostnameOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const h = (event as { hostname?: unknown }).hostname;
  return typeof h === 'string' && h !== '' ? h : undefined;
}

export interface ProcessorDeps {
  rules: RulesCache;
  /** Group-committing writer over the collector store. */
  writer: StoreWriter;
  publisher: AlertPublisher;
  metrics: CollectorMetrics;
  log: FastifyBaseLogger;
  /**
   * Notification routes: alerts they match are owed to their channels in the statement that
   * stores them; `owed` is called after such a commit (wakes the local delivery worker).
   */
  notify?: { routes: NotificationRoutes; owed(): void } | undefined;
  /** The time digest periods and quiet hours are read at (tests move it); default Date.now. */
  clock?: (() => number) | undefined;
}

/**
 * Evaluates a work item with the environment's compiled rules, commits its alerts (and raw events,
 * and the sensor batch marker) in one transaction, then pushes the new alerts. Resolves only after
 * the commit: callers acknowledge upstream (HTTP answer, JetStream ack) after it.
 */
export class BatchProcessor {
  /** Falco's evt.num per plugin source: each source's events numbered from 1 by this collector. */
  private readonly eventNumbers = new Map<string, number>();

  constructor(private readonly deps: ProcessorDeps) {}

  /** The event as the engine sees it: sensor events carry their own number, cloud events get one. */
  private numbered(source: string, event: unknown): unknown {
    if (source === 'syscall') return event;
    const num = (this.eventNumbers.get(source) ?? 0) + 1;
    this.eventNumbers.set(source, num);
    return withEventNumber(event, source, num);
  }

  /** The engine's alerts for one event, made storable (bounds, dedup key, entities) into `alerts`. */
  private addAlerts(
    alerts: AlertInput[],
    produced: readonly EngineAlert[],
    ev: IngestEvent,
    received: Date,
  ): void {
    for (const a of produced) {
      const priority = normalizePriority(a.priority) ?? 'debug';
      const time = new Date(a.time);
      const stored = storableAlert(
        {
          rule: a.rule,
          priority,
          source: a.source,
          output: a.output,
          outputFields: a.output_fields,
          tags: ev.test ? [...a.tags, TEST_EVENT_TAG] : a.tags,
          hostname: ev.hostname ?? hostnameOf(ev.event) ?? (a.hostname || null),
          eventTime: Number.isNaN(time.getTime()) ? (ev.eventTime ?? received) : time,
          dedupKey: dedupKeyOf(a.rule, a.output_fields),
          ingestKey: ev.ingestKey,
        },
        received,
      );
      // What it names, from its output fields and the event itself (the engine's mapping).
      stored.entities = alertEntities(stored.source, stored.outputFields, stored.hostname, ev.event);
      alerts.push(stored);
    }
  }

  async process(item: WorkItem): Promise<SubmitResult> {
    const { metrics } = this.deps;
    const { origin } = item;
    const alerts: AlertInput[] = [];
    let rawEvents: RawEventInput[] | undefined;
    let count: number;
    if (item.kind === 'events') {
      // Raw events are kept whole: rows are built into events first.
      if (item.storeRaw && item.rows !== undefined) item = withRowsBuilt(item) as typeof item;
      count = workSize(item);
      // Read once: the whole item is evaluated by one version even if a swap happens meanwhile.
      const rules = await this.deps.rules.get(origin.environmentId);
      const received = new Date(item.receivedAt);
      const failed = (err: unknown, ev: IngestEvent) => {
        // A rule's extractor choking on an odd event must not cost the rest of the batch.
        metrics.drops.inc({ reason: 'evaluate_error' });
        this.deps.log.warn({ err, ingestKey: ev.ingestKey, source: ev.source }, 'event evaluation failed');
      };
      for (const ev of item.events) {
        let produced: ReturnType<typeof rules.evaluate>;
        try {
          produced = rules.evaluate(this.numbered(ev.source, ev.event), ev.source);
        } catch (err) {
          failed(err, ev);
          continue;
        }
        if (produced.length > 0) this.addAlerts(alerts, produced, ev, received);
      }
      // Rows (sensor batches of version 3): a row whose type no rule may match raises nothing,
      // so it is never built; the others are built for the engine, and keyed only when they alert.
      const rows = item.rows;
      if (rows !== undefined) {
        for (let k = 0; k < rows.length; k++) {
          if (!rules.mayMatchSyscallType(rows.type(k))) continue;
          const event = rows.event(k);
          let produced: ReturnType<typeof rules.evaluate>;
          try {
            produced = rules.evaluate(event, 'syscall');
          } catch (err) {
            failed(err, rows.ingestEvent(k, event));
            continue;
          }
          if (produced.length > 0) this.addAlerts(alerts, produced, rows.ingestEvent(k, event), received);
        }
      }
      if (item.storeRaw) {
        rawEvents = item.events.map((e) => ({
          source: e.source,
          eventTime: storableTime(e.eventTime, received),
          payload: e.event,
          ingestKey: storableIngestKey(e.ingestKey),
          entities: rawEventEntities(e.source, e.event),
        }));
      }
    } else {
      count = item.alerts.length;
      const received = new Date(item.receivedAt);
      for (const a of item.alerts) {
        const priority = normalizePriority(a.priority);
        if (!priority) {
          metrics.drops.inc({ reason: 'bad_priority' });
          continue;
        }
        alerts.push(
          storableAlert(
            {
              rule: a.rule,
              priority,
              source: a.source,
              output: a.output,
              outputFields: a.outputFields,
              tags: a.tags,
              hostname: a.hostname ?? null,
              eventTime: a.time,
              dedupKey: dedupKeyOf(a.rule, a.outputFields),
              ingestKey: a.ingestKey,
              // What it names, from its output fields (the event stayed with Falco).
              entities: alertEntities(a.source, a.outputFields, a.hostname),
            },
            received,
          ),
        );
      }
    }
    metrics.batchSeconds.observe({ stage: 'evaluate' }, (Date.now() - item.receivedAt) / 1000);
    let owes = false;
    if (this.deps.notify && alerts.length > 0) {
      const routes = await this.deps.notify.routes.get(origin.organizationId);
      if (routes.length > 0) {
        const plan = targetPlanner(
          new Map<string, CachedRoute>(routes.map((r) => [r.id, r])),
          (this.deps.clock ?? Date.now)(),
        );
        for (const a of alerts) {
          const targets = matchRoutes(routes, { ...a, environmentId: origin.environmentId });
          if (targets.length > 0) {
            a.notify = plan(targets, a.priority);
            owes = true;
          }
        }
      }
    }
    const result = await this.deps.writer.submit({
      organizationId: origin.organizationId,
      environmentId: origin.environmentId,
      sensorId: origin.sensorId,
      cloudSourceId: origin.cloudSourceId,
      batchId: item.kind === 'events' ? item.batchId : undefined,
      eventCount: count,
      alerts,
      rawEvents,
    });
    metrics.batchSeconds.observe({ stage: 'commit' }, (Date.now() - item.receivedAt) / 1000);
    if (result.duplicate) {
      metrics.duplicates.inc({ source: origin.sensorId ? 'syscall' : 'cloud' });
      return { accepted: 0, duplicates: count, alerts: 0 };
    }
    for (const a of result.stored) metrics.alertsStored.inc({ priority: a.priority });
    if (owes && result.stored.length > 0) this.deps.notify?.owed();
    if (result.skipped > 0)
      metrics.duplicates.inc({ source: origin.sensorId ? 'syscall' : 'cloud' }, result.skipped);
    const { rejected } = result;
    if (rejected.length > 0) {
      metrics.drops.inc({ reason: 'refused_by_database' }, rejected.length);
      this.deps.log.warn(
        {
          // The database's reasons may quote the refused values: redacted like error messages.
          rejected: rejected
            .slice(0, 10)
            .map((r) => ({ ingestKey: r.ingestKey, reason: redactText(r.reason) })),
          count: rejected.length,
          environmentId: origin.environmentId,
        },
        'events refused by the database; the rest of the batch is stored',
      );
    }
    if (result.stored.length > 0) {
      this.deps.publisher.publish(
        origin.organizationId,
        origin.environmentId,
        result.stored,
        item.receivedAt,
      );
    }
    // Re-delivered events: raw events already stored (cloud sources), alerts already stored
    // (Falco alerts, one per event). Sensor batches are duplicates as a whole (above).
    const duplicates = Math.min(
      count - rejected.length,
      item.kind === 'events' ? result.rawDuplicates : result.skipped,
    );
    const out: SubmitResult = {
      accepted: count - duplicates - rejected.length,
      duplicates,
      alerts: result.stored.length,
    };
    if (result.stored.length > 0)
      out.storedAlerts = result.stored.map((a) => ({ id: a.id, rule: a.rule, priority: a.priority }));
    if (rejected.length > 0) out.rejected = rejected;
    return out;
  }
}

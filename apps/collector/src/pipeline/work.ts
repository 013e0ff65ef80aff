import type { ExternalAlert, IngestEvent, IngestOrigin } from './types.js';

/**
 * One unit of pipeline work: what ingest submitted, plus when it was received. It crosses process
 * boundaries as JSON (NATS mode), so dates travel as ISO strings (`encodeWork`/`decodeWork`).
 */
export type WorkItem =
  | {
      kind: 'events';
      origin: IngestOrigin;
      events: IngestEvent[];
      storeRaw: boolean;
      /** Sensor batch id: the batch is recorded with its alerts in one transaction. */
      batchId?: string;
      /** Epoch ms of receipt. */
      receivedAt: number;
      /** Keep in the on-disk spool when the database is unavailable (push senders). */
      spoolOnOutage?: boolean;
    }
  | {
      kind: 'alerts';
      origin: IngestOrigin;
      alerts: ExternalAlert[];
      receivedAt: number;
      spoolOnOutage?: boolean;
    };

/** Number of events or alerts in an item (the unit of admission control). */
export function workSize(item: WorkItem): number {
  return item.kind === 'events' ? item.events.length : item.alerts.length;
}

/** Serialises a work item (Dates as ISO strings). */
export function encodeWork(item: WorkItem): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(item));
}

/** Parses a serialised work item back, restoring Dates. */
export function decodeWork(bytes: Uint8Array): WorkItem {
  const item = JSON.parse(new TextDecoder().decode(bytes)) as WorkItem;
  if (item.kind === 'events') {
    for (const e of item.events) if (e.eventTime !== undefined) e.eventTime = new Date(e.eventTime);
  } else {
    for (const a of item.alerts) a.time = new Date(a.time);
  }
  return item;
}

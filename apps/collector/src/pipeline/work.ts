import { parseJsonBigInt, stringifyJsonExact } from '@peregrine/db';
import type { ExternalAlert, IngestEvent, IngestOrigin, SyscallRows } from './types.js';

/**
 * One unit of pipeline work: what ingest submitted, plus when it was received. It crosses process
 * boundaries as JSON (NATS mode), so dates travel as ISO strings (`encodeWork`/`decodeWork`).
 */
export type WorkItem =
  | {
      kind: 'events';
      origin: IngestOrigin;
      events: IngestEvent[];
      /**
       * Events after `events` still in their batch body (this process only: `withRowsBuilt`
       * turns them into `events` before an item is serialised).
       */
      rows?: SyscallRows | undefined;
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
  return item.kind === 'events' ? item.events.length + (item.rows?.length ?? 0) : item.alerts.length;
}

/** The item with its rows built into events (what leaves the process: spool, JetStream). */
export function withRowsBuilt(item: WorkItem): WorkItem {
  if (item.kind !== 'events' || item.rows === undefined) return item;
  const { rows, ...rest } = item;
  const events = item.events.slice();
  for (let k = 0; k < rows.length; k++) events.push(rows.ingestEvent(k));
  return { ...rest, events };
}

/** An external alert as it travels: output fields as exact JSON text (see `encodeWork`). */
type EncodedAlert = Omit<ExternalAlert, 'outputFields'> & {
  outputFields?: Record<string, unknown>;
  outputFieldsJson?: string;
};

/**
 * Serialises a work item (Dates as ISO strings). Alerts produced elsewhere (Falco) may carry
 * 64-bit integers as bigint in their output fields (nanosecond `evt.time`): those fields travel
 * as exact JSON text of their own, so the spool and JetStream hand them back unrounded.
 */
export function encodeWork(work: WorkItem): Uint8Array {
  const item = withRowsBuilt(work);
  const wire =
    item.kind === 'alerts'
      ? {
          ...item,
          alerts: item.alerts.map(
            ({ outputFields, ...a }): EncodedAlert => ({
              ...a,
              outputFieldsJson: stringifyJsonExact(outputFields),
            }),
          ),
        }
      : item;
  return new TextEncoder().encode(JSON.stringify(wire));
}

/** Parses a serialised work item back, restoring Dates and exact output fields. */
export function decodeWork(bytes: Uint8Array): WorkItem {
  const item = JSON.parse(new TextDecoder().decode(bytes)) as WorkItem;
  if (item.kind === 'events') {
    for (const e of item.events) if (e.eventTime !== undefined) e.eventTime = new Date(e.eventTime);
  } else {
    item.alerts = (item.alerts as EncodedAlert[]).map(({ outputFieldsJson, outputFields, ...a }) => ({
      ...a,
      time: new Date(a.time),
      // Items spooled by an earlier version carry plain `outputFields`.
      outputFields:
        outputFieldsJson !== undefined
          ? (parseJsonBigInt(outputFieldsJson) as Record<string, unknown>)
          : (outputFields ?? {}),
    }));
  }
  return item;
}

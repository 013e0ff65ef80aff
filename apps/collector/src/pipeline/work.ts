import { parseJsonBigInt, stringifyJsonExact } from '@peregrine/db';
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
export function encodeWork(item: WorkItem): Uint8Array {
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

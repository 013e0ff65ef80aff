import type { StoredAlertEvent } from '@peregrine/db';

/**
 * The event behind stored alerts whose raw event was not kept (sensor events, Falco's own
 * alerts): only the alerts' output fields remain, keyed by field name (`proc.name`, `fd.name`,
 * `evt.time`), which is the engine's flat-map event form. Fields no output named are missing, so
 * a condition reading them cannot match on either side: such events tell what changes among
 * conditions over the fields outputs carry, and `reproduced` says how often the active version
 * still raises the stored alert.
 */
export interface AlertEvent {
  /** `alert:<id of its first alert>`. */
  ref: string;
  source: string;
  /** As Postgres prints it. */
  time: string;
  /** The flat event: every output field of its alerts, and the host. */
  event: Record<string, unknown>;
  /** Rules of the stored alerts (what the environment raised on it then). */
  rules: string[];
}

/**
 * Groups consecutive alerts of one event (same ingest key; alerts without one stand alone) and
 * merges their output fields into one flat event.
 */
export function groupAlertEvents(rows: readonly StoredAlertEvent[]): AlertEvent[] {
  const out: AlertEvent[] = [];
  let current: AlertEvent | undefined;
  let currentKey: string | null = null;
  for (const row of rows) {
    if (current && row.ingestKey !== null && row.ingestKey === currentKey && row.source === current.source) {
      Object.assign(current.event, row.outputFields);
      current.rules.push(row.rule);
      continue;
    }
    const event: Record<string, unknown> = { ...row.outputFields };
    if (row.hostname && event['evt.hostname'] === undefined) event['evt.hostname'] = row.hostname;
    current = {
      ref: `alert:${row.id}`,
      source: row.source,
      time: row.time,
      event,
      rules: [row.rule],
    };
    currentKey = row.ingestKey;
    out.push(current);
  }
  return out;
}

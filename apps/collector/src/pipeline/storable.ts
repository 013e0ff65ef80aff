import { createHash } from 'node:crypto';
import type { AlertInput } from '@peregrine/db';

/**
 * The bounds Postgres puts on what an alert row may hold, applied in one place before the store
 * (the processor calls `storableAlert` and `storableTime`). Characters Postgres refuses are
 * handled earlier, at ingest (src/ingest/shared/clean-text.ts); these are the other values it
 * refuses, found in the schema:
 *
 * - timestamps: years 1 to 9999 only (year 0 and 5-digit years are refused, while RFC 3339
 *   parsing accepts `0000-…` and offsets can push `9999-12-31` past the end): out of range, the
 *   receipt time is stored as the event time (the original stays in the event's payload);
 * - btree index rows: at most 2704 bytes (error 54000). Alerts index (environmentId, rule,
 *   eventTime), (environmentId, hostname, eventTime) and, uniquely, (environmentId, ingestKey,
 *   rule); alert_rollups' primary key holds rule, source and hostname as `key` (bounded in SQL
 *   as well, prisma/migrations/*_bounded_rollup_keys). The bounds below, in UTF-16 code units
 *   (at most 3 UTF-8 bytes each), keep every such row under the limit together;
 * - GIN entries of alert_contents.tags: at most about 1.3 kB per tag.
 *
 * Truncation is visible (a trailing '…'); an over-long ingest key is replaced by its SHA-256
 * instead, so re-deliveries of the event still deduplicate.
 */

/** Longest rule name kept (512 x 3 bytes, plus an ingest key, fits one unique index row). */
export const MAX_RULE_LENGTH = 512;
/** Longest source name kept (Falco's are short identifiers: `syscall`, `k8s_audit`…). */
export const MAX_SOURCE_LENGTH = 128;
/** Longest hostname kept (a DNS name is at most 253 characters). */
export const MAX_HOSTNAME_LENGTH = 253;
/** Longest tag kept. */
export const MAX_TAG_LENGTH = 256;
/** Longest ingest key kept as it is; longer ones become `sha256:<hex>` of the key. */
export const MAX_INGEST_KEY_LENGTH = 200;

/** First and last instant Postgres stores in a timestamptz given as ISO text (years 1 to 9999). */
const MIN_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** `s` cut to at most `max` code units, ending in '…' when cut (never between a surrogate pair). */
export function truncateVisibly(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** The ingest key, or `sha256:<hex>` of it when longer than the index allows. */
export function storableIngestKey(key: string): string {
  if (key.length <= MAX_INGEST_KEY_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** `time` when Postgres can store it, else `fallback` (the receipt time). */
export function storableTime(time: Date | undefined, fallback: Date): Date {
  const ms = time?.getTime();
  return ms !== undefined && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS ? (time as Date) : fallback;
}

/** The alert with every indexed value within bounds and a storable event time. */
export function storableAlert(alert: AlertInput, received: Date): AlertInput {
  const rule = truncateVisibly(alert.rule, MAX_RULE_LENGTH);
  const source = truncateVisibly(alert.source, MAX_SOURCE_LENGTH);
  const hostname = alert.hostname === null ? null : truncateVisibly(alert.hostname, MAX_HOSTNAME_LENGTH);
  const ingestKey = storableIngestKey(alert.ingestKey);
  const eventTime = storableTime(alert.eventTime, received);
  let tags = alert.tags;
  for (const t of tags) {
    if (t.length > MAX_TAG_LENGTH) {
      tags = tags.map((x) => truncateVisibly(x, MAX_TAG_LENGTH));
      break;
    }
  }
  if (
    rule === alert.rule &&
    source === alert.source &&
    hostname === alert.hostname &&
    ingestKey === alert.ingestKey &&
    eventTime === alert.eventTime &&
    tags === alert.tags
  )
    return alert;
  return { ...alert, rule, source, hostname, ingestKey, eventTime, tags };
}

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import { type AlertFilter, alertWhere } from './web-alerts-filter.js';

/**
 * One alert as exported: Falco's JSON output fields, with the values that must stay exact kept as
 * the database prints them.
 */
export interface AlertExportRow {
  /** Decimal alert id (unique; the keyset's tie-breaker). */
  id: string;
  /** Falco's `time`: UTC ISO-8601 with nine fractional digits and `Z`. */
  time: string;
  rule: string;
  priority: string;
  source: string;
  output: string;
  /**
   * The output fields as JSON text straight from jsonb: 64-bit integers such as `evt.time`
   * (nanoseconds) stay exact, where a JavaScript number would round them.
   */
  outputFieldsJson: string;
  tags: string[];
  hostname: string | null;
}

interface RawExportRow extends AlertExportRow {
  eventTimeText: string;
}

/** Rows read per query: a few megabytes at most, whatever the export's size. */
export const EXPORT_PAGE_ROWS = 1000;

/**
 * Every alert matching the filter, newest first, one page at a time by keyset on (eventTime, id):
 * each query is as cheap as the first and the caller holds one page at a time, so an export of
 * millions of alerts streams in bounded memory. Alerts arriving meanwhile above the first page are
 * not included; none is read twice or skipped.
 */
export async function* exportAlerts(
  db: Db,
  filter: AlertFilter,
  pageRows: number = EXPORT_PAGE_ROWS,
): AsyncGenerator<AlertExportRow[]> {
  const limit = Math.max(1, Math.min(10_000, Math.floor(pageRows)));
  let after: { eventTimeText: string; id: string } | null = null;
  for (;;) {
    const keyset: Prisma.Sql = after
      ? Prisma.sql`AND (a."eventTime", a.id) < (${after.eventTimeText}::timestamptz, ${after.id}::bigint)`
      : Prisma.empty;
    const rows: RawExportRow[] = await db.prisma.$queryRaw<RawExportRow[]>`
      SELECT a.id::text AS id,
        to_char(a."eventTime" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z' AS time,
        a.rule, a.priority::text AS priority, a.source, a.output, a."outputFields"::text AS "outputFieldsJson",
        a.tags, a.hostname, a."eventTime"::text AS "eventTimeText"
      FROM alerts a
      WHERE ${alertWhere(filter)} ${keyset}
      ORDER BY a."eventTime" DESC, a.id DESC
      LIMIT ${limit}`;
    if (rows.length === 0) return;
    yield rows.map(({ eventTimeText: _, ...row }) => row);
    if (rows.length < limit) return;
    const last = rows.at(-1) as RawExportRow;
    after = { eventTimeText: last.eventTimeText, id: last.id };
  }
}

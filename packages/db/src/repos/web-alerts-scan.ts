import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus } from '../generated/prisma/enums.js';
import { parseJsonExact } from './json-exact.js';

/** One alert of a rule as a scan reads it: enough to match its output fields and list it. */
export interface ScannedAlert {
  id: string;
  eventTime: Date;
  hostname: string | null;
  output: string;
  status: AlertStatus;
  /** Alerts with the same content (message, fields, tags) share it: a match can be remembered. */
  contentHash: string | null;
  /** Falco's output fields, 64-bit integers kept exact as decimal strings. */
  outputFields: Record<string, unknown>;
}

interface RawScanRow extends Omit<ScannedAlert, 'outputFields'> {
  outputFields: string | null;
  eventTimeText: string;
}

/** Rows read per query. */
export const SCAN_PAGE_ROWS = 1000;

/**
 * Every alert of one rule in one environment since `since`, newest first, a page at a time by
 * keyset on (eventTime, id) over the (environment, rule, eventTime) index: the caller holds one
 * page at a time, however many alerts there are. Alerts of another organisation are never read.
 */
export async function* scanRuleAlerts(
  db: Db,
  input: { organizationId: string; environmentId: string; rule: string; since: Date },
  pageRows: number = SCAN_PAGE_ROWS,
): AsyncGenerator<ScannedAlert[]> {
  const limit = Math.max(1, Math.min(10_000, Math.floor(pageRows)));
  let after: { eventTimeText: string; id: string } | null = null;
  for (;;) {
    const keyset: Prisma.Sql = after
      ? Prisma.sql`AND (a."eventTime", a.id) < (${after.eventTimeText}::timestamptz, ${after.id}::bigint)`
      : Prisma.empty;
    const rows: RawScanRow[] = await db.prisma.$queryRaw<RawScanRow[]>`
      SELECT a.id::text AS id, a."eventTime", a."eventTime"::text AS "eventTimeText", a.hostname, a.output,
        a.status::text AS status, a."contentHash"::text AS "contentHash", a."outputFields"::text AS "outputFields"
      FROM alerts a
      WHERE a."environmentId" = ${input.environmentId}::uuid
        AND a."organizationId" = ${input.organizationId}::uuid
        AND a.rule = ${input.rule}
        AND a."eventTime" >= ${input.since}
        ${keyset}
      ORDER BY a."eventTime" DESC, a.id DESC
      LIMIT ${limit}`;
    if (rows.length === 0) return;
    yield rows.map(({ eventTimeText: _, outputFields, ...row }) => {
      const fields = outputFields === null ? null : parseJsonExact(outputFields);
      return {
        ...row,
        outputFields:
          fields && typeof fields === 'object' && !Array.isArray(fields)
            ? (fields as Record<string, unknown>)
            : {},
      };
    });
    if (rows.length < limit) return;
    const last = rows.at(-1) as RawScanRow;
    after = { eventTimeText: last.eventTimeText, id: last.id };
  }
}

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';

/** Repeated alerts of one rule with the same key fields. */
export interface AlertGroupRow {
  id: string;
  environmentId: string;
  rule: string;
  priority: Priority;
  source: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastOutput: string;
  status: AlertStatus;
  assigneeId: string | null;
  assigneeName: string | null;
  /** Alerts of the group still open, counted up to `OPEN_COUNT_CAP`. */
  openCount: number;
}

/** Counting stops here ("100+"): a group can hold millions of alerts. */
export const OPEN_COUNT_CAP = 100;

export interface AlertGroupFilter {
  organizationId: string;
  environmentIds?: string[] | undefined;
  priority?: { op: 'gte' | 'eq'; value: Priority } | undefined;
  rules?: string[] | undefined;
  sources?: string[] | undefined;
  statuses?: AlertStatus[] | undefined;
  /** Groups seen at or after this time (their last alert). */
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Groups, most recently seen first, keyset-paginated on (lastSeenAt, id). */
export async function listAlertGroups(
  db: Db,
  filter: AlertGroupFilter,
  page: { limit: number; cursor?: string | null | undefined },
): Promise<{ rows: AlertGroupRow[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(200, Math.floor(page.limit)));
  const parts: Prisma.Sql[] = [Prisma.sql`g."organizationId" = ${filter.organizationId}::uuid`];
  if (filter.environmentIds?.length)
    parts.push(Prisma.sql`g."environmentId" = ANY(${filter.environmentIds}::uuid[])`);
  if (filter.priority) {
    const op = filter.priority.op === 'eq' ? Prisma.raw('=') : Prisma.raw('<=');
    parts.push(Prisma.sql`g.priority ${op} ${filter.priority.value}::"Priority"`);
  }
  if (filter.rules?.length) parts.push(Prisma.sql`g.rule = ANY(${filter.rules}::text[])`);
  if (filter.sources?.length) parts.push(Prisma.sql`g.source = ANY(${filter.sources}::text[])`);
  if (filter.statuses?.length) parts.push(Prisma.sql`g.status = ANY(${filter.statuses}::"AlertStatus"[])`);
  if (filter.from) parts.push(Prisma.sql`g."lastSeenAt" >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`g."firstSeenAt" < ${filter.to}`);
  if (page.cursor) {
    const [time, id] = Buffer.from(page.cursor, 'base64url').toString('utf8').split('|');
    if (time && id && !Number.isNaN(Date.parse(time)) && /^[0-9a-f-]{36}$/.test(id)) {
      parts.push(Prisma.sql`(g."lastSeenAt", g.id) < (${time}::timestamptz, ${id}::uuid)`);
    }
  }
  const rows = await db.prisma.$queryRaw<
    (Omit<AlertGroupRow, 'count'> & { count: bigint; lastSeenText: string })[]
  >`
    SELECT g.id::text AS id, g."environmentId"::text AS "environmentId", g.rule, g.priority::text AS priority,
      g.source, g.count, g."firstSeenAt", g."lastSeenAt", g."lastSeenAt"::text AS "lastSeenText", g."lastOutput",
      g.status::text AS status, g."assigneeId", u.name AS "assigneeName",
      (SELECT count(*) FROM (SELECT 1 FROM alerts x WHERE x."groupId" = g.id AND x.status = 'open'
                             LIMIT ${OPEN_COUNT_CAP}) o) AS "openCount"
    FROM alert_groups g LEFT JOIN "user" u ON u.id = g."assigneeId"
    WHERE ${Prisma.join(parts, ' AND ')}
    ORDER BY g."lastSeenAt" DESC, g.id DESC
    LIMIT ${limit + 1}`;
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    rows: kept.map(({ lastSeenText: _, count, openCount, ...rest }) => ({
      ...rest,
      count: Number(count),
      openCount: Number(openCount),
    })),
    nextCursor: more && last ? Buffer.from(`${last.lastSeenText}|${last.id}`).toString('base64url') : null,
  };
}

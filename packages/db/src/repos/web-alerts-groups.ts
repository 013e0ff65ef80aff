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
  /**
   * The group's alerts per triage status, each counted up to `OPEN_COUNT_CAP` (statuses with no
   * alert left out): the group row's own `status` is only where the group started.
   */
  statusCounts: Partial<Record<AlertStatus, number>>;
  /**
   * Who the group's alerts are assigned to: `none` (nobody), `one` (every alert to `assigneeId`),
   * `mixed` (several people, or some assigned and some not).
   */
  assignment:
    | { kind: 'none' }
    | { kind: 'one'; assigneeId: string; assigneeName: string | null }
    | { kind: 'mixed' };
}

/** Counting stops here ("100+"): a group can hold millions of alerts. */
export const OPEN_COUNT_CAP = 100;

interface RawGroupRow extends Omit<AlertGroupRow, 'count' | 'statusCounts' | 'assignment' | 'openCount'> {
  count: bigint;
  lastSeenText: string;
  openCount: bigint;
  acknowledgedCount: bigint;
  resolvedCount: bigint;
  falsePositiveCount: bigint;
  anyUnassigned: boolean;
  someAssignee: string | null;
  someAssigneeName: string | null;
  otherAssignee: boolean;
}

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
  // Each state below stops at the first rows that answer it (a capped count, an EXISTS), so a
  // group of millions costs no more than the existing open count did.
  const capped = (status: AlertStatus) =>
    Prisma.sql`(SELECT count(*) FROM (SELECT 1 FROM alerts x WHERE x."groupId" = g.id
                AND x.status = ${status}::"AlertStatus" LIMIT ${OPEN_COUNT_CAP}) c)`;
  const rows = await db.prisma.$queryRaw<RawGroupRow[]>`
    SELECT g.id::text AS id, g."environmentId"::text AS "environmentId", g.rule, g.priority::text AS priority,
      g.source, g.count, g."firstSeenAt", g."lastSeenAt", g."lastSeenAt"::text AS "lastSeenText", g."lastOutput",
      g.status::text AS status, g."assigneeId", u.name AS "assigneeName",
      ${capped('open')} AS "openCount", ${capped('acknowledged')} AS "acknowledgedCount",
      ${capped('resolved')} AS "resolvedCount", ${capped('false_positive')} AS "falsePositiveCount",
      EXISTS (SELECT 1 FROM alerts x WHERE x."groupId" = g.id AND x."assigneeId" IS NULL) AS "anyUnassigned",
      s."assigneeId" AS "someAssignee", su.name AS "someAssigneeName",
      EXISTS (SELECT 1 FROM alerts x WHERE x."groupId" = g.id AND x."assigneeId" IS NOT NULL
              AND x."assigneeId" <> s."assigneeId") AS "otherAssignee"
    FROM alert_groups g LEFT JOIN "user" u ON u.id = g."assigneeId"
      LEFT JOIN LATERAL (SELECT x."assigneeId" FROM alerts x
                         WHERE x."groupId" = g.id AND x."assigneeId" IS NOT NULL LIMIT 1) s ON true
      LEFT JOIN "user" su ON su.id = s."assigneeId"
    WHERE ${Prisma.join(parts, ' AND ')}
    ORDER BY g."lastSeenAt" DESC, g.id DESC
    LIMIT ${limit + 1}`;
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    rows: kept.map(toGroupRow),
    nextCursor: more && last ? Buffer.from(`${last.lastSeenText}|${last.id}`).toString('base64url') : null,
  };
}

function toGroupRow(raw: RawGroupRow): AlertGroupRow {
  const {
    lastSeenText: _,
    count,
    openCount,
    acknowledgedCount,
    resolvedCount,
    falsePositiveCount,
    anyUnassigned,
    someAssignee,
    someAssigneeName,
    otherAssignee,
    ...rest
  } = raw;
  const statusCounts: Partial<Record<AlertStatus, number>> = {};
  const counted: [AlertStatus, bigint][] = [
    ['open', openCount],
    ['acknowledged', acknowledgedCount],
    ['resolved', resolvedCount],
    ['false_positive', falsePositiveCount],
  ];
  for (const [status, n] of counted) if (n > 0n) statusCounts[status] = Number(n);
  return {
    ...rest,
    count: Number(count),
    openCount: Number(openCount),
    statusCounts,
    assignment:
      someAssignee === null
        ? { kind: 'none' }
        : anyUnassigned || otherAssignee
          ? { kind: 'mixed' }
          : { kind: 'one', assigneeId: someAssignee, assigneeName: someAssigneeName },
  };
}

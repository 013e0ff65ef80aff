import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';
import { type AlertFilter, alertWhere, decodeAlertCursor, encodeAlertCursor } from './web-alerts-filter.js';

/** One alert as the console lists it. Ids are decimal strings (bigint does not cross JSON). */
export interface AlertListRow {
  id: string;
  environmentId: string;
  rule: string;
  priority: Priority;
  source: string;
  output: string;
  outputFields: Record<string, unknown>;
  tags: string[];
  hostname: string | null;
  eventTime: Date;
  createdAt: Date;
  status: AlertStatus;
  assigneeId: string | null;
  assigneeName: string | null;
  groupId: string | null;
}

export interface AlertListPage {
  rows: AlertListRow[];
  /** Cursor of the page after this one; null on the last page. */
  nextCursor: string | null;
}

interface RawListRow extends Omit<AlertListRow, 'outputFields'> {
  outputFields: unknown;
  eventTimeText: string;
}

const LIST_COLUMNS = Prisma.sql`
  a.id::text AS id, a."environmentId"::text AS "environmentId", a.rule, a.priority::text AS priority,
  a.source, a.output, a."outputFields", a.tags, a.hostname, a."eventTime", a."eventTime"::text AS "eventTimeText",
  a."createdAt", a.status::text AS status, a."assigneeId", u.name AS "assigneeName", a."groupId"::text AS "groupId"`;

function toRow(raw: RawListRow): AlertListRow {
  const { eventTimeText: _, outputFields, ...rest } = raw;
  return {
    ...rest,
    outputFields:
      outputFields && typeof outputFields === 'object' && !Array.isArray(outputFields)
        ? (outputFields as Record<string, unknown>)
        : {},
  };
}

/**
 * One page of alerts, newest event first, by keyset on (eventTime, id): constant cost however deep
 * the page, and stable while new alerts arrive at the top.
 */
export async function listAlerts(
  db: Db,
  filter: AlertFilter,
  page: { limit: number; cursor?: string | null | undefined },
): Promise<AlertListPage> {
  const limit = Math.max(1, Math.min(500, Math.floor(page.limit)));
  const after = page.cursor ? decodeAlertCursor(page.cursor) : null;
  const keyset = after
    ? Prisma.sql`AND (a."eventTime", a.id) < (${after.eventTime}::timestamptz, ${after.id}::bigint)`
    : Prisma.empty;
  const rows = usesContainment(filter)
    ? await listInWindows(db, filter, keyset, after ? new Date(after.eventTime) : new Date(), limit + 1)
    : await db.prisma.$queryRaw<RawListRow[]>`
        SELECT ${LIST_COLUMNS}
        FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
        WHERE ${alertWhere(filter)} ${keyset}
        ORDER BY a."eventTime" DESC, a.id DESC
        LIMIT ${limit + 1}`;
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    rows: kept.map(toRow),
    nextCursor: more && last ? encodeAlertCursor(last.eventTimeText, last.id) : null,
  };
}

/**
 * Output-field, tag and free-text conditions are served by GIN indexes whose selectivity
 * Postgres cannot estimate (a fixed guess for `@>` and `ILIKE`). Given ORDER BY eventTime LIMIT n
 * it then bets on walking the time index until n rows pass the filter, which for a rare value
 * means reading most of the table. Those filters go through `listInWindows` instead.
 */
function usesContainment(filter: AlertFilter): boolean {
  return Boolean(filter.text || filter.fields?.length || filter.tags?.length);
}

/** Time windows back from the anchor, growing; the last one is unbounded. */
const WINDOWS_MS = [3_600_000, 86_400_000, 7 * 86_400_000, null] as const;

/**
 * Newest-first rows for containment filters, one bitmap scan per time window (GIN AND time
 * range; plain index scans are switched off for these statements only), growing the window until
 * the page is full. Cost per window is bounded by the GIN matches plus the rows in the window,
 * so a rare value costs a few cheap index scans and a common one is served by the first window.
 */
async function listInWindows(
  db: Db,
  filter: AlertFilter,
  keyset: Prisma.Sql,
  anchor: Date,
  want: number,
): Promise<RawListRow[]> {
  const where = alertWhere(filter);
  return db.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SET LOCAL enable_indexscan = off`;
    await tx.$executeRaw`SET LOCAL enable_indexonlyscan = off`;
    await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
    const collected: RawListRow[] = [];
    let upper: Date | null = null;
    for (const span of WINDOWS_MS) {
      let lower: Date | null = span === null ? null : new Date(anchor.getTime() - span);
      // The filter's own lower bound is already in `where`: no window needs to reach past it.
      if (lower && filter.from && lower <= filter.from) lower = null;
      const rows = await tx.$queryRaw<RawListRow[]>`
        SELECT ${LIST_COLUMNS}
        FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
        WHERE ${where} ${keyset}
          ${upper ? Prisma.sql`AND a."eventTime" < ${upper}` : Prisma.empty}
          ${lower ? Prisma.sql`AND a."eventTime" >= ${lower}` : Prisma.empty}
        ORDER BY a."eventTime" DESC, a.id DESC
        LIMIT ${want - collected.length}`;
      collected.push(...rows);
      if (collected.length >= want || lower === null) break;
      upper = lower;
    }
    return collected;
  });
}

/** Alerts by id within one organisation (for rows pushed live, which the client re-reads). */
export async function getAlertsByIds(db: Db, organizationId: string, ids: string[]): Promise<AlertListRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.prisma.$queryRaw<RawListRow[]>`
    SELECT ${LIST_COLUMNS}
    FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
    WHERE a."organizationId" = ${organizationId}::uuid AND a.id = ANY(${ids}::bigint[])
    ORDER BY a."eventTime" DESC, a.id DESC`;
  return rows.map(toRow);
}

/**
 * How many alerts match, and the highest matching id: a bulk action confirmed for "these N alerts"
 * passes that id so alerts arriving after the confirmation are left alone.
 */
export async function countAlerts(
  db: Db,
  filter: AlertFilter,
): Promise<{ count: number; maxId: string | null }> {
  const rows = await db.prisma.$queryRaw<{ count: bigint; maxId: string | null }[]>`
    SELECT count(*) AS count, max(a.id)::text AS "maxId" FROM alerts a WHERE ${alertWhere(filter)}`;
  const row = rows[0];
  return { count: Number(row?.count ?? 0), maxId: row?.maxId ?? null };
}

/** Values offered in the filter bar: rules and sources seen (from groups, far fewer rows), hosts recently seen. */
export async function getAlertFacets(
  db: Db,
  scope: { organizationId: string; environmentIds?: string[] | undefined },
): Promise<{ rules: string[]; sources: string[]; hostnames: string[]; tags: string[] }> {
  const env = scope.environmentIds?.length
    ? Prisma.sql`AND "environmentId" = ANY(${scope.environmentIds}::uuid[])`
    : Prisma.empty;
  const [rules, sources, recent] = await Promise.all([
    db.prisma.$queryRaw<{ v: string }[]>`
      SELECT DISTINCT rule AS v FROM alert_groups WHERE "organizationId" = ${scope.organizationId}::uuid ${env}
      ORDER BY 1 LIMIT 500`,
    db.prisma.$queryRaw<{ v: string }[]>`
      SELECT DISTINCT source AS v FROM alert_groups WHERE "organizationId" = ${scope.organizationId}::uuid ${env}
      ORDER BY 1 LIMIT 100`,
    // Hostnames and tags are not on groups: sample the newest alerts instead of scanning them all.
    db.prisma.$queryRaw<{ hostname: string | null; tags: string[] }[]>`
      SELECT hostname, tags FROM alerts WHERE "organizationId" = ${scope.organizationId}::uuid ${env}
      ORDER BY "eventTime" DESC LIMIT 5000`,
  ]);
  const hosts = new Set<string>();
  const tags = new Set<string>();
  for (const row of recent) {
    if (row.hostname) hosts.add(row.hostname);
    for (const tag of row.tags) tags.add(tag);
  }
  return {
    rules: rules.map((r) => r.v),
    sources: sources.map((r) => r.v),
    hostnames: [...hosts].sort().slice(0, 500),
    tags: [...tags].sort().slice(0, 500),
  };
}

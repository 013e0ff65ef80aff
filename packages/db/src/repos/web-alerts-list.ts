import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';
import {
  type AlertFilter,
  alertWhere,
  decodeAlertCursor,
  encodeAlertCursor,
  findContentHashes,
} from './web-alerts-filter.js';

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
  // Content conditions (text, output fields, tags) are looked up in alert_contents first: no
  // match answers at once; up to MAX_CONTENT_HASHES matching contents become a list of hashes,
  // which the planner estimates from real statistics (unlike `@>` or `ILIKE` on alert rows, which
  // get fixed guesses) and serves by the contentHash index or by walking the time index; more
  // than that means a common condition, which checking rows newest first satisfies quickly.
  const contents = await findContentHashes(db, filter);
  if (contents.kind === 'hashes' && contents.hashes.length === 0) return { rows: [], nextCursor: null };
  const rows = await db.prisma.$queryRaw<RawListRow[]>`
    SELECT ${LIST_COLUMNS}
    FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
    WHERE ${alertWhere(filter, contents)} ${keyset}
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

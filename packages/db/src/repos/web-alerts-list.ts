import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';
import {
  type AlertFilter,
  alertWhere,
  type ContentMatch,
  decodeAlertCursor,
  encodeAlertCursor,
  findContentHashes,
  hasContentConditions,
  MAX_CONTENT_HASHES,
  withoutContentConditions,
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
  const rows = hasContentConditions(filter)
    ? await listByContent(db, filter, keyset, limit + 1)
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

/** Newest rows of the scope checked one by one before deciding how to look for the rest. */
const SAMPLE_ROWS = 2000;
/**
 * Rows a walk may still be expected to need before looking the matching contents up is worth
 * it: reading an alert_contents row and then its alerts costs about what checking a few alert
 * rows does.
 */
const WALK_BUDGET_ROWS = 15_000;
/** The most content hashes looked up for a rare condition (a list of hashes beyond that is no cheaper). */
const MAX_RARE_CONTENT_HASHES = 20_000;

/**
 * Newest-first rows for content conditions (free text, output fields, tags), chosen by how common
 * the condition is where the page starts, measured rather than guessed (Postgres estimates
 * `ILIKE` and `@>` with fixed selectivities). The newest `SAMPLE_ROWS` rows of the scope are
 * checked one by one: a common condition fills the page there. Otherwise the density found says
 * how far a walk would still have to go; within `WALK_BUDGET_ROWS` it goes on walking, and beyond
 * that (a rare condition) the matching contents are looked up in alert_contents, up to a quarter
 * of the expected walk, and their alerts read by hash. Walks are forced onto the time index
 * (`SET LOCAL`, these statements only): with a guessed selectivity the planner may prefer a full
 * scan and sort.
 */
async function listByContent(
  db: Db,
  filter: AlertFilter,
  keyset: Prisma.Sql,
  want: number,
): Promise<RawListRow[]> {
  const scope = alertWhere(withoutContentConditions(filter));
  const rowCheck = alertWhere(filter, { kind: 'scan' });
  // One statement walks the sample: its matches, and its last row (rn = SAMPLE_ROWS) to go on from.
  const sampled = await db.prisma.$transaction(async (tx) => {
    await walkTimeIndex(tx);
    return tx.$queryRaw<(RawListRow & { hit: boolean; rn: bigint })[]>`
      SELECT ${LIST_COLUMNS}, a.hit, a.rn
      FROM (SELECT a.*, (${rowCheck}) AS hit,
                   row_number() OVER (ORDER BY a."eventTime" DESC, a.id DESC) AS rn
            FROM alerts a WHERE ${scope} ${keyset}
            ORDER BY a."eventTime" DESC, a.id DESC LIMIT ${SAMPLE_ROWS}) a
        LEFT JOIN "user" u ON u.id = a."assigneeId"
      WHERE a.hit OR a.rn = ${SAMPLE_ROWS}
      ORDER BY a."eventTime" DESC, a.id DESC
      LIMIT ${want + 1}`;
  });
  const rows: RawListRow[] = sampled
    .filter((r) => r.hit)
    .slice(0, want)
    .map(({ hit: _, rn: __, ...row }) => row);
  const edge = sampled.find((r) => Number(r.rn) === SAMPLE_ROWS);
  // A full page, or a scope of fewer rows than the sample (every row was checked): done.
  if (rows.length >= want || !edge) return rows;
  const need = want - rows.length;
  const below = Prisma.sql`AND (a."eventTime", a.id) < (${edge.eventTimeText}::timestamptz, ${edge.id}::bigint)`;
  const expectedWalk = rows.length > 0 ? (need * SAMPLE_ROWS) / rows.length : Number.POSITIVE_INFINITY;
  let contents: ContentMatch = { kind: 'scan' };
  if (expectedWalk > WALK_BUDGET_ROWS) {
    const cap = Math.max(MAX_CONTENT_HASHES, Math.min(MAX_RARE_CONTENT_HASHES, Math.floor(expectedWalk / 4)));
    contents = await findContentHashes(db, filter, cap);
    if (contents.kind === 'hashes' && contents.hashes.length === 0) return rows;
  }
  const rest = await db.prisma.$transaction(async (tx) => {
    if (contents.kind === 'scan') await walkTimeIndex(tx);
    return tx.$queryRaw<RawListRow[]>`
      SELECT ${LIST_COLUMNS}
      FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
      WHERE ${alertWhere(filter, contents)} ${keyset} ${below}
      ORDER BY a."eventTime" DESC, a.id DESC
      LIMIT ${need}`;
  });
  return [...rows, ...rest];
}

/** For the rest of the transaction, read alerts newest first along the time index. */
async function walkTimeIndex(tx: Prisma.TransactionClient): Promise<void> {
  // set_config(..., true) is SET LOCAL; both in one round trip.
  await tx.$queryRaw`SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`;
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

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';
import {
  type AlertFilter,
  alertWhere,
  decodeAlertCursor,
  encodeAlertCursor,
  findContentHashes,
  hasContentConditions,
  LINE_TIME_FIELDS,
  MAX_CONTENT_HASHES,
  withoutContentConditions,
} from './web-alerts-filter.js';
import { alertWeekStart, WEEK_MS } from './alert-retention.js';
import { parseJsonExact } from './json-exact.js';

/**
 * One alert as the console lists it. Ids are decimal strings (bigint does not cross JSON), and so
 * are output field integers beyond 2^53 (`evt.time` in nanoseconds), kept exact.
 */
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

export interface RawListRow extends Omit<AlertListRow, 'outputFields'> {
  /** jsonb as text: the driver's own JSON.parse would round 64-bit integers (nanosecond times). */
  outputFields: string | null;
  eventTimeText: string;
}

const LIST_COLUMNS = Prisma.sql`
  a.id::text AS id, a."environmentId"::text AS "environmentId", a.rule, a.priority::text AS priority,
  a.source, a.output, a."outputFields"::text AS "outputFields", a.tags, a.hostname, a."eventTime", a."eventTime"::text AS "eventTimeText",
  a."createdAt", a.status::text AS status, a."assigneeId", u.name AS "assigneeName", a."groupId"::text AS "groupId"`;

function toRow(raw: RawListRow): AlertListRow {
  const { eventTimeText: _, outputFields: text, ...rest } = raw;
  const outputFields = text === null ? null : parseJsonExact(text);
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

/** Weeks the rare path reads one at a time before reading the rest at once. */
const WEEKS_ONE_BY_ONE = 8;

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

type CheckedRow = RawListRow & { hit: boolean; rn: bigint };

/**
 * Newest-first rows for content conditions (free text, output fields, tags), chosen by how common
 * the condition is where the page starts, measured rather than guessed (Postgres estimates
 * `ILIKE` and `@>` with fixed selectivities). The newest `SAMPLE_ROWS` rows of the scope are
 * checked one by one: a common condition fills the page there. Otherwise the density found says
 * how far a walk would still have to go; within `WALK_BUDGET_ROWS` it goes on walking, and beyond
 * that (a rare condition) the matching contents are looked up in alert_contents, up to a quarter
 * of the expected walk, and their alerts read by hash.
 */
async function listByContent(
  db: Db,
  filter: AlertFilter,
  keyset: Prisma.Sql,
  want: number,
): Promise<RawListRow[]> {
  const rows: RawListRow[] = [];
  let walk = await checkNewest(db, filter, keyset, Prisma.empty, SAMPLE_ROWS, want);
  rows.push(...walk.rows);
  if (rows.length >= want || !walk.edge) return rows;
  const expectedWalk =
    rows.length > 0 ? ((want - rows.length) * SAMPLE_ROWS) / rows.length : Number.POSITIVE_INFINITY;
  if (expectedWalk > WALK_BUDGET_ROWS) {
    const cap = Math.max(MAX_CONTENT_HASHES, Math.min(MAX_RARE_CONTENT_HASHES, Math.floor(expectedWalk / 4)));
    const contents = await findContentHashes(db, filter, cap);
    if (contents.kind === 'hashes') {
      if (contents.hashes.length === 0) return rows;
      const from = Prisma.sql`${keyset} ${below(walk.edge)}`;
      rows.push(
        ...(indexOnlyScope(filter)
          ? await newestByContentIndex(db, filter, from, contents.hashes, want - rows.length, {
              newestAt: walk.edge.eventTimeText,
            })
          : await db.prisma.$queryRaw<RawListRow[]>`
              SELECT ${LIST_COLUMNS}
              FROM alerts a LEFT JOIN "user" u ON u.id = a."assigneeId"
              WHERE ${alertWhere(filter, contents)} ${from}
              ORDER BY a."eventTime" DESC, a.id DESC
              LIMIT ${want - rows.length}`),
      );
      return rows;
    }
  }
  // Walk on from where the sample stopped, each stretch twice as long as the last.
  let stretch = Math.min(WALK_BUDGET_ROWS, Math.max(SAMPLE_ROWS, Math.ceil(expectedWalk * 1.5)));
  while (rows.length < want && walk.edge) {
    walk = await checkNewest(db, filter, keyset, below(walk.edge), stretch, want - rows.length);
    rows.push(...walk.rows);
    stretch *= 2;
  }
  return rows;
}

/**
 * True when everything the filter asks of an alert besides its content is in the index on
 * (contentHash, environmentId, eventTime, id): organisation, environments and time range. A
 * condition on the line's time (`evt.time`) is not part of the content, so it is not either.
 */
function indexOnlyScope(filter: AlertFilter): boolean {
  return (
    !filter.priority &&
    !filter.rules?.length &&
    !filter.sources?.length &&
    !filter.hostnames?.length &&
    !filter.statuses?.length &&
    !filter.assignees?.length &&
    !filter.groupId &&
    !(filter.fields ?? []).some((f) => LINE_TIME_FIELDS.includes(f.key))
  );
}

/**
 * The newest `want` alerts of the scope whose content is one of `hashes`, for a scope the index on
 * (contentHash, environmentId, eventTime, id) holds (`indexOnlyScope`). The page's candidates come
 * from the index alone; only they are read from the table, and checked there against the whole
 * filter (a content hash is 128 bits of SHA-256, so a row that fails is a collision: it is left
 * out and the next candidates are read). Every alert of every matching content was read from the
 * table before: at 10M alerts with repeating contents, ~14 000 random reads for a page of 50.
 * `keyset`: further conditions on (eventTime, id) (a cursor's bound); `newestAt`: no candidate is
 * newer than this time (as Postgres prints it, exact: the bound's, when the caller knows it), so
 * weeks after it are not read; `weeksOneByOne`: weeks read one at a time before the rest at once.
 */
export async function newestByContentIndex(
  db: Db,
  filter: AlertFilter,
  keyset: Prisma.Sql,
  hashes: readonly string[],
  want: number,
  options: { newestAt?: string; weeksOneByOne?: number } = {},
): Promise<RawListRow[]> {
  const { newestAt, weeksOneByOne = WEEKS_ONE_BY_ONE } = options;
  const environments = filter.environmentIds?.length
    ? filter.environmentIds
    : (
        await db.prisma.$queryRaw<{ id: string }[]>`
          SELECT id::text AS id FROM environments WHERE "organizationId" = ${filter.organizationId}::uuid`
      ).map((e) => e.id);
  const from = filter.from ? Prisma.sql`AND a."eventTime" >= ${filter.from}` : Prisma.empty;
  const to = filter.to ? Prisma.sql`AND a."eventTime" < ${filter.to}` : Prisma.empty;
  const out: RawListRow[] = [];
  // Week by week, newest first: a week's candidates come from its own partition's index, and a
  // page the newest weeks fill reads no older partition (every partition at once cost one index
  // descent per content and partition: 237 of ~400 ms of a cold call at 10M alerts,
  // docs/BENCHMARKS.md). Each next week is the one of the scope's newest alert before the last
  // (each environment's time index), so empty weeks are skipped; after `weeksOneByOne` weeks the
  // rest is read at once, as before, so a scope with alerts scattered over years (a sensor with a
  // wrong clock) costs at most a few more statements.
  const newestBefore = async (bound: Prisma.Sql) => {
    const [r] = await db.prisma.$queryRaw<{ t: Date | null }[]>`
      SELECT max(m.t) AS t FROM unnest(${environments}::uuid[]) AS e(id)
      CROSS JOIN LATERAL (SELECT max(a."eventTime") AS t FROM alerts a
                          WHERE a."environmentId" = e.id ${bound} ${from} ${to}) m`;
    return r?.t ?? null;
  };
  const candidatesIn = async (window: Prisma.Sql) => {
    let bound = Prisma.empty;
    while (out.length < want) {
      const asked = want - out.length;
      const candidates = await db.prisma.$queryRaw<{ id: string; eventTimeText: string }[]>`
        SELECT a.id::text AS id, a."eventTime"::text AS "eventTimeText"
        FROM alerts a
        WHERE a."contentHash" = ANY(${hashes}::uuid[]) AND a."environmentId" = ANY(${environments}::uuid[])
          ${window} ${from} ${to} ${keyset} ${bound}
        ORDER BY a."eventTime" DESC, a.id DESC
        LIMIT ${asked}`;
      if (candidates.length === 0) return;
      const rows = await db.prisma.$queryRaw<RawListRow[]>`
        SELECT ${LIST_COLUMNS}
        FROM unnest(${candidates.map((c) => c.id)}::bigint[], ${candidates.map((c) => c.eventTimeText)}::timestamptz[]) AS t(id, at)
        JOIN alerts a ON a.id = t.id AND a."eventTime" = t.at
        LEFT JOIN "user" u ON u.id = a."assigneeId"
        WHERE ${alertWhere(filter, { kind: 'scan' })}
        ORDER BY a."eventTime" DESC, a.id DESC`;
      out.push(...rows);
      // Fewer candidates than asked: the window has no more.
      if (candidates.length < asked) return;
      bound = below(candidates.at(-1)!);
    }
  };
  let newest = await newestBefore(
    newestAt ? Prisma.sql`AND a."eventTime" <= ${newestAt}::timestamptz` : Prisma.empty,
  );
  for (let weeks = 0; newest !== null && out.length < want; weeks++) {
    const week = new Date(alertWeekStart(newest.getTime()));
    if (weeks === weeksOneByOne) {
      await candidatesIn(Prisma.sql`AND a."eventTime" < ${new Date(week.getTime() + WEEK_MS)}`);
      break;
    }
    await candidatesIn(
      Prisma.sql`AND a."eventTime" >= ${week} AND a."eventTime" < ${new Date(week.getTime() + WEEK_MS)}`,
    );
    newest = await newestBefore(Prisma.sql`AND a."eventTime" < ${week}`);
  }
  return out;
}

const below = (edge: { eventTimeText: string; id: string }) =>
  Prisma.sql`AND (a."eventTime", a.id) < (${edge.eventTimeText}::timestamptz, ${edge.id}::bigint)`;

/**
 * The next `count` rows of the scope, newest first, each checked against the content conditions:
 * up to `want` matches, and the last row checked (`edge`; null when the scope ran out first).
 * The scope alone chooses the plan (its conditions have real statistics, so Postgres walks the
 * time index for a stretch like this); the content conditions only filter what the walk yields.
 */
async function checkNewest(
  db: Db,
  filter: AlertFilter,
  keyset: Prisma.Sql,
  from: Prisma.Sql,
  count: number,
  want: number,
): Promise<{ rows: RawListRow[]; edge: RawListRow | null }> {
  const checked = await db.prisma.$queryRaw<CheckedRow[]>`
    SELECT ${LIST_COLUMNS}, a.hit, a.rn
    FROM (SELECT a.*, (${alertWhere(filter, { kind: 'scan' })}) AS hit,
                 row_number() OVER (ORDER BY a."eventTime" DESC, a.id DESC) AS rn
          FROM alerts a WHERE ${alertWhere(withoutContentConditions(filter))} ${keyset} ${from}
          ORDER BY a."eventTime" DESC, a.id DESC LIMIT ${count}) a
      LEFT JOIN "user" u ON u.id = a."assigneeId"
    WHERE a.hit OR a.rn = ${count}
    ORDER BY a."eventTime" DESC, a.id DESC
    LIMIT ${want + 1}`;
  const rows = checked.filter((r) => r.hit).slice(0, want);
  const edge = checked.find((r) => Number(r.rn) === count) ?? null;
  return { rows: rows.map(({ hit: _, rn: __, ...row }) => row), edge };
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

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Priority } from '../generated/prisma/enums.js';
import { type AlertFilter, alertWhere } from './web-alerts-filter.js';

export interface DashboardBucket {
  /** Start of the bucket. */
  bucket: Date;
  priority: Priority;
  count: number;
}

export interface DashboardCount {
  key: string;
  count: number;
}

export interface AlertDashboard {
  total: number;
  byPriority: { priority: Priority; count: number }[];
  overTime: DashboardBucket[];
  topRules: DashboardCount[];
  bySource: DashboardCount[];
  byHost: DashboardCount[];
  byNamespace: DashboardCount[];
  byStatus: DashboardCount[];
}

/** Dimensions kept in alert_rollups, and the column (or expression) each one counts. */
const DIMENSIONS = {
  rule: Prisma.sql`a.rule`,
  source: Prisma.sql`a.source`,
  host: Prisma.sql`a.hostname`,
  // Bounded as the rollup triggers bound it, so hours read from alerts merge with rollup hours.
  namespace: Prisma.sql`alert_rollup_key(a."outputFields"->>'k8s.ns.name')`,
  status: Prisma.sql`a.status::text`,
} as const;
type Dimension = keyof typeof DIMENSIONS;
const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

const HOUR = 3_600_000;
const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);
const ceilHour = (d: Date) => new Date(Math.ceil(d.getTime() / HOUR) * HOUR);

interface Partial {
  /** bucket ISO -> priority -> count */
  overTime: Map<string, Map<Priority, number>>;
  dims: Record<Dimension, Map<string, number>>;
}

function emptyPartial(): Partial {
  return {
    overTime: new Map(),
    dims: { rule: new Map(), source: new Map(), host: new Map(), namespace: new Map(), status: new Map() },
  };
}

function add<K>(map: Map<K, number>, key: K, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

const binSql = (column: Prisma.Sql, bucketSeconds: number, origin: Date) =>
  Prisma.sql`date_bin(${`${bucketSeconds} seconds`}::interval, ${column}, ${origin}::timestamptz)`;

/** Aggregates straight from alerts (any filter); `topN` null keeps every key for merging. */
async function fromAlerts(
  db: Db,
  filter: AlertFilter,
  bucketSeconds: number,
  origin: Date,
  topN: number | null,
  into: Partial,
): Promise<void> {
  const where = alertWhere(filter);
  const limit = topN === null ? Prisma.empty : Prisma.sql`LIMIT ${topN}`;
  const [overTime, ...dims] = await Promise.all([
    db.prisma.$queryRaw<{ bucket: Date; priority: Priority; count: bigint }[]>`
      SELECT ${binSql(Prisma.sql`a."eventTime"`, bucketSeconds, origin)} AS bucket, a.priority::text AS priority,
        count(*) AS count
      FROM alerts a WHERE ${where} GROUP BY 1, 2`,
    // Each aggregate is its own statement so they run on separate connections at once.
    ...DIMENSION_NAMES.map(
      (d) => db.prisma.$queryRaw<{ key: string | null; count: bigint }[]>`
        SELECT ${DIMENSIONS[d]} AS key, count(*) AS count FROM alerts a
        WHERE ${where} AND ${DIMENSIONS[d]} IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC, 1 ${limit}`,
    ),
  ]);
  for (const r of overTime) {
    const key = r.bucket.toISOString();
    const row = into.overTime.get(key) ?? new Map<Priority, number>();
    add(row, r.priority, Number(r.count));
    into.overTime.set(key, row);
  }
  DIMENSION_NAMES.forEach((d, i) => {
    for (const r of dims[i] ?? []) if (r.key !== null) add(into.dims[d], r.key, Number(r.count));
  });
}

/** Aggregates from the hourly rollups over whole hours [from, to). */
async function fromRollups(
  db: Db,
  scope: { organizationId: string; environmentIds?: string[] | undefined },
  from: Date,
  to: Date | null,
  bucketSeconds: number,
  origin: Date,
  into: Partial,
): Promise<void> {
  const where = Prisma.join(
    [
      Prisma.sql`r."organizationId" = ${scope.organizationId}::uuid`,
      scope.environmentIds?.length
        ? Prisma.sql`r."environmentId" = ANY(${scope.environmentIds}::uuid[])`
        : Prisma.sql`TRUE`,
      Prisma.sql`r.bucket >= ${from}`,
      to ? Prisma.sql`r.bucket < ${to}` : Prisma.sql`TRUE`,
    ],
    ' AND ',
  );
  // One statement per dimension: they run on separate connections (and cores) at once.
  const [overTime, ...dims] = await Promise.all([
    db.prisma.$queryRaw<{ bucket: Date; key: Priority; count: bigint }[]>`
      SELECT ${binSql(Prisma.sql`r.bucket`, bucketSeconds, origin)} AS bucket, r.key, sum(r.count)::bigint AS count
      FROM alert_rollups r WHERE ${where} AND r.dimension = 'priority' GROUP BY 1, 2`,
    ...DIMENSION_NAMES.map(
      (d) => db.prisma.$queryRaw<{ key: string; count: bigint }[]>`
        SELECT r.key, sum(r.count)::bigint AS count
        FROM alert_rollups r WHERE ${where} AND r.dimension = ${d} GROUP BY 1`,
    ),
  ]);
  for (const r of overTime) {
    const key = r.bucket.toISOString();
    const row = into.overTime.get(key) ?? new Map<Priority, number>();
    add(row, r.key, Number(r.count));
    into.overTime.set(key, row);
  }
  DIMENSION_NAMES.forEach((d, i) => {
    for (const r of dims[i] ?? []) add(into.dims[d], r.key, Number(r.count));
  });
}

/** Only organisation, environments and time: what the rollups can answer. */
function isScopeOnly(filter: AlertFilter): boolean {
  return !(
    filter.priority ||
    filter.rules?.length ||
    filter.sources?.length ||
    filter.tags?.length ||
    filter.anyTags?.length ||
    filter.hostnames?.length ||
    filter.statuses?.length ||
    filter.assignees?.length ||
    filter.text ||
    filter.fields?.length ||
    filter.groupId
  );
}

const top = (map: Map<string, number>, n: number): DashboardCount[] =>
  [...map]
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([key, count]) => ({ key, count }));

/**
 * The dashboard's aggregates over one filter (at least organisation and `from`), bucketed by
 * `bucketSeconds`. With only environment and time filters and whole-hour buckets, whole hours
 * come from alert_rollups and only the partial hours at the edges are counted from alerts;
 * any other filter aggregates alerts directly.
 */
export async function getAlertDashboard(
  db: Db,
  filter: AlertFilter,
  options: { bucketSeconds: number; topN?: number },
): Promise<AlertDashboard> {
  const n = options.topN ?? 10;
  const bucketSeconds = Math.max(60, Math.floor(options.bucketSeconds));
  const from = filter.from ?? new Date(0);
  const origin = floorHour(from);
  const parts = emptyPartial();
  const firstHour = ceilHour(from);
  const lastHour = filter.to ? floorHour(filter.to) : null;
  const rollups =
    isScopeOnly(filter) && bucketSeconds % 3600 === 0 && (lastHour === null || lastHour > firstHour);
  if (rollups) {
    const work: Promise<void>[] = [
      fromRollups(db, filter, firstHour, lastHour, bucketSeconds, origin, parts),
    ];
    if (from < firstHour)
      work.push(fromAlerts(db, { ...filter, from, to: firstHour }, bucketSeconds, origin, null, parts));
    if (lastHour && filter.to && lastHour < filter.to) {
      work.push(
        fromAlerts(db, { ...filter, from: lastHour, to: filter.to }, bucketSeconds, origin, null, parts),
      );
    }
    await Promise.all(work);
  } else {
    await fromAlerts(db, { ...filter, from }, bucketSeconds, origin, n, parts);
  }
  const totals = new Map<Priority, number>();
  const overTime: DashboardBucket[] = [];
  for (const [bucket, byPriority] of [...parts.overTime].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const [priority, count] of byPriority) {
      if (count <= 0) continue;
      overTime.push({ bucket: new Date(bucket), priority, count });
      add(totals, priority, count);
    }
  }
  return {
    total: [...totals.values()].reduce((s, c) => s + c, 0),
    byPriority: [...totals].map(([priority, count]) => ({ priority, count })),
    overTime,
    topRules: top(parts.dims.rule, n),
    bySource: top(parts.dims.source, n),
    byHost: top(parts.dims.host, n),
    byNamespace: top(parts.dims.namespace, n),
    byStatus: top(parts.dims.status, 10),
  };
}

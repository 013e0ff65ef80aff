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

const FIVE_MINUTES = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);

/** [from, to); `to` null: no end (only ever for the coarsest part of an open range). */
export type DashboardRange = [Date, Date | null];

/** Where the counts of each part of a range come from. */
export interface DashboardRangeSplit {
  /** Whole UTC days: alert_rollups_daily. */
  days: DashboardRange[];
  /** Whole UTC hours: alert_rollups. */
  hours: DashboardRange[];
  /** Whole five minutes (from the epoch): alert_rollups_5m. */
  fiveMinutes: DashboardRange[];
  /** What is left at the edges, under five minutes each: alerts. */
  alerts: [Date, Date][];
}

const GRAINS = [
  ['days', DAY],
  ['hours', HOUR],
  ['fiveMinutes', FIVE_MINUTES],
] as const;

/**
 * How [from, to) splits over the dashboard's four sources: the whole buckets of the coarsest grain
 * inside the range, then at each edge the whole buckets of the next grain, down to the partial
 * five minutes at each edge, read from alerts. Every instant of the range falls in exactly one
 * part; a part is [lo, hi) with lo < hi (hi null only for an open range's coarsest part). Without
 * `days` (the time axis, whose buckets need not line up with UTC days) hours are the coarsest.
 */
export function splitDashboardRange(
  from: Date,
  to: Date | null,
  options: { days?: boolean } = {},
): DashboardRangeSplit {
  const out: DashboardRangeSplit = { days: [], hours: [], fiveMinutes: [], alerts: [] };
  const grains = options.days === false ? GRAINS.slice(1) : GRAINS;
  const place = (lo: number, hi: number | null, level: number): void => {
    if (hi !== null && !(lo < hi)) return;
    const grain = grains[level];
    if (!grain) {
      // An open range always has a whole bucket of the coarsest grain, so `hi` is set here.
      out.alerts.push([new Date(lo), new Date(hi as number)]);
      return;
    }
    const [name, step] = grain;
    const first = Math.ceil(lo / step) * step;
    const last = hi === null ? null : Math.floor(hi / step) * step;
    if (last !== null && !(first < last)) {
      place(lo, hi, level + 1);
      return;
    }
    out[name].push([new Date(first), last === null ? null : new Date(last)]);
    place(lo, first, level + 1);
    if (last !== null) place(last, hi, level + 1);
  };
  place(from.getTime(), to ? to.getTime() : null, 0);
  return out;
}

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

const ROLLUP_TABLES = {
  days: Prisma.raw('alert_rollups_daily'),
  hours: Prisma.raw('alert_rollups'),
  fiveMinutes: Prisma.raw('alert_rollups_5m'),
} as const;

/**
 * Aggregates over [from, to) from the rollups (whole days, hours, five minutes) and, for the partial
 * five minutes at the edges, from alerts; one statement per dimension, so they run on separate
 * connections (and cores) at once. Exact: every instant of the range is counted once.
 */
async function fromRollups(
  db: Db,
  filter: AlertFilter & { from: Date },
  bucketSeconds: number,
  origin: Date,
  into: Partial,
): Promise<void> {
  const to = filter.to ?? null;
  const scope = Prisma.sql`r."organizationId" = ${filter.organizationId}::uuid AND ${
    filter.environmentIds?.length
      ? Prisma.sql`r."environmentId" = ANY(${filter.environmentIds}::uuid[])`
      : Prisma.sql`TRUE`
  }`;
  const within = ([lo, hi]: DashboardRange) =>
    hi ? Prisma.sql`r.bucket >= ${lo} AND r.bucket < ${hi}` : Prisma.sql`r.bucket >= ${lo}`;
  const rollupParts = (split: DashboardRangeSplit, dimension: string) =>
    (['days', 'hours', 'fiveMinutes'] as const).flatMap((grain) =>
      split[grain].map(
        (range) => Prisma.sql`
          SELECT r.bucket, r.key, r.count AS n FROM ${ROLLUP_TABLES[grain]} r
          WHERE ${scope} AND r.dimension = ${dimension} AND ${within(range)}`,
      ),
    );
  // The time axis: hours at most (its buckets start at the range's first hour, not a UTC day).
  const axis = splitDashboardRange(filter.from, to, { days: false });
  const totals = splitDashboardRange(filter.from, to);
  const bin = (column: Prisma.Sql) => binSql(column, bucketSeconds, origin);
  // The partial five minutes at each edge (the same in both splits) are read from alerts once,
  // every dimension in one statement: each alert there may sit on its own heap page.
  const edges = totals.alerts.map(
    ([lo, hi]) => Prisma.sql`SELECT * FROM alerts a WHERE ${alertWhere({ ...filter, from: lo, to: hi })}`,
  );
  // A range under ten minutes may have no rollup part at all.
  const axisParts = rollupParts(axis, 'priority');
  const [overTime, edgeRows, ...dims] = await Promise.all([
    axisParts.length === 0
      ? Promise.resolve([])
      : db.prisma.$queryRaw<{ bucket: Date; key: Priority; count: bigint }[]>`
          SELECT ${bin(Prisma.sql`t.bucket`)} AS bucket, t.key, sum(t.n)::bigint AS count
          FROM (${Prisma.join(axisParts, ' UNION ALL ')}) t GROUP BY 1, 2`,
    edges.length === 0
      ? Promise.resolve([])
      : db.prisma.$queryRaw<{ dimension: string; bucket: Date | null; key: string; count: bigint }[]>`
          SELECT d.dimension, CASE WHEN d.dimension = 'priority' THEN ${bin(Prisma.sql`a."eventTime"`)} END AS bucket,
            d.key, count(*) AS count
          FROM (${Prisma.join(edges, ' UNION ALL ')}) a
          CROSS JOIN LATERAL (VALUES ('priority', a.priority::text), ${Prisma.join(
            DIMENSION_NAMES.map((name) => Prisma.sql`(${name}, ${DIMENSIONS[name]})`),
          )}) AS d(dimension, key)
          WHERE d.key IS NOT NULL GROUP BY 1, 2, 3`,
    ...DIMENSION_NAMES.map((d) => {
      const parts = rollupParts(totals, d);
      return parts.length === 0
        ? Promise.resolve([])
        : db.prisma.$queryRaw<{ key: string; count: bigint }[]>`
            SELECT t.key, sum(t.n)::bigint AS count
            FROM (${Prisma.join(parts, ' UNION ALL ')}) t GROUP BY 1`;
    }),
  ]);
  const addOverTime = (bucket: Date, priority: Priority, count: number) => {
    const key = bucket.toISOString();
    const row = into.overTime.get(key) ?? new Map<Priority, number>();
    add(row, priority, count);
    into.overTime.set(key, row);
  };
  for (const r of overTime) addOverTime(r.bucket, r.key, Number(r.count));
  for (const r of edgeRows) {
    if (r.dimension === 'priority' && r.bucket) addOverTime(r.bucket, r.key as Priority, Number(r.count));
    else if (r.dimension in into.dims) add(into.dims[r.dimension as Dimension], r.key, Number(r.count));
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
 * `bucketSeconds`. With only environment and time filters and whole-hour buckets, the range is
 * summed from the rollups (whole UTC days for the totals, whole hours for the time axis, whole
 * five minutes around them) and only the partial five minutes at each edge are counted from
 * alerts, so figures stay exact and the alerts read are bounded by ten minutes' worth; any other
 * filter aggregates alerts directly.
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
  if (isScopeOnly(filter) && bucketSeconds % 3600 === 0) {
    if (!filter.to || from < filter.to)
      await fromRollups(db, { ...filter, from }, bucketSeconds, origin, parts);
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

/**
 * The dashboard's read as it was before 20261216200000_alert_rollups_5m_daily, kept only as the
 * benchmark's baseline (same client, same data, same run): whole UTC hours summed from
 * alert_rollups, the partial hours at both edges aggregated from alerts, one statement per
 * dimension. Only the organisation, environment and time scope the bench's dashboard cases use.
 */
import type { getDb } from '@peregrine/db';

type Db = ReturnType<typeof getDb>;
const HOUR = 3_600_000;
const DIMENSIONS: Record<string, string> = {
  rule: 'a.rule',
  source: 'a.source',
  host: 'a.hostname',
  namespace: `alert_rollup_key(a."outputFields"->>'k8s.ns.name')`,
  status: 'a.status::text',
};

/** Totals per dimension and priority over time, as plain maps (for timing and a sanity check). */
export async function dashboardWithHourEdges(
  db: Db,
  scope: { organizationId: string; environmentIds: string[]; from: Date; bucketSeconds: number },
): Promise<{ total: number; dims: Record<string, Map<string, number>> }> {
  const { organizationId, environmentIds, from, bucketSeconds } = scope;
  const origin = new Date(Math.floor(from.getTime() / HOUR) * HOUR);
  const firstHour = new Date(Math.ceil(from.getTime() / HOUR) * HOUR);
  const interval = `${bucketSeconds} seconds`;
  const rollupWhere = `r."organizationId" = $1::uuid AND r."environmentId" = ANY($2::uuid[]) AND r.bucket >= $3`;
  const alertWhere = `a."organizationId" = $1::uuid AND a."environmentId" = ANY($2::uuid[])
    AND a."eventTime" >= $3 AND a."eventTime" < $4`;
  const dims: Record<string, Map<string, number>> = {};
  let total = 0;
  const add = (d: string, key: string | null, n: bigint) => {
    if (key === null) return;
    const m = dims[d] ?? new Map<string, number>();
    m.set(key, (m.get(key) ?? 0) + Number(n));
    dims[d] = m;
  };
  const work: Promise<void>[] = [
    db.prisma
      .$queryRawUnsafe<{ key: string; count: bigint }[]>(
        `SELECT date_bin($4::interval, r.bucket, $5::timestamptz) AS bucket, r.key, sum(r.count)::bigint AS count
         FROM alert_rollups r WHERE ${rollupWhere} AND r.dimension = 'priority' GROUP BY 1, 2`,
        organizationId,
        environmentIds,
        firstHour,
        interval,
        origin,
      )
      .then((rows) => {
        for (const r of rows) total += Number(r.count);
      }),
    ...Object.keys(DIMENSIONS).map((d) =>
      db.prisma
        .$queryRawUnsafe<{ key: string; count: bigint }[]>(
          `SELECT r.key, sum(r.count)::bigint AS count FROM alert_rollups r
           WHERE ${rollupWhere} AND r.dimension = $4 GROUP BY 1`,
          organizationId,
          environmentIds,
          firstHour,
          d,
        )
        .then((rows) => {
          for (const r of rows) add(d, r.key, r.count);
        }),
    ),
  ];
  if (from < firstHour) {
    work.push(
      db.prisma
        .$queryRawUnsafe<{ count: bigint }[]>(
          `SELECT date_bin($5::interval, a."eventTime", $6::timestamptz) AS bucket, a.priority::text AS priority,
             count(*) AS count FROM alerts a WHERE ${alertWhere} GROUP BY 1, 2`,
          organizationId,
          environmentIds,
          from,
          firstHour,
          interval,
          origin,
        )
        .then((rows) => {
          for (const r of rows) total += Number(r.count);
        }),
      ...Object.entries(DIMENSIONS).map(([d, column]) =>
        db.prisma
          .$queryRawUnsafe<{ key: string | null; count: bigint }[]>(
            `SELECT ${column} AS key, count(*) AS count FROM alerts a
             WHERE ${alertWhere} AND ${column} IS NOT NULL GROUP BY 1`,
            organizationId,
            environmentIds,
            from,
            firstHour,
          )
          .then((rows) => {
            for (const r of rows) add(d, r.key, r.count);
          }),
      ),
    );
  }
  await Promise.all(work);
  return { total, dims };
}

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';

/** How many alerts carried one exact set of tags. */
export interface TagSetCount {
  tags: string[];
  count: number;
}

const HOUR = 3_600_000;

/**
 * Alert counts per distinct tag array in one environment over [from, to), for alerts with at
 * least one tag. Alerts of a rule carry the rule's tags, so there are about as many arrays as
 * rules: the caller maps each array once (the ATT&CK matrix: an alert tagged `T1003` and
 * `T1003.001` counts once for T1003), and counts stay exact per alert, which per-tag counts would
 * not be. Whole UTC hours are summed from alert_tag_rollups (hours x arrays rows, whatever the
 * alert count); only the partial hours at the edges are counted from alerts, as the dashboard
 * does, so the figures are exact.
 */
export async function countAlertsByTagSet(
  db: Db,
  scope: { organizationId: string; environmentId: string; from: Date; to: Date },
): Promise<TagSetCount[]> {
  const { organizationId, environmentId, from, to } = scope;
  const firstHour = new Date(Math.ceil(from.getTime() / HOUR) * HOUR);
  const lastHour = new Date(Math.floor(to.getTime() / HOUR) * HOUR);
  const fromAlerts = (lo: Date, hi: Date) => Prisma.sql`
    SELECT a.tags, count(*) AS n FROM alerts a
    WHERE a."environmentId" = ${environmentId}::uuid AND a."organizationId" = ${organizationId}::uuid
      AND a."eventTime" >= ${lo} AND a."eventTime" < ${hi} AND cardinality(a.tags) > 0
    GROUP BY a.tags`;
  const parts: Prisma.Sql[] = [];
  if (firstHour < lastHour) {
    parts.push(Prisma.sql`
      SELECT r.tags, r.count AS n FROM alert_tag_rollups r
      WHERE r."environmentId" = ${environmentId}::uuid AND r."organizationId" = ${organizationId}::uuid
        AND r.bucket >= ${firstHour} AND r.bucket < ${lastHour}`);
    if (from < firstHour) parts.push(fromAlerts(from, firstHour));
    if (lastHour < to) parts.push(fromAlerts(lastHour, to));
  } else if (from < to) {
    // No whole hour inside the range: it is all edge.
    parts.push(fromAlerts(from, to));
  }
  if (parts.length === 0) return [];
  const rows = await db.prisma.$queryRaw<{ tags: string[]; count: bigint }[]>`
    SELECT t.tags, sum(t.n)::bigint AS count FROM (${Prisma.join(parts, ' UNION ALL ')}) t
    GROUP BY t.tags HAVING sum(t.n) > 0`;
  return rows.map((r) => ({ tags: r.tags, count: Number(r.count) }));
}

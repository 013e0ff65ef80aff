import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';

/** How many alerts carried one exact set of tags. */
export interface TagSetCount {
  tags: string[];
  count: number;
}

const HOUR = 3_600_000;
/** The width of alert_tag_rollups_5m's buckets (`alert_tag_5m_bucket`: five minutes from the epoch). */
const FIVE_MINUTES = 300_000;

const ceilTo = (t: Date, step: number) => new Date(Math.ceil(t.getTime() / step) * step);
const floorTo = (t: Date, step: number) => new Date(Math.floor(t.getTime() / step) * step);

/**
 * How [from, to) splits over the three sources of tag counts: whole UTC hours (alert_tag_rollups),
 * whole five minutes around them (alert_tag_rollups_5m, at most 11 buckets per edge) and the
 * partial five minutes at the edges (alerts). Every instant of the range falls in exactly one
 * part; a part is [lo, hi) with lo < hi.
 */
export function splitTagCountRange(
  from: Date,
  to: Date,
): { hours: [Date, Date] | null; fiveMinutes: [Date, Date][]; alerts: [Date, Date][] } {
  const none = { hours: null, fiveMinutes: [], alerts: [] };
  if (!(from < to)) return none;
  const first5 = ceilTo(from, FIVE_MINUTES);
  const last5 = floorTo(to, FIVE_MINUTES);
  // No whole five minutes inside the range: it is all edge.
  if (!(first5 < last5)) return { ...none, alerts: [[from, to]] };
  const alerts: [Date, Date][] = [];
  if (from < first5) alerts.push([from, first5]);
  if (last5 < to) alerts.push([last5, to]);
  const firstHour = ceilTo(from, HOUR);
  const lastHour = floorTo(to, HOUR);
  if (!(firstHour < lastHour)) return { hours: null, fiveMinutes: [[first5, last5]], alerts };
  const fiveMinutes: [Date, Date][] = [];
  if (first5 < firstHour) fiveMinutes.push([first5, firstHour]);
  if (lastHour < last5) fiveMinutes.push([lastHour, last5]);
  return { hours: [firstHour, lastHour], fiveMinutes, alerts };
}

/**
 * Alert counts per distinct tag array in one environment over [from, to), for alerts with at
 * least one tag. Alerts of a rule carry the rule's tags, so there are about as many arrays as
 * rules: the caller maps each array once (the ATT&CK matrix: an alert tagged `T1003` and
 * `T1003.001` counts once for T1003), and counts stay exact per alert, which per-tag counts would
 * not be. Whole UTC hours are summed from alert_tag_rollups (hours x arrays rows, whatever the
 * alert count), the partial hours at the edges from alert_tag_rollups_5m, and only the partial
 * five minutes at each edge are counted from alerts, so the figures are exact and the alerts read
 * are bounded by the alert rate over ten minutes, not two hours.
 */
export async function countAlertsByTagSet(
  db: Db,
  scope: { organizationId: string; environmentId: string; from: Date; to: Date },
): Promise<TagSetCount[]> {
  const { organizationId, environmentId, from, to } = scope;
  const split = splitTagCountRange(from, to);
  const rollup = (table: 'alert_tag_rollups' | 'alert_tag_rollups_5m', lo: Date, hi: Date) => Prisma.sql`
    SELECT r.tags, r.count AS n FROM ${Prisma.raw(table)} r
    WHERE r."environmentId" = ${environmentId}::uuid AND r."organizationId" = ${organizationId}::uuid
      AND r.bucket >= ${lo} AND r.bucket < ${hi}`;
  const fromAlerts = (lo: Date, hi: Date) => Prisma.sql`
    SELECT a.tags, count(*) AS n FROM alerts a
    WHERE a."environmentId" = ${environmentId}::uuid AND a."organizationId" = ${organizationId}::uuid
      AND a."eventTime" >= ${lo} AND a."eventTime" < ${hi} AND cardinality(a.tags) > 0
    GROUP BY a.tags`;
  const parts: Prisma.Sql[] = [
    ...(split.hours ? [rollup('alert_tag_rollups', ...split.hours)] : []),
    ...split.fiveMinutes.map(([lo, hi]) => rollup('alert_tag_rollups_5m', lo, hi)),
    ...split.alerts.map(([lo, hi]) => fromAlerts(lo, hi)),
  ];
  if (parts.length === 0) return [];
  const rows = await db.prisma.$queryRaw<{ tags: string[]; count: bigint }[]>`
    SELECT t.tags, sum(t.n)::bigint AS count FROM (${Prisma.join(parts, ' UNION ALL ')}) t
    GROUP BY t.tags HAVING sum(t.n) > 0`;
  return rows.map((r) => ({ tags: r.tags, count: Number(r.count) }));
}

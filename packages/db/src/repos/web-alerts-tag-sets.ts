import type { Db } from '../client.js';

/** How many alerts carried one exact set of tags. */
export interface TagSetCount {
  tags: string[];
  count: number;
}

/**
 * Alert counts per distinct tag array in one environment over [from, to). Alerts of a rule carry
 * the rule's tags, so there are about as many arrays as rules: the caller maps each array once
 * (the ATT&CK matrix: an alert tagged `T1003` and `T1003.001` counts once for T1003), and counts
 * stay exact per alert, which per-tag counts would not be. The scan is the time range of the
 * (environmentId, eventTime) index, on the partitions the range touches.
 */
export async function countAlertsByTagSet(
  db: Db,
  scope: { organizationId: string; environmentId: string; from: Date; to: Date },
): Promise<TagSetCount[]> {
  const rows = await db.prisma.$queryRaw<{ tags: string[]; count: bigint }[]>`
    SELECT a.tags, count(*) AS count FROM alerts a
    WHERE a."environmentId" = ${scope.environmentId}::uuid
      AND a."organizationId" = ${scope.organizationId}::uuid
      AND a."eventTime" >= ${scope.from} AND a."eventTime" < ${scope.to}
    GROUP BY a.tags`;
  return rows.map((r) => ({ tags: r.tags, count: Number(r.count) }));
}

/**
 * The ATT&CK matrix's incident read as it was before 20261221100000_incident_alert_tag_summary,
 * kept only as the benchmark's baseline (same client, same data, same run): every incident_alerts
 * row of the environment's incidents in the range, distinct (tag array, incident) pairs, the
 * incident ids per tag array. The counts per id follow as the service made them (the union of the
 * ids of the arrays naming it).
 */
import type { getDb } from '@peregrine/db';
import { attackOfTags } from '@peregrine/engine';

type Db = ReturnType<typeof getDb>;

export async function incidentCountsBefore(
  db: Db,
  scope: { organizationId: string; environmentId: string; from: Date; to: Date },
): Promise<Map<string, number>> {
  const rows = await db.prisma.$queryRawUnsafe<{ tags: string[]; ids: string[] }[]>(
    `SELECT d.tags, array_agg(d.inc::text) AS ids
     FROM (
       SELECT DISTINCT ia.tags, ia."incidentId" AS inc
       FROM incidents i
       JOIN incident_alerts ia ON ia."incidentId" = i.id AND ia."eventTime" >= $3 AND ia."eventTime" < $4
       WHERE i."organizationId" = $1::uuid AND i."environmentId" = $2::uuid AND i."mergedIntoId" IS NULL
         AND i."lastSeenAt" >= $3 AND i."firstSeenAt" < $4 AND cardinality(ia.tags) > 0
     ) d
     GROUP BY d.tags`,
    scope.organizationId,
    scope.environmentId,
    scope.from,
    scope.to,
  );
  const byId = new Map<string, Set<string>>();
  for (const set of rows) {
    const attack = attackOfTags(set.tags);
    for (const id of [...attack.tactics, ...attack.techniques]) {
      const ids = byId.get(id) ?? new Set<string>();
      for (const incident of set.ids) ids.add(incident);
      byId.set(id, ids);
    }
  }
  return new Map([...byId].map(([id, ids]) => [id, ids.size]));
}

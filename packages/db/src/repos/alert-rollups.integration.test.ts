import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase, seededRandom } from '../testing.js';

let handle: { url: string; drop(): Promise<void> };
let db: Db;
let organizationId: string;
const environmentIds: string[] = [];

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_rollups');
  db = createDb(handle.url, { max: 2 });
  organizationId = (await db.prisma.organization.create({ data: { name: 'R', slug: 'r' } })).id;
  for (const name of ['prod', 'dev']) {
    environmentIds.push(
      (await db.prisma.environment.create({ data: { organizationId, name, displayName: name } })).id,
    );
  }
});

afterAll(async () => {
  await db?.close();
  await handle?.drop();
});

interface Counts {
  rollups: string[];
  daily: string[];
  rollups5m: string[];
  tags: string[];
  tags5m: string[];
}

/** Every count the insert trigger keeps, as the dashboard and the ATT&CK matrix read them. */
async function kept(): Promise<Counts> {
  const rows = async (sql: string) => (await db.prisma.$queryRawUnsafe<{ k: string }[]>(sql)).map((r) => r.k);
  return {
    rollups: await rows(`SELECT concat_ws('|', "environmentId", bucket, dimension, key, count) AS k
                         FROM alert_rollups WHERE count <> 0 ORDER BY 1`),
    daily: await rows(`SELECT concat_ws('|', "environmentId", bucket, dimension, key, count) AS k
                       FROM alert_rollups_daily WHERE count <> 0 ORDER BY 1`),
    rollups5m: await rows(`SELECT concat_ws('|', "environmentId", bucket, dimension, key, count) AS k
                           FROM alert_rollups_5m WHERE count <> 0 ORDER BY 1`),
    tags: await rows(`SELECT concat_ws('|', "environmentId", bucket, "tagsHash", tags::text, count) AS k
                      FROM alert_tag_rollups WHERE count <> 0 ORDER BY 1`),
    tags5m: await rows(`SELECT concat_ws('|', "environmentId", bucket, "tagsHash", tags::text, count) AS k
                        FROM alert_tag_rollups_5m WHERE count <> 0 ORDER BY 1`),
  };
}

/** The same counts straight from the stored alerts. */
async function direct(): Promise<Counts> {
  const rows = async (sql: string) => (await db.prisma.$queryRawUnsafe<{ k: string }[]>(sql)).map((r) => r.k);
  const dimensions = (bucket: string) => `
      SELECT concat_ws('|', a."environmentId", ${bucket}, d.dimension, alert_rollup_key(d.key), count(*)) AS k
      FROM alerts a CROSS JOIN LATERAL (VALUES
        ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
        ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)) AS d(dimension, key)
      WHERE d.key IS NOT NULL
      GROUP BY a."environmentId", ${bucket}, d.dimension, alert_rollup_key(d.key)
      ORDER BY 1`;
  return {
    rollups: await rows(dimensions(`date_trunc('hour', a."eventTime", 'UTC')`)),
    daily: await rows(dimensions(`date_trunc('day', a."eventTime", 'UTC')`)),
    rollups5m: await rows(dimensions(`alert_tag_5m_bucket(a."eventTime")`)),
    tags: await rows(`
      SELECT concat_ws('|', "environmentId", date_trunc('hour', "eventTime", 'UTC'), alert_tag_set_hash(tags),
                       tags::text, count(*)) AS k
      FROM alerts WHERE cardinality(tags) > 0
      GROUP BY "environmentId", date_trunc('hour', "eventTime", 'UTC'), tags ORDER BY 1`),
    tags5m: await rows(`
      SELECT concat_ws('|', "environmentId", alert_tag_5m_bucket("eventTime"), alert_tag_set_hash(tags),
                       tags::text, count(*)) AS k
      FROM alerts WHERE cardinality(tags) > 0
      GROUP BY "environmentId", alert_tag_5m_bucket("eventTime"), tags ORDER BY 1`),
  };
}

describe('alert rollups kept by the insert trigger (hourly, daily and five-minute; tags hourly and five-minute)', () => {
  it('equal the counts of the stored alerts, for statements of many alerts over hours, hosts and tags', async () => {
    const random = seededRandom(18);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const long = `ns-${'x'.repeat(600)}`;
    // Across five-minute, hour and day edges.
    const start = Date.UTC(2026, 11, 6, 23, 52);
    for (let statement = 0; statement < 6; statement++) {
      const rows = Array.from({ length: 150 }, () => ({
        e: pick(environmentIds),
        r: pick(['Terminal shell in container', 'Read sensitive file untrusted', `rule ${long}`]),
        p: pick(['notice', 'warning', 'critical']),
        s: pick(['syscall', 'k8s_audit']),
        h: pick(['node-1', 'node-2', null]),
        f: pick([{ 'k8s.ns.name': 'prod' }, { 'k8s.ns.name': long }, { 'k8s.ns.name': null }, {}]),
        tg: pick([['mitre_execution', 'T1059'], ['T1059', 'mitre_execution'], [], null, ['a,b', '{c}']]),
        t: new Date(start + Math.floor(random() * 20 * 60_000)).toISOString(),
      }));
      await db.prisma.$executeRaw`
        INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                            hostname, "eventTime", "dedupKey")
        SELECT ${organizationId}::uuid, x.e, x.r, x.p::"Priority", x.s, 'out', coalesce(x.f, '{}'), x.tg, x.h, x.t, 'k'
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
             AS x(e uuid, r text, p text, s text, f jsonb, tg text[], h text, t timestamptz)`;
    }
    const counts = await kept();
    expect(counts.rollups.length).toBeGreaterThan(40);
    expect(counts.tags.length).toBeGreaterThan(10);
    expect(counts.tags5m.length).toBeGreaterThan(counts.tags.length);
    expect(counts.rollups5m.length).toBeGreaterThan(counts.rollups.length);
    expect(counts.daily.length).toBeGreaterThan(40);
    expect(counts).toEqual(await direct());
  });
});

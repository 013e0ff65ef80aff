import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, getDb } from '../client.js';
import { createMigratedTestDatabase, createTestPool, insertOrganization, seededRandom } from '../testing.js';
import { countIncidentsByTagSet, listIncidentPage } from './web-incidents.js';

/**
 * Each incident's summary of its alerts (`alertTags`, `alertsFrom`, `alertsTo`, kept by triggers on
 * incident_alerts) against what it summarises, after links, moves (merge, split), unlinks
 * (retention) and an incident deleted, in random statements; and `countIncidentsByTagSet`, which
 * reads the summary for incidents inside the range, against the sets of tags of each incident's
 * alerts in the range read from incident_alerts, for random ranges (edges inside incidents, gaps,
 * whole spans); and the incident list's tag filter (`withTags`), which reads the same way, against
 * the incidents with an alert in the range carrying one of the tags.
 */
let handle: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let db: Db;
let org: string;
let env: string;
let other: string;
const incidents: string[] = [];
const MINUTE = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');
const TAGS: string[][] = [
  ['container', 'mitre_execution', 'T1059'],
  ['host', 'mitre_credential_access', 'T1003.008'],
  ['T1059', 'mitre_execution'],
  [],
  ['network', 'mitre_command_and_control'],
  ['a b', 'q"uote', 'x,y', 'ß'],
];

beforeAll(async () => {
  handle = await createMigratedTestDatabase('incident_alert_summary');
  pool = createTestPool(handle.url, { max: 1 });
  db = getDb(handle.url);
  ({ organizationId: org, environmentId: env } = await insertOrganization(pool, 's'));
  other = (
    await pool.query<{ id: string }>(
      `INSERT INTO environments ("organizationId", name, "displayName") VALUES ($1, 'other', 'Other') RETURNING id`,
      [org],
    )
  ).rows[0]!.id;
  for (let i = 0; i < 8; i++) {
    const r = await pool.query<{ id: string }>(
      `INSERT INTO incidents ("organizationId", "environmentId", title, priority, "firstSeenAt", "lastSeenAt")
       VALUES ($1, $2, $3, 'warning', now(), now()) RETURNING id`,
      [org, i === 7 ? other : env, `i${i}`],
    );
    incidents.push(r.rows[0]!.id);
  }
});

afterAll(async () => {
  await pool?.end();
  await handle?.drop();
});

const rows = async (sql: string) => (await pool.query<{ k: string }>(sql)).rows.map((r) => r.k);

/** The summaries, and what they summarise. */
async function compare(): Promise<void> {
  const kept = await rows(
    `SELECT concat_ws('|', id, "alertTags"::text, "alertsFrom", "alertsTo") AS k FROM incidents ORDER BY 1`,
  );
  const truth = await rows(
    `SELECT concat_ws('|', i.id,
              ARRAY(SELECT DISTINCT t FROM incident_alerts ia, unnest(ia.tags) AS t
                    WHERE ia."incidentId" = i.id ORDER BY t)::text,
              (SELECT min("eventTime") FROM incident_alerts WHERE "incidentId" = i.id),
              (SELECT max("eventTime") FROM incident_alerts WHERE "incidentId" = i.id)) AS k
     FROM incidents i ORDER BY 1`,
  );
  expect(kept).toEqual(truth);
}

let nextAlert = 1;

describe('incident alert summaries', () => {
  it('equal their definition after links, moves, unlinks and a deleted incident, in random statements', async () => {
    const random = seededRandom(5);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const linked: string[] = [];
    // Links: 14 statements of 1-30 alerts over six hours (the correlator's insert), some into an
    // incident that has none yet.
    for (let s = 0; s < 14; s++) {
      const n = 1 + Math.floor(random() * 30);
      const ids = Array.from({ length: n }, () => String(nextAlert++));
      const times = ids.map(() => new Date(T0 + Math.floor(random() * 360 * MINUTE)).toISOString());
      const tags = ids.map(() => JSON.stringify(pick(TAGS)));
      await pool.query(
        `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", tags)
         SELECT x.a, x.t, x.inc, 'correlator', ARRAY(SELECT jsonb_array_elements_text(x.tags))
         FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[], $4::jsonb[]) AS x(a, t, inc, tags)`,
        [ids, times, ids.map(() => pick(incidents.slice(0, s < 3 ? 3 : 8))), tags],
      );
      linked.push(...ids);
      await compare();
    }
    // A merge (every alert of one incident into another) and splits (some alerts into another).
    await pool.query(
      `UPDATE incident_alerts SET "incidentId" = $1, "addedBy" = 'merge' WHERE "incidentId" = $2`,
      [incidents[0], incidents[1]],
    );
    await compare();
    for (let s = 0; s < 4; s++) {
      await pool.query(
        `UPDATE incident_alerts SET "incidentId" = $1, "addedBy" = 'split' WHERE "alertId" = ANY($2)`,
        [pick(incidents), linked.filter(() => random() < 0.1)],
      );
      await compare();
    }
    // An update that moves nothing.
    await pool.query(`UPDATE incident_alerts SET "addedBy" = 'correlator'`);
    await compare();
    // The retention pass (links of deleted alerts), and every link of one incident.
    for (let s = 0; s < 3; s++) {
      await pool.query(`DELETE FROM incident_alerts WHERE "alertId" = ANY($1::bigint[])`, [
        linked.filter(() => random() < 0.08),
      ]);
      await compare();
    }
    await pool.query(`DELETE FROM incident_alerts WHERE "incidentId" = $1`, [incidents[2]]);
    await compare();
    // An incident deleted: its links go by cascade.
    await pool.query('DELETE FROM incidents WHERE id = $1', [incidents[3]]);
    await compare();
    // Not a comparison of empty summaries.
    const filled = await rows(
      `SELECT count(*)::text AS k FROM incidents WHERE cardinality("alertTags") > 2 AND "alertsTo" > "alertsFrom"`,
    );
    expect(Number(filled[0])).toBeGreaterThanOrEqual(4);
  });

  it('counts, for random ranges, each incident once under the set of tags of its alerts in the range', async () => {
    // On the links the test above left (it runs first): never on an empty table.
    expect(Number((await rows('SELECT count(*)::text AS k FROM incident_alerts'))[0])).toBeGreaterThan(100);
    const random = seededRandom(17);
    let edges = 0;
    let listedTotal = 0;
    for (let n = 0; n < 80; n++) {
      const a = T0 - 20 * MINUTE + Math.floor(random() * 400 * MINUTE);
      const b = n % 10 === 0 ? a + 7 * 24 * 60 * MINUTE : a + Math.floor(random() * 200 * MINUTE);
      const [from, to] = [new Date(a), new Date(b)];
      const counted = (
        await countIncidentsByTagSet(db, { organizationId: org, environmentId: env, from, to })
      )
        .map((s) => `${JSON.stringify(s.tags)}=${s.count}`)
        .sort();
      const truth = (
        await pool.query<{ tags: string[]; n: number }>(
          `SELECT s.tags, count(*)::int AS n FROM (
             SELECT ARRAY(SELECT DISTINCT t FROM incident_alerts ia, unnest(ia.tags) AS t
                          WHERE ia."incidentId" = i.id AND ia."eventTime" >= $3 AND ia."eventTime" < $4
                          ORDER BY t) AS tags
             FROM incidents i
             WHERE i."organizationId" = $1 AND i."environmentId" = $2 AND i."mergedIntoId" IS NULL) s
           WHERE cardinality(s.tags) > 0 GROUP BY s.tags`,
          [org, env, from, to],
        )
      ).rows
        .map((r) => `${JSON.stringify(r.tags)}=${r.n}`)
        .sort();
      expect(counted, `${from.toISOString()} .. ${to.toISOString()}`).toEqual(truth);
      const tags = [...new Set(TAGS.flat())].filter(() => random() < 0.3);
      const page = await listIncidentPage(db, {
        organizationId: org,
        environmentId: env,
        withTags: { from, to, tags },
        limit: 100,
        linkKinds: [],
      });
      const listed = await rows(
        `SELECT i.id::text AS k FROM incidents i
         WHERE i."environmentId" = '${env}' AND EXISTS (
           SELECT 1 FROM incident_alerts ia WHERE ia."incidentId" = i.id AND ia.tags && $1::text[]
             AND ia."eventTime" >= '${from.toISOString()}' AND ia."eventTime" < '${to.toISOString()}')
         ORDER BY 1`.replace('$1::text[]', `'{${tags.map((t) => JSON.stringify(t)).join(',')}}'::text[]`),
      );
      expect(
        page?.items.map((i) => i.id).sort(),
        `${tags} ${from.toISOString()} .. ${to.toISOString()}`,
      ).toEqual(listed);
      listedTotal += listed.length;
      const straddling = await rows(
        `SELECT count(*)::text AS k FROM incidents WHERE "environmentId" = '${env}'
           AND "alertsTo" >= '${from.toISOString()}' AND "alertsFrom" < '${to.toISOString()}'
           AND NOT ("alertsFrom" >= '${from.toISOString()}' AND "alertsTo" < '${to.toISOString()}')`,
      );
      edges += Number(straddling[0]);
    }
    // Both ways of reading an incident were taken, and the lists were not empty.
    expect(edges).toBeGreaterThan(20);
    expect(listedTotal).toBeGreaterThan(40);
  });
});

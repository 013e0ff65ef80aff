import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, createTestPool, insertOrganization, seededRandom } from '../testing.js';

/**
 * incident_entity_buckets (the incident correlator's reach) against what it summarises: after
 * links, moves (merge, split), unlinks (retention) and an incident deleted, in random statements,
 * it equals a GROUP BY over incident_alerts and entity_occurrences; and for random (entity, time)
 * pairs and windows of 2.5 minutes and more, the open incidents its buckets reach are exactly
 * those holding an alert that names the entity within the window (what the correlator read from
 * the occurrences before).
 */
let handle: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let org: string;
let env: string;
const entities: string[] = [];
const alerts: { id: string; t: string }[] = [];
const incidents: string[] = [];
const MINUTE = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');

beforeAll(async () => {
  handle = await createMigratedTestDatabase('incident_entity_buckets');
  pool = createTestPool(handle.url, { max: 1 });
  ({ organizationId: org, environmentId: env } = await insertOrganization(pool, 'b'));
  const random = seededRandom(7);
  for (let i = 0; i < 6; i++) {
    const r = await pool.query<{ id: string }>(
      `INSERT INTO entities (id, "organizationId", "environmentId", kind, value)
       VALUES (gen_random_uuid(), $1, $2, 'host', $3) RETURNING id`,
      [org, env, `h${i}`],
    );
    entities.push(r.rows[0]!.id);
  }
  // 300 alerts over six hours, some seconds apart and some far apart, each naming one to three
  // entities.
  for (let i = 0; i < 300; i++) {
    const t = new Date(T0 + Math.floor(random() * 6 * 60 * MINUTE)).toISOString();
    const a = await pool.query<{ id: string }>(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
       VALUES ($1, $2, 'R', 'warning', 'syscall', 'o', $3, 'k') RETURNING id::text`,
      [org, env, t],
    );
    alerts.push({ id: a.rows[0]!.id, t });
    const named = new Set(
      [0, 1, 2].slice(0, 1 + Math.floor(random() * 3)).map(() => Math.floor(random() * 6)),
    );
    for (const e of named)
      await pool.query(
        `INSERT INTO entity_occurrences ("entityId", "eventTime", "environmentId", source, "alertId")
         VALUES ($1, $2, $3, 'syscall', $4)`,
        [entities[e], t, env, a.rows[0]!.id],
      );
  }
  for (let i = 0; i < 5; i++) {
    const r = await pool.query<{ id: string }>(
      `INSERT INTO incidents ("organizationId", "environmentId", title, priority, "firstSeenAt", "lastSeenAt")
       VALUES ($1, $2, $3, 'warning', now(), now()) RETURNING id`,
      [org, env, `i${i}`],
    );
    incidents.push(r.rows[0]!.id);
  }
});

afterAll(async () => {
  await pool?.end();
  await handle?.drop();
});

const rows = async (sql: string) => (await pool.query<{ k: string }>(sql)).rows.map((r) => r.k);

/** The table, and what it summarises. */
async function compare(): Promise<void> {
  const kept = await rows(
    `SELECT concat_ws('|', "entityId", bucket, "incidentId", lo, hi) AS k FROM incident_entity_buckets ORDER BY 1`,
  );
  const truth = await rows(
    `SELECT concat_ws('|', g.e, g.b, g.i, g.lo, g.hi) AS k
     FROM (SELECT o."entityId" AS e, date_bin('5 minutes', o."eventTime", TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b,
                  ia."incidentId" AS i, min(o."eventTime") AS lo, max(o."eventTime") AS hi
           FROM incident_alerts ia JOIN entity_occurrences o ON o."alertId" = ia."alertId"
           GROUP BY 1, 2, 3) g
     ORDER BY 1`,
  );
  expect(kept).toEqual(truth);
}

describe('incident_entity_buckets', () => {
  it('equals its definition after links, moves, unlinks and a deleted incident, in random statements', async () => {
    const random = seededRandom(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const linked = new Set<string>();
    // Links: 12 statements of up to 25 alerts each (the correlator's insert).
    for (let s = 0; s < 12; s++) {
      const batch = alerts.filter((a) => !linked.has(a.id) && random() < 0.12).slice(0, 25);
      for (const a of batch) linked.add(a.id);
      await pool.query(
        `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy")
         SELECT x.a, x.t, x.inc, 'correlator' FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[]) AS x(a, t, inc)`,
        [batch.map((a) => a.id), batch.map((a) => a.t), batch.map(() => pick(incidents.slice(0, 4)))],
      );
      await compare();
    }
    expect(linked.size).toBeGreaterThan(150);
    // A merge (every alert of one incident into another) and splits (some alerts into another).
    await pool.query(
      `UPDATE incident_alerts SET "incidentId" = $1, "addedBy" = 'merge' WHERE "incidentId" = $2`,
      [incidents[0], incidents[1]],
    );
    await compare();
    for (let s = 0; s < 4; s++) {
      const some = [...linked].filter(() => random() < 0.1);
      await pool.query(
        `UPDATE incident_alerts SET "incidentId" = $1, "addedBy" = 'split' WHERE "alertId" = ANY($2)`,
        [pick(incidents), some],
      );
      await compare();
    }
    // An update that moves nothing.
    await pool.query(`UPDATE incident_alerts SET "addedBy" = 'correlator'`);
    await compare();
    // The retention pass: occurrences and links of deleted alerts in one statement.
    for (let s = 0; s < 3; s++) {
      const gone = [...linked].filter(() => random() < 0.08);
      await pool.query(
        `WITH o AS (DELETE FROM entity_occurrences WHERE "alertId" = ANY($1::bigint[]) RETURNING 1),
              il AS (DELETE FROM incident_alerts WHERE "alertId" = ANY($1::bigint[]) RETURNING 1)
         SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM il)`,
        [gone],
      );
      for (const id of gone) linked.delete(id);
      await compare();
    }
    // An incident deleted: its links and buckets go by cascade.
    await pool.query('DELETE FROM incidents WHERE id = $1', [incidents[4]]);
    await compare();
    expect(
      Number((await rows('SELECT count(*)::text AS k FROM incident_entity_buckets'))[0]),
    ).toBeGreaterThan(50);
  });

  it('reaches, for windows of 2.5 minutes and more, exactly the incidents the occurrences reach', async () => {
    // On the links the test above left (it runs first): never on an empty table.
    expect(Number((await rows('SELECT count(*)::text AS k FROM incident_alerts'))[0])).toBeGreaterThan(100);
    const random = seededRandom(23);
    for (const windowMinutes of [2.5, 3, 7, 30, 120]) {
      const w = `${windowMinutes * MINUTE} milliseconds`;
      for (let n = 0; n < 60; n++) {
        const entity = entities[Math.floor(random() * entities.length)]!;
        const t = new Date(T0 - 10 * MINUTE + Math.floor(random() * 380 * MINUTE)).toISOString();
        const byOccurrences = await rows(
          `SELECT DISTINCT ia."incidentId"::text AS k FROM entity_occurrences o
           JOIN incident_alerts ia ON ia."alertId" = o."alertId"
           WHERE o."entityId" = '${entity}' AND o."eventTime" BETWEEN '${t}'::timestamptz - '${w}'::interval
             AND '${t}'::timestamptz + '${w}'::interval ORDER BY 1`,
        );
        const byBuckets = await rows(
          `SELECT DISTINCT b."incidentId"::text AS k FROM incident_entity_buckets b
           WHERE b."entityId" = '${entity}'
             AND b.bucket >= '${t}'::timestamptz - '${w}'::interval - interval '5 minutes'
             AND b.bucket <= '${t}'::timestamptz + '${w}'::interval
             AND '${t}'::timestamptz BETWEEN b.lo - '${w}'::interval AND b.hi + '${w}'::interval ORDER BY 1`,
        );
        expect(byBuckets, `${windowMinutes} min, ${entity} at ${t}`).toEqual(byOccurrences);
      }
    }
  });
});

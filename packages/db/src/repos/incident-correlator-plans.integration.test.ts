import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, createTestPool, insertOrganization } from '../testing.js';
import { correlateQueuedAlerts, type IncidentPolicy } from './incident-correlator.js';

/**
 * What a correlator pass reads grows with its claim, not with the tables: over 20,000 placed
 * alerts (80,000 occurrences), no plan node of any statement of a pass of 200 alerts, the
 * incident_entity_buckets triggers' included, reads more than a few thousand rows of
 * entity_occurrences or incident_alerts per loop. The server's own plans, from auto_explain sent
 * to this client as notices. Two regressions this catches: the buckets trigger read all of
 * entity_occurrences (a sequential scan and a hash join, planned for an array parameter it knew
 * nothing about), and the claim read hashed all of incident_alerts to tell placed alerts apart
 * (docs/BENCHMARKS.md, twelfth stop).
 */
const HISTORY = 20_000;
const CLAIM = 200;
/** Rows a node may read per loop, and loops it may run: a claim's occurrences are ~4 per alert, 800 in all. */
const BOUND = 4_000;

let handle: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let org: string;
let env: string;

/** A real policy: hosts link (weight 1 of 1). */
const policy: IncidentPolicy = {
  windowMs: 10 * 60_000,
  weights: { host: 1, pod: 1 },
  threshold: 1,
  commonIncidents: 5,
  commonGroups: 25,
  principalAliases: () => ({ exact: [], emailOf: null }),
  scoring: { tactics: () => [], score: ({ alerts }) => Math.min(100, alerts) },
};

/** Stores `count` alerts from `start` (one a second), each naming its host and three of its own. */
async function storeAlerts(
  c: Pick<pg.Pool, 'query'>,
  count: number,
  start: string,
  prefix: string,
): Promise<void> {
  await c.query(
    `WITH a AS (
       INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
       SELECT $1, $2, 'R' || (g % 5), 'warning', 'syscall', 'o', ARRAY['mitre_execution'],
              $3::timestamptz + g * interval '1 second', 'k' || (g % 5)
       FROM generate_series(1, $4) g
       RETURNING id, "eventTime"
     ), e AS (
       INSERT INTO entities (id, "organizationId", "environmentId", kind, value)
       SELECT gen_random_uuid(), $1, $2, k.kind, $5 || k.kind || '-' || n
       FROM (VALUES ('host'), ('pod'), ('container'), ('image')) k(kind), generate_series(0, 49) n
       RETURNING id, kind, value
     ), numbered AS (
       SELECT a.id, a."eventTime", row_number() OVER (ORDER BY a.id) % 50 AS n FROM a
     )
     INSERT INTO entity_occurrences ("entityId", "eventTime", "environmentId", source, "alertId")
     SELECT e.id, x."eventTime", $2, 'syscall', x.id
     FROM numbered x JOIN e ON e.value LIKE $5 || '%-' || x.n`,
    [org, env, start, count, prefix],
  );
}

beforeAll(async () => {
  handle = await createMigratedTestDatabase('incident_correlator_plans');
  pool = createTestPool(handle.url, { max: 1 });
  ({ organizationId: org, environmentId: env } = await insertOrganization(pool, 'p'));
  // The history: placed in 50 incidents (by host), a day before the claim.
  await storeAlerts(pool, HISTORY, '2026-12-01T00:00:00Z', 'old-');
  await pool.query(
    `INSERT INTO incidents (id, "organizationId", "environmentId", title, priority, "firstSeenAt", "lastSeenAt")
     SELECT gen_random_uuid(), $1, $2, 'old-host-' || n, 'warning', now(), now() FROM generate_series(0, 49) n`,
    [org, env],
  );
  await pool.query(
    `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy")
     SELECT o."alertId", o."eventTime", i.id, 'correlator'
     FROM entity_occurrences o JOIN entities e ON e.id = o."entityId" AND e.kind = 'host'
     JOIN incidents i ON i.title = e.value`,
  );
  // The claim: new alerts on new hosts, queued as the store queues them.
  await storeAlerts(pool, CLAIM, '2026-12-02T00:00:00Z', 'new-');
  await pool.query(
    `INSERT INTO incident_queue ("alertId", "eventTime", "organizationId", "environmentId")
     SELECT a.id, a."eventTime", a."organizationId", a."environmentId" FROM alerts a
     WHERE NOT EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia."alertId" = a.id)`,
  );
  // No ANALYZE: as on a fresh installation under its first burst, and in the collector benchmark,
  // the planner has no statistics of these tables yet (autovacuum's first pass comes a minute
  // later at the earliest). A plan must not need them to stay in proportion to the claim.
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await handle?.drop();
});

/** The plans of every statement `work` runs on a pool that traces them (auto_explain notices). */
async function plansOf(work: (traced: pg.Pool) => Promise<void>): Promise<string> {
  const url = new URL(handle.url);
  url.searchParams.set(
    'options',
    '-c jit=off -c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 ' +
      '-c auto_explain.log_analyze=on -c auto_explain.log_nested_statements=on ' +
      '-c auto_explain.log_level=notice',
  );
  const traced = new pg.Pool({ connectionString: url.toString(), max: 1 });
  const plans: string[] = [];
  traced.on('connect', (c) => c.on('notice', (n) => plans.push(n.message ?? '')));
  try {
    await work(traced);
  } finally {
    await traced.end();
  }
  return plans.join('\n');
}

/**
 * Plan nodes on the tables a pass reads (occurrences, links, buckets, incidents) that read more
 * than `BOUND` rows a loop, or ran more than `BOUND` loops (a probe per pair of every run with
 * every open incident).
 */
function oversized(plans: string): string[] {
  const reads = [
    ...plans.matchAll(
      /(\S+ Scan)[^\n]* on (entity_occurrences|incident_alerts|incident_entity_buckets|incidents)\b[^\n]*rows=(\d+) loops=(\d+)/g,
    ),
  ];
  expect(reads.length, 'plan nodes on the tables').toBeGreaterThan(2);
  return reads.filter((m) => Number(m[3]) > BOUND || Number(m[4]) > BOUND).map((m) => m[0]);
}

describe('over a large history without statistics', () => {
  it('a correlator pass reads rows of entity_occurrences and incident_alerts in proportion to its claim', async () => {
    expect(Number((await pool.query('SELECT count(*) AS n FROM entity_occurrences')).rows[0].n)).toBe(
      4 * (HISTORY + CLAIM),
    );
    const plans = await plansOf(async (traced) => {
      const result = await correlateQueuedAlerts(traced, policy, { limit: CLAIM });
      expect(result.handled).toBe(CLAIM);
    });
    expect(plans, 'the buckets trigger ran').toContain('INSERT INTO incident_entity_buckets');
    expect(oversized(plans), 'nodes reading more than the claim needs').toEqual([]);
    expect(plans).not.toMatch(/hashed SubPlan/);
  }, 120_000);

  it('unlinking alerts (retention) recomputes their buckets from their own incidents only', async () => {
    const oldest = (
      await pool.query<{ id: string }>(
        `SELECT "alertId"::text AS id FROM incident_alerts ORDER BY "eventTime" LIMIT 100`,
      )
    ).rows.map((r) => r.id);
    const plans = await plansOf(async (traced) => {
      const r = await traced.query('DELETE FROM incident_alerts WHERE "alertId" = ANY($1::bigint[])', [
        oldest,
      ]);
      expect(r.rowCount).toBe(100);
    });
    expect(plans, 'the buckets trigger ran').toContain('DELETE FROM incident_entity_buckets');
    expect(oversized(plans), 'nodes reading more than the unlinked alerts need').toEqual([]);
  }, 120_000);
});

import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase, createTestPool, seededRandom as random } from '../testing.js';
import {
  deleteExpiredAlerts,
  dropExpiredAlertPartitions,
  ensureAlertPartitions,
  listAlertPartitions,
  setAlertRetention,
} from './alert-retention.js';
import { countAlertsByTagSet } from './web-alerts-tag-sets.js';
import { markOrganizationDeleting, purgeOrganization } from './web-organization-deletion.js';

/**
 * The hourly and five-minute counts per tag array (alert_tag_rollups, alert_tag_rollups_5m) on the
 * real server: they must equal a plain GROUP BY over the alerts stored, whichever way alerts come
 * and go (insert, triage, delete, a week dropped, retention, an organisation purged), and the
 * matrix's counts read from them (whole hours, then whole five minutes) and from alerts (the
 * partial five minutes at the edges) must equal the counts over alerts for any range.
 */
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let pool: pg.Pool;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_tag_rollups');
  db = createDb(handle.url, { max: 2 });
  pool = createTestPool(handle.url, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.close();
  await handle?.drop();
});

beforeEach(async () => {
  await pool.query('DELETE FROM organizations');
});

/**
 * Tag arrays as rules carry them, plus the awkward ones: none, empty, the same tags in another
 * order (another array), elements the array text form must quote, and one array longer than
 * alert_rollups' 512-character key bound (it must not merge with another).
 */
const TAG_SETS: (string[] | null)[] = [
  null,
  [],
  ['container', 'mitre_execution', 'T1059.004'],
  ['mitre_execution', 'container', 'T1059.004'],
  ['host', 'mitre_credential_access', 'T1003.008'],
  ['host', 'mitre_credential_access', 'T1003'],
  ['mitre_discovery'],
  ['a,b', 'c"d', '{e}', 'NULL', ' f ', 'ünï'],
  ['a', 'b,c"d', '{e}', 'NULL', ' f ', 'ünï'],
  [...Array.from({ length: 40 }, (_, i) => `long_tag_${i}_${'x'.repeat(10)}`), 'T1611'],
  [...Array.from({ length: 40 }, (_, i) => `long_tag_${i}_${'x'.repeat(10)}`), 'T1612'],
];

async function org(slug: string): Promise<{ id: string; production: string; staging: string }> {
  const o = await db.prisma.organization.create({ data: { name: slug, slug } });
  const env = (name: string) =>
    db.prisma.environment
      .create({ data: { organizationId: o.id, name, displayName: name } })
      .then((e) => e.id);
  return { id: o.id, production: await env('production'), staging: await env('staging') };
}

/**
 * Stores `n` alerts through the parent table in statements of up to `perStatement` rows (as the
 * collector's batches do, so one statement carries several alerts of one hour and tag array),
 * tags, environments and times drawn from `rand` over the `days` before `now`.
 */
async function store(
  rand: () => number,
  o: { id: string; production: string; staging: string },
  n: number,
  now: number,
  days: number,
  perStatement = 25,
): Promise<void> {
  for (let done = 0; done < n; done += perStatement) {
    const rows = Math.min(perStatement, n - done);
    const env: string[] = [];
    const tags: (string | null)[] = [];
    const times: Date[] = [];
    const priorities: string[] = [];
    for (let i = 0; i < rows; i++) {
      env.push(rand() < 0.7 ? o.production : o.staging);
      const set = TAG_SETS[Math.floor(rand() * TAG_SETS.length)] ?? null;
      tags.push(set === null ? null : JSON.stringify(set));
      // Clustered into a few hours so that statements and hours share arrays.
      const hour = Math.floor(rand() * rand() * days * 24);
      times.push(new Date(now - hour * HOUR - Math.floor(rand() * HOUR)));
      priorities.push(rand() < 0.2 ? 'debug' : 'warning');
    }
    await pool.query(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
       SELECT $1::uuid, e, 'R', p::"Priority", 'syscall', 'out', 
              CASE WHEN t IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(t::jsonb)) END, at, 'k'
       FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::text[]) AS u(e, t, at, p)`,
      [o.id, env, tags, times, priorities],
    );
  }
}

/**
 * What the rollups say and what the alerts say, per environment, bucket and tag array: hours in
 * alert_tag_rollups, five minutes (from the epoch, so aligned to UTC hours) in alert_tag_rollups_5m.
 */
async function expectRollupsMatchAlerts(): Promise<void> {
  for (const [table, bucket] of [
    ['alert_tag_rollups', `date_trunc('hour', "eventTime", 'UTC')`],
    ['alert_tag_rollups_5m', `date_bin('5 minutes', "eventTime", TIMESTAMPTZ 'epoch')`],
  ] as const) {
    const rolled = await pool.query<{ k: string }>(
      `SELECT "organizationId"::text || ' ' || "environmentId"::text || ' '
              || to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' ' || tags::text || ' ' || count AS k
       FROM ${table} WHERE count <> 0 ORDER BY 1`,
    );
    const stored = await pool.query<{ k: string }>(
      `SELECT o || ' ' || e || ' ' || h || ' ' || t || ' ' || n AS k FROM (
         SELECT "organizationId"::text AS o, "environmentId"::text AS e,
                to_char(${bucket} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS h,
                tags::text AS t, count(*) AS n
         FROM alerts WHERE cardinality(tags) > 0 GROUP BY 1, 2, 3, 4) s ORDER BY 1`,
    );
    expect(
      rolled.rows.map((r) => r.k),
      table,
    ).toEqual(stored.rows.map((r) => r.k));
    const bad = await pool.query(
      `SELECT 1 FROM ${table} WHERE count < 0 OR "tagsHash" <> alert_tag_set_hash(tags)`,
    );
    expect(bad.rowCount, table).toBe(0);
  }
}

/** The plain GROUP BY over alerts the matrix used to run: the oracle for the rollup read. */
async function countFromAlerts(scope: {
  organizationId: string;
  environmentId: string;
  from: Date;
  to: Date;
}): Promise<string[]> {
  const r = await pool.query<{ k: string }>(
    `SELECT tags::text || ' ' || count(*) AS k FROM alerts
     WHERE "organizationId" = $1 AND "environmentId" = $2 AND "eventTime" >= $3 AND "eventTime" < $4
       AND cardinality(tags) > 0
     GROUP BY tags ORDER BY 1`,
    [scope.organizationId, scope.environmentId, scope.from, scope.to],
  );
  return r.rows.map((x) => x.k);
}

async function countFromRollups(scope: Parameters<typeof countAlertsByTagSet>[1]): Promise<string[]> {
  const r = await pool.query<{ k: string }>(
    `SELECT t::text || ' ' || n AS k FROM unnest($1::jsonb[]) AS j(x),
       LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(x->'tags')) AS t, (x->>'count')::bigint AS n) s
     ORDER BY 1`,
    [(await countAlertsByTagSet(db, scope)).map((c) => JSON.stringify(c))],
  );
  return r.rows.map((x) => x.k);
}

describe('alert_tag_rollups', () => {
  it('stay equal to the alerts per hour and tag array through insert, triage, delete, week drop, retention and purge', async () => {
    const rand = random(19);
    const now = Date.now();
    const a = await org('tags-a');
    const b = await org('tags-b');
    await store(rand, a, 600, now, 60, 100);
    await store(rand, b, 200, now, 60, 7);
    await ensureAlertPartitions(pool, now, 1);
    await expectRollupsMatchAlerts();
    const before = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM alert_tag_rollups');
    // Hours x arrays, not alerts: fewer rows than alerts.
    expect(Number(before.rows[0]!.n)).toBeLessThan(800);
    // Five minutes x arrays: at most one row per alert, at most 12 per hour row.
    const fine = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM alert_tag_rollups_5m');
    expect(Number(fine.rows[0]!.n)).toBeLessThanOrEqual(800);
    expect(Number(fine.rows[0]!.n)).toBeLessThanOrEqual(12 * Number(before.rows[0]!.n));

    // Triage changes statuses only.
    await pool.query(`UPDATE alerts SET status = 'acknowledged' WHERE id % 3 = 0`);
    await expectRollupsMatchAlerts();

    // Row deletes (one statement with many arrays and hours; then single rows).
    await pool.query('DELETE FROM alerts WHERE id % 5 = 0');
    await expectRollupsMatchAlerts();
    for (const id of (await pool.query<{ id: string }>('SELECT id::text FROM alerts ORDER BY id LIMIT 3'))
      .rows)
      await pool.query('DELETE FROM alerts WHERE id = $1', [id.id]);
    await expectRollupsMatchAlerts();

    // A week dropped whole by hand, then retention: org a keeps 20 days (weeks holding only its
    // alerts drop, the rest is deleted row by row), org b has no rule and keeps everything.
    const weeks = (await listAlertPartitions(pool)).filter((p) => p.to.getTime() < now - 40 * DAY);
    expect(weeks.length).toBeGreaterThan(0);
    const dropped = await pool.query<{ n: string }>('SELECT alerts_drop_partition($1) AS n', [
      weeks[0]!.name,
    ]);
    expect(Number(dropped.rows[0]!.n)).toBeGreaterThan(0);
    await expectRollupsMatchAlerts();
    await setAlertRetention(db, {
      organizationId: a.id,
      storageLimitBytes: null,
      actor: {},
      rules: [{ environmentId: null, priority: null, days: 20 }],
    });
    await dropExpiredAlertPartitions(pool, now);
    await expectRollupsMatchAlerts();
    while ((await deleteExpiredAlerts(pool, now, 200)) > 0);
    const left = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM alerts WHERE "organizationId" = $1 AND "eventTime" < $2`,
      [a.id, new Date(now - 20 * DAY)],
    );
    expect(left.rows[0]!.n).toBe('0');
    await expectRollupsMatchAlerts();

    // Org b deleted: its rows go batch-wise, org a's stay right.
    await markOrganizationDeleting(db, { organizationId: b.id, confirmName: 'tags-b' }, {});
    await purgeOrganization(db, b.id, { batchSize: 100 });
    for (const table of ['alert_tag_rollups', 'alert_tag_rollups_5m']) {
      const gone = await pool.query(`SELECT 1 FROM ${table} WHERE "organizationId" = $1`, [b.id]);
      expect(gone.rowCount, table).toBe(0);
    }
    await expectRollupsMatchAlerts();

    // With org b gone, nothing keeps the old weeks (org a's are deleted): they drop.
    await dropExpiredAlertPartitions(pool, now);
    expect((await listAlertPartitions(pool)).filter((p) => p.to.getTime() < now - 21 * DAY)).toEqual([]);
    await expectRollupsMatchAlerts();
  });

  it('counts per tag array equal a GROUP BY over alerts for any range, partial hours and five minutes included', async () => {
    const rand = random(4);
    // A fixed hour boundary plus a fraction, so ranges fall both on and between hour boundaries.
    const now = Math.floor(Date.now() / HOUR) * HOUR + 1_234_567;
    const a = await org('range-a');
    await store(rand, a, 700, now, 10);
    // Some hours end up with rollup rows at zero: they must not show.
    await pool.query('DELETE FROM alerts WHERE id % 4 = 0');
    const scope = (environmentId: string, from: number, to: number) => ({
      organizationId: a.id,
      environmentId,
      from: new Date(from),
      to: new Date(to),
    });
    const ranges: [number, number][] = [
      [now - 30 * DAY, now + HOUR], // everything
      [now - 24 * HOUR, now], // the 24-hour preset
      [Math.floor(now / HOUR) * HOUR - 5 * HOUR, Math.floor(now / HOUR) * HOUR], // whole hours only
      [now - 2 * HOUR + 1, now - 2 * HOUR + 1_000_000], // inside one hour
      [now - 3 * HOUR - 1000, now - 2 * HOUR + 1000], // no whole hour between the edges
      [now - 3 * HOUR - 1000, now - 3 * HOUR + 4 * MINUTE], // no whole five minutes either
      [now - 3 * HOUR - 7 * MINUTE, now - 3 * HOUR + 8 * MINUTE], // whole five minutes, no hour
      [Math.floor(now / HOUR) * HOUR - 7 * HOUR - 5 * MINUTE, Math.floor(now / HOUR) * HOUR - 5 * MINUTE], // on five-minute edges
      [now, now + DAY], // nothing stored
    ];
    // Random ranges of every length, from under five minutes to four days, at any millisecond.
    for (let i = 0; i < 60; i++) {
      const from = now - Math.floor(rand() * 10 * DAY);
      const length = [10 * MINUTE, 2 * HOUR, 4 * DAY][i % 3] as number;
      ranges.push([from, from + 1 + Math.floor(rand() * length)]);
    }
    for (const [from, to] of ranges) {
      for (const env of [a.production, a.staging]) {
        const s = scope(env, from, to);
        expect(
          await countFromRollups(s),
          `${new Date(from).toISOString()}..${new Date(to).toISOString()}`,
        ).toEqual(await countFromAlerts(s));
      }
    }
    // Another organisation's id with this environment finds nothing (the scope is both).
    const other = await org('range-b');
    expect(
      await countAlertsByTagSet(db, {
        ...scope(a.production, now - 30 * DAY, now),
        organizationId: other.id,
      }),
    ).toEqual([]);
  });

  it('reads alerts only for the partial five minutes at each edge, the partial hours from five-minute rows', async () => {
    const rand = random(7);
    const now = Date.now();
    const c = await org('edges-c');
    await store(rand, c, 300, now, 1);
    const h = Math.floor(now / HOUR) * HOUR - 5 * HOUR;
    const from = h + 7 * MINUTE + 30_000;
    const to = h + 3 * HOUR + 52 * MINUTE + 10_000;
    // Stored with the triggers off, so no rollup row knows of them: whether one counts says which
    // source the matrix read its time from. In the partial five minutes at the edges (alerts:
    // counted), in whole five minutes of the partial hours (rollups: not), in a whole hour (not).
    const hidden = [
      h + 7 * MINUTE + 40_000,
      h + 3 * HOUR + 51 * MINUTE,
      h + 20 * MINUTE,
      h + 3 * HOUR + 20 * MINUTE,
      h + 2 * HOUR,
    ];
    const client = await pool.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
         SELECT $1::uuid, $2::uuid, 'R', 'warning', 'syscall', 'out', ARRAY['hidden', 'T1059'], at, 'k'
         FROM unnest($3::timestamptz[]) AS u(at)`,
        [c.id, c.production, hidden.map((t) => new Date(t))],
      );
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
    const s = { organizationId: c.id, environmentId: c.production, from: new Date(from), to: new Date(to) };
    const expected = (await countFromAlerts(s)).filter((k) => !k.startsWith('{hidden,'));
    expect((await countFromRollups(s)).sort()).toEqual([...expected, '{hidden,T1059} 2'].sort());
  });
});

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
import { type AlertDashboard, getAlertDashboard, splitDashboardRange } from './web-alerts-dashboard.js';
import { markOrganizationDeleting, purgeOrganization } from './web-organization-deletion.js';

/**
 * The dashboard's rollups per dimension (alert_rollups hourly, alert_rollups_daily,
 * alert_rollups_5m) on the real server: they must equal a plain GROUP BY over the alerts stored,
 * whichever way alerts come and go (insert, triage, delete, a week dropped, retention, an
 * organisation purged), and the dashboard read from them (whole days, hours, five minutes) and from
 * alerts (the partial five minutes at the edges) must equal plain counts over alerts for any range.
 */
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let pool: pg.Pool;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_dashboard_rollups');
  db = createDb(handle.url, { max: 6 });
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

type Org = { id: string; production: string; staging: string };

async function org(slug: string): Promise<Org> {
  const o = await db.prisma.organization.create({ data: { name: slug, slug } });
  const env = (name: string) =>
    db.prisma.environment
      .create({ data: { organizationId: o.id, name, displayName: name } })
      .then((e) => e.id);
  return { id: o.id, production: await env('production'), staging: await env('staging') };
}

const RULES = ['Shell', 'Read shadow', 'Write below etc', 'K8s secret'];
const PRIORITIES = ['debug', 'warning', 'error', 'critical'];
const SOURCES = ['syscall', 'k8s_audit'];
const STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'];

/**
 * Stores `n` alerts through the parent table in statements of up to `perStatement` rows (as the
 * collector's batches do), every dimension drawn from `rand`: some without a host or namespace,
 * one namespace longer than the 512-character key bound; times over the `days` before `now`,
 * clustered so that statements, hours and five minutes share keys.
 */
async function store(rand: () => number, o: Org, n: number, now: number, days: number, perStatement = 25) {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  for (let done = 0; done < n; done += perStatement) {
    const rows = Math.min(perStatement, n - done);
    const cols: string[][] = [[], [], [], [], [], [], [], []];
    for (let i = 0; i < rows; i++) {
      const ns =
        rand() < 0.2 ? null : rand() < 0.05 ? `long-${'n'.repeat(600)}` : `ns-${Math.floor(rand() * 4)}`;
      const hour = Math.floor(rand() * rand() * days * 24);
      const values = [
        rand() < 0.7 ? o.production : o.staging,
        pick(RULES),
        pick(PRIORITIES),
        pick(SOURCES),
        rand() < 0.15 ? '' : `node-${Math.floor(rand() * 6)}`,
        JSON.stringify(ns === null ? {} : { 'k8s.ns.name': ns }),
        new Date(now - hour * HOUR - Math.floor(rand() * HOUR)).toISOString(),
        pick(STATUSES),
      ];
      values.forEach((v, c) => {
        cols[c]?.push(v);
      });
    }
    await pool.query(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, hostname, output,
                           "outputFields", tags, "eventTime", status, "dedupKey")
       SELECT $1::uuid, e, r, p::"Priority", s, NULLIF(h, ''), 'out', f::jsonb, ARRAY['t'], at, st::"AlertStatus", 'k'
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[])
         AS u(e, r, p, s, h, f, at, st)`,
      [o.id, ...cols],
    );
  }
}

const DIMENSION_SQL = `(VALUES ('priority', priority::text), ('rule', rule), ('source', source), ('host', hostname),
  ('namespace', alert_rollup_key("outputFields"->>'k8s.ns.name')), ('status', status::text)) AS d(dimension, key)`;

/** What each rollup table says and what the alerts say, per environment, bucket, dimension and key. */
async function expectRollupsMatchAlerts(): Promise<void> {
  for (const [table, bucket] of [
    ['alert_rollups', `date_trunc('hour', "eventTime", 'UTC')`],
    ['alert_rollups_daily', `date_trunc('day', "eventTime", 'UTC')`],
    ['alert_rollups_5m', `date_bin('5 minutes', "eventTime", TIMESTAMPTZ 'epoch')`],
  ] as const) {
    const rolled = await pool.query<{ k: string }>(
      `SELECT "organizationId"::text || ' ' || "environmentId"::text || ' '
              || to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' ' || dimension || ' '
              || md5(key) || ' ' || count AS k
       FROM ${table} WHERE count <> 0 ORDER BY 1`,
    );
    const stored = await pool.query<{ k: string }>(
      `SELECT o || ' ' || e || ' ' || h || ' ' || dimension || ' ' || md5(key) || ' ' || n AS k FROM (
         SELECT "organizationId"::text AS o, "environmentId"::text AS e,
                to_char(${bucket} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS h, d.dimension, d.key, count(*) AS n
         FROM alerts CROSS JOIN LATERAL ${DIMENSION_SQL}
         WHERE d.key IS NOT NULL GROUP BY 1, 2, 3, 4, 5) s ORDER BY 1`,
    );
    expect(stored.rows.length, table).toBeGreaterThan(0);
    expect(
      rolled.rows.map((r) => r.k),
      table,
    ).toEqual(stored.rows.map((r) => r.k));
    const negative = await pool.query(`SELECT 1 FROM ${table} WHERE count < 0`);
    expect(negative.rowCount, table).toBe(0);
  }
}

/** The dashboard as plain GROUP BYs over alerts: the oracle for the rollup read. */
async function dashboardFromAlerts(
  o: Org,
  environmentIds: string[] | undefined,
  from: Date,
  to: Date | null,
  bucketSeconds: number,
): Promise<Record<string, string[]>> {
  const origin = new Date(Math.floor(from.getTime() / HOUR) * HOUR);
  const where = `"organizationId" = $1 AND ($2::uuid[] IS NULL OR "environmentId" = ANY($2))
    AND "eventTime" >= $3 AND ($4::timestamptz IS NULL OR "eventTime" < $4)`;
  const params = [o.id, environmentIds ?? null, from, to];
  const dims = await pool.query<{ dimension: string; k: string }>(
    `SELECT d.dimension, d.key || ' ' || count(*) AS k FROM alerts CROSS JOIN LATERAL ${DIMENSION_SQL}
     WHERE ${where} AND d.key IS NOT NULL AND d.dimension <> 'priority' GROUP BY 1, d.key ORDER BY 2`,
    params,
  );
  const overTime = await pool.query<{ k: string }>(
    `SELECT to_char(date_bin(make_interval(secs => $5), "eventTime", $6) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
            || ' ' || priority::text || ' ' || count(*) AS k
     FROM alerts WHERE ${where} GROUP BY date_bin(make_interval(secs => $5), "eventTime", $6), priority ORDER BY 1`,
    [...params, bucketSeconds, origin],
  );
  const out: Record<string, string[]> = { overTime: overTime.rows.map((r) => r.k) };
  for (const d of ['rule', 'source', 'host', 'namespace', 'status']) {
    out[d] = dims.rows.filter((r) => r.dimension === d).map((r) => r.k);
  }
  return out;
}

/** The same shape from the dashboard (every key: topN large). */
function shape(d: AlertDashboard): Record<string, string[]> {
  const keys = (xs: { key: string; count: number }[]) => xs.map((x) => `${x.key} ${x.count}`).sort();
  return {
    overTime: d.overTime
      .map((b) => `${b.bucket.toISOString().slice(0, 16).replace('T', ' ')} ${b.priority} ${b.count}`)
      .sort(),
    rule: keys(d.topRules),
    source: keys(d.bySource),
    host: keys(d.byHost),
    namespace: keys(d.byNamespace),
    status: keys(d.byStatus),
  };
}

const sorted = (r: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [...v].sort()]));

describe('splitDashboardRange', () => {
  it('covers every instant of a range exactly once, coarsest buckets inside, alerts only under five minutes at each edge', () => {
    const rand = random(11);
    const base = Date.UTC(2026, 11, 1);
    for (let i = 0; i < 500; i++) {
      const from = base + Math.floor(rand() * 20 * DAY);
      const to = from + 1 + Math.floor(rand() * [10 * MINUTE, 3 * HOUR, 2 * DAY, 12 * DAY][i % 4]!);
      for (const days of [true, false]) {
        const split = splitDashboardRange(new Date(from), new Date(to), { days });
        const parts = [
          ...split.days.map(([lo, hi]) => ({ lo, hi, step: DAY })),
          ...split.hours.map(([lo, hi]) => ({ lo, hi, step: HOUR })),
          ...split.fiveMinutes.map(([lo, hi]) => ({ lo, hi, step: 5 * MINUTE })),
          ...split.alerts.map(([lo, hi]) => ({ lo, hi, step: 1 })),
        ]
          .map(({ lo, hi, step }) => ({ lo: lo.getTime(), hi: (hi as Date).getTime(), step }))
          .sort((a, b) => a.lo - b.lo);
        if (!days) expect(split.days).toEqual([]);
        expect(parts[0]?.lo).toBe(from);
        expect(parts.at(-1)?.hi).toBe(to);
        parts.forEach((p, j) => {
          expect(p.lo).toBeLessThan(p.hi);
          expect(p.lo % p.step).toBe(0);
          expect(p.hi % p.step).toBe(0);
          if (j > 0) expect(p.lo).toBe(parts[j - 1]?.hi);
        });
        expect(split.alerts.length).toBeLessThanOrEqual(2);
        // The alerts read: at most the partial five minutes at each edge, unless the range holds
        // no whole five minutes at all.
        for (const [lo, hi] of split.alerts) {
          if (split.fiveMinutes.length + split.hours.length + split.days.length > 0)
            expect(hi.getTime() - lo.getTime()).toBeLessThan(5 * MINUTE);
        }
        expect(split.hours.length).toBeLessThanOrEqual(days ? 2 : 1);
        expect(split.fiveMinutes.length).toBeLessThanOrEqual(2);
      }
    }
    // An open range: its coarsest part has no end, and only the start has edges.
    const open = splitDashboardRange(new Date(base + 7 * MINUTE + 1), null);
    expect(open.days).toEqual([[new Date(base + DAY), null]]);
    expect(open.hours).toEqual([[new Date(base + HOUR), new Date(base + DAY)]]);
    expect(open.fiveMinutes).toEqual([[new Date(base + 10 * MINUTE), new Date(base + HOUR)]]);
    expect(open.alerts).toEqual([[new Date(base + 7 * MINUTE + 1), new Date(base + 10 * MINUTE)]]);
  });
});

describe('dashboard rollups (hourly, daily, five-minute)', () => {
  it('stay equal to the alerts per bucket, dimension and key through insert, triage, delete, week drop, retention and purge', async () => {
    const rand = random(23);
    const now = Date.now();
    const a = await org('dash-a');
    const b = await org('dash-b');
    await store(rand, a, 600, now, 60, 100);
    await store(rand, b, 200, now, 60, 7);
    await ensureAlertPartitions(pool, now, 1);
    await expectRollupsMatchAlerts();
    // Bounded by the keys, not the alerts: at most 12 five-minute rows per hourly row, and fewer
    // daily rows than hourly ones.
    const rows = async (table: string) =>
      Number((await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
    const [hourly, daily, fine] = [
      await rows('alert_rollups'),
      await rows('alert_rollups_daily'),
      await rows('alert_rollups_5m'),
    ];
    expect(daily).toBeLessThan(hourly);
    expect(fine).toBeLessThanOrEqual(12 * hourly);
    expect(fine).toBeLessThanOrEqual(6 * 800);

    // Triage moves status counts (one statement over many hours and days; then a single row).
    await pool.query(`UPDATE alerts SET status = 'acknowledged' WHERE id % 3 = 0`);
    await expectRollupsMatchAlerts();
    await pool.query(`UPDATE alerts SET status = 'resolved' WHERE id = (SELECT max(id) FROM alerts)`);
    await expectRollupsMatchAlerts();

    // Row deletes (one statement with many keys and buckets; then single rows).
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
    await expectRollupsMatchAlerts();

    // Org b deleted: its rows go batch-wise, org a's stay right.
    await markOrganizationDeleting(db, { organizationId: b.id, confirmName: 'dash-b' }, {});
    await purgeOrganization(db, b.id, { batchSize: 100 });
    for (const table of ['alert_rollups', 'alert_rollups_daily', 'alert_rollups_5m']) {
      const gone = await pool.query(`SELECT 1 FROM ${table} WHERE "organizationId" = $1`, [b.id]);
      expect(gone.rowCount, table).toBe(0);
    }
    await expectRollupsMatchAlerts();

    // An environment deleted: its rows go by cascade.
    await db.prisma.environment.delete({ where: { id: a.staging } });
    for (const table of ['alert_rollups', 'alert_rollups_daily', 'alert_rollups_5m']) {
      const gone = await pool.query(`SELECT 1 FROM ${table} WHERE "environmentId" = $1`, [a.staging]);
      expect(gone.rowCount, table).toBe(0);
    }
    await expectRollupsMatchAlerts();
  });

  it('gives the counts of a GROUP BY over alerts for any range, open or closed, partial days, hours and five minutes included', async () => {
    const rand = random(5);
    // A fixed hour boundary plus a fraction, so ranges fall both on and between boundaries.
    const now = Math.floor(Date.now() / HOUR) * HOUR + 1_234_567;
    const a = await org('dash-range-a');
    await store(rand, a, 900, now, 12);
    // Some buckets end up with rollup rows at zero: they must not show.
    await pool.query('DELETE FROM alerts WHERE id % 4 = 0');
    await pool.query(`UPDATE alerts SET status = 'resolved' WHERE id % 7 = 0`);
    const today = Math.floor(now / DAY) * DAY;
    const ranges: [number, number | null][] = [
      [now - 30 * DAY, null], // everything, open (the presets: to is now, unset)
      [now - 24 * HOUR, null],
      [now - 7 * DAY, null],
      [now - 30 * DAY, now + HOUR],
      [today - 3 * DAY, today], // whole days only
      [today - 2 * DAY - 3 * HOUR, today - DAY + 5 * HOUR], // whole hours on both sides of a day
      [Math.floor(now / HOUR) * HOUR - 5 * HOUR, Math.floor(now / HOUR) * HOUR], // whole hours only
      [now - 2 * HOUR + 1, now - 2 * HOUR + 1_000_000], // inside one hour
      [now - 3 * HOUR - 1000, now - 2 * HOUR + 1000], // no whole hour between the edges
      [now - 3 * HOUR - 1000, now - 3 * HOUR + 4 * MINUTE], // no whole five minutes either
      [now - 3 * HOUR - 7 * MINUTE, now - 3 * HOUR + 8 * MINUTE], // whole five minutes, no hour
      [now, now + DAY], // nothing stored
      [now, null],
    ];
    // Random ranges of every length, from under five minutes to six days, at any millisecond.
    for (let i = 0; i < 45; i++) {
      const from = now - Math.floor(rand() * 12 * DAY);
      const length = [10 * MINUTE, 3 * HOUR, 2 * DAY, 6 * DAY][i % 4] as number;
      ranges.push([from, i % 9 === 0 ? null : from + 1 + Math.floor(rand() * length)]);
    }
    let compared = 0;
    for (const [from, to] of ranges) {
      for (const environmentIds of [[a.production], undefined]) {
        for (const bucketSeconds of [3600, 6 * 3600, 86_400]) {
          if (bucketSeconds !== 3600 && (compared++ % 3 !== 0 || environmentIds === undefined)) continue;
          const filter = {
            organizationId: a.id,
            environmentIds,
            from: new Date(from),
            to: to === null ? undefined : new Date(to),
          };
          const got = await getAlertDashboard(db, filter, { bucketSeconds, topN: 1000 });
          const want = await dashboardFromAlerts(
            a,
            environmentIds,
            new Date(from),
            to === null ? null : new Date(to),
            bucketSeconds,
          );
          const label = `${new Date(from).toISOString()}..${to === null ? 'open' : new Date(to).toISOString()} / ${bucketSeconds}`;
          expect(shape(got), label).toEqual(sorted(want));
          expect(got.total, label).toBe(
            (want.overTime ?? []).reduce((s, k) => s + Number(k.split(' ').at(-1)), 0),
          );
        }
      }
    }
  });

  it('reads alerts only for the partial five minutes at each edge; days, hours and five minutes from rollups', async () => {
    const rand = random(8);
    const now = Date.now();
    const c = await org('dash-edges');
    await store(rand, c, 300, now, 4);
    const day = Math.floor(now / DAY) * DAY - 2 * DAY;
    const from = day - 2 * HOUR - 23 * MINUTE - 30_000; // partial day before, partial hour, partial 5 min
    const to = day + DAY + HOUR + 17 * MINUTE + 10_000;
    // Stored with the triggers off, so no rollup row knows of them: whether one counts says which
    // source the dashboard read its time from. In the partial five minutes at the edges (alerts:
    // counted); in whole five minutes of the partial hours, whole hours of the partial days and
    // a whole day (rollups: not).
    const hidden = [
      from + 10_000,
      to - 5_000,
      day - 2 * HOUR - 10 * MINUTE,
      day + DAY + HOUR + 5 * MINUTE,
      day - HOUR,
      day + DAY + 30 * MINUTE,
      day + 12 * HOUR,
    ];
    const client = await pool.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, hostname, output, tags, "eventTime", "dedupKey")
         SELECT $1::uuid, $2::uuid, 'Hidden', 'emergency', 'hidden', 'hidden-host', 'out', ARRAY['t'], at, 'k'
         FROM unnest($3::timestamptz[]) AS u(at)`,
        [c.id, c.production, hidden.map((t) => new Date(t))],
      );
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
    const got = await getAlertDashboard(
      db,
      { organizationId: c.id, environmentIds: [c.production], from: new Date(from), to: new Date(to) },
      { bucketSeconds: 3600, topN: 1000 },
    );
    expect(got.topRules.find((r) => r.key === 'Hidden')?.count).toBe(2);
    expect(got.byHost.find((r) => r.key === 'hidden-host')?.count).toBe(2);
    expect(got.bySource.find((r) => r.key === 'hidden')?.count).toBe(2);
    expect(got.byPriority.find((r) => r.priority === 'emergency')?.count).toBe(2);
  });
});

/**
 * Alert list and dashboard latency over BENCH_ALERTS alerts (one million by default; issue 18 asks
 * for ten: `BENCH_ALERTS=10000000 npm run bench -w @peregrine/web`). Bulk-loads a fresh database
 * on the local Postgres with COPY (BENCH_REUSE=1 keeps an already loaded one), then times the
 * console's own service functions, which is what a tRPC request runs minus HTTP.
 */
import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '@peregrine/db/migrate';
import pg from 'pg';
import { expect, it } from 'vitest';
import { BENCH_DATABASE, loadAlerts } from './load-alerts';
import { TEST_SERVER_URL } from '@peregrine/db/testing';

const SERVER = TEST_SERVER_URL;
// One million by default: ten million (issue 18's size) took over an hour to load here.
const TOTAL = Number(process.env.BENCH_ALERTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
// BENCH_CASES: a regular expression; only the cases whose name matches are timed.
const CASES = new RegExp(process.env.BENCH_CASES ?? '');
// BENCH_DATABASE: another database name, e.g. a copy made with CREATE DATABASE ... TEMPLATE.
const DATABASE = process.env.BENCH_DATABASE ?? BENCH_DATABASE;
// BENCH_DISTINCT_CONTENTS: how many distinct contents the loaded alerts share (Falco's outputs
// repeat); unset or 0 makes every content distinct, the worst case for alert_contents.
const DISTINCT_CONTENTS = Number(process.env.BENCH_DISTINCT_CONTENTS ?? 0);
// Issue 18: list and filters under 50 ms p95, free text under 100 ms, the dashboard under 200 ms.
const LIST_P95_MS = 50;
const TEXT_P95_MS = 100;
const DASHBOARD_P95_MS = 200;
// Issue 19: the ATT&CK matrix reads rollups per tag array (hours, then five minutes at the edges)
// and at most five minutes of alerts at each edge: the dashboard's target.
const ATTACK_P95_MS = DASHBOARD_P95_MS;

function urlFor(database: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function prepare(): Promise<{ url: string; organizationId: string; userId: string }> {
  const url = urlFor(DATABASE);
  if (process.env.BENCH_REUSE === '1') {
    const existing = await admin((c) =>
      c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]).then((r) => r.rowCount === 1),
    );
    if (existing) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const org = await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = 'bench'`);
      await c.end();
      if (org.rows[0]) {
        console.log(`reusing ${DATABASE}`);
        await migrateDatabase(url);
        return { url, organizationId: org.rows[0].id, userId: 'bench-user-1' };
      }
    }
  }
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DATABASE}`);
  });
  await migrateDatabase(url);
  console.log(`loading ${TOTAL} alerts into ${DATABASE}`);
  const started = Date.now();
  const seeded = await loadAlerts(url, TOTAL, (line) => console.log(line), {
    distinctContents: DISTINCT_CONTENTS,
  });
  console.log(`loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { url, organizationId: seeded.organizationId, userId: seeded.userId };
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

async function measure(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1) as number };
}

/**
 * Two ways of one query on the same data in the same run, alternated call by call (A, B, A, B, ...)
 * after 3 warm-ups each, so the machine's load falls on both alike.
 */
async function measurePair(
  a: (i: number) => Promise<unknown>,
  b: (i: number) => Promise<unknown>,
): Promise<[{ p50: number; p95: number; max: number }, { p50: number; p95: number; max: number }]> {
  for (let i = 0; i < 3; i++) {
    await a(i);
    await b(i);
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [j, fn] of [a, b].entries()) {
      const t = performance.now();
      await fn(i);
      times[j]?.push(performance.now() - t);
    }
  }
  return times.map((ts) => {
    ts.sort((x, y) => x - y);
    return { p50: percentile(ts, 50), p95: percentile(ts, 95), max: ts.at(-1) as number };
  }) as [{ p50: number; p95: number; max: number }, { p50: number; p95: number; max: number }];
}

it(
  'alert list p95 < 50 ms (free text < 100 ms) and dashboard p95 < 200 ms over BENCH_ALERTS alerts',
  async () => {
    const { url, organizationId, userId } = await prepare();
    process.env.DATABASE_URL = url;
    process.env.BETTER_AUTH_SECRET ??= randomBytes(32).toString('base64url');
    const { alertFilterSchema } = await import('../src/server/routers/alerts/alert-filter.schema');
    const { listAlerts } = await import('../src/server/services/alerts/list-alerts');
    const { getAlertDashboard } = await import('../src/server/services/dashboard/get-alert-dashboard');
    const filter = (f: Record<string, unknown>) => alertFilterSchema.parse(f);
    const list =
      (f: Record<string, unknown>, cursor: string | null = null) =>
      () =>
        listAlerts({ organizationId, userId, filter: filter(f), cursor, limit: 50 });

    // A cursor 20 pages deep, as a user scrolling far would send.
    let deep: string | null = null;
    for (let i = 0; i < 20; i++) {
      deep = (await list({ environment: 'production' }, deep)()).nextCursor;
    }

    const listCases: [string, () => Promise<unknown>][] = [
      ['all environments, newest', list({})],
      ['production, newest', list({ environment: 'production' })],
      ['production, page 21 (keyset cursor)', list({ environment: 'production' }, deep)],
      [
        'priority >= critical, last 7 days',
        list({ environment: 'production', priority: { op: 'gte', value: 'critical' }, range: '7d' }),
      ],
      [
        'priority = emergency (rare)',
        list({ environment: 'production', priority: { op: 'eq', value: 'emergency' } }),
      ],
      [
        'status open + rule',
        list({ environment: 'production', statuses: ['open'], rules: ['Write below etc'] }),
      ],
      [
        'host node-150 (rare), 30 days',
        list({ environment: 'production', hostnames: ['node-150'], range: '30d' }),
      ],
      [
        'output field k8s.ns.name = ns-3',
        list({ environment: 'production', fields: [{ key: 'k8s.ns.name', value: 'ns-3' }] }),
      ],
      [
        'output field k8s.ns.name = ns-29 (rare) + priority >= error',
        list({
          environment: 'production',
          fields: [{ key: 'k8s.ns.name', value: 'ns-29' }],
          priority: { op: 'gte', value: 'error' },
        }),
      ],
      ['tags contain mitre_persistence', list({ tags: ['mitre_persistence'] })],
      ['free text "passwd" (5%)', list({ environment: 'production', text: 'passwd' })],
      ['free text "/etc/shadow" (0.2%)', list({ environment: 'production', text: '/etc/shadow' })],
      ['free text, no match', list({ environment: 'production', text: 'no-such-command-xyz' })],
      [
        'unassigned + open + last 24h',
        list({ environment: 'production', assignees: ['none'], statuses: ['open'], range: '24h' }),
      ],
    ];
    const dash = (f: Record<string, unknown>) => () =>
      getAlertDashboard({ organizationId, userId, filter: filter(f) });
    const dashboardCases: [string, () => Promise<unknown>][] = [
      ['dashboard, production, 24 hours', dash({ environment: 'production', range: '24h' })],
      ['dashboard, production, 7 days', dash({ environment: 'production', range: '7d' })],
      ['dashboard, all environments, 7 days', dash({ range: '7d' })],
      ['dashboard, production, 30 days', dash({ environment: 'production', range: '30d' })],
    ];

    const { getAttackMatrix } = await import('../src/server/services/attack/get-attack-matrix');
    const production = await admin(async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = await c.query<{ id: string }>(
        `SELECT id::text FROM environments WHERE "organizationId" = $1 AND name = 'production'`,
        [organizationId],
      );
      await c.end();
      return r.rows[0]?.id as string;
    });
    const matrix = (range: '24h' | '7d' | '30d') => () =>
      getAttackMatrix({ organizationId, environmentId: production, range, from: null, to: null });
    // The matrix's count query alone, as it reads now (whole hours, then five-minute rows, then at
    // most five minutes of alerts at each edge) and as it read before 20261215081000 (whole hours,
    // then the two partial hours from alerts): the same run's baseline for the edge cost. Both go
    // through the same Prisma client; the old statement is kept here only to be timed.
    const { countAlertsByTagSet, getDb } = await import('@peregrine/db');
    const benchDb = getDb(url);
    const scopeFor = (ms: number) => {
      const to = new Date();
      return { organizationId, environmentId: production, from: new Date(to.getTime() - ms), to };
    };
    const tagCounts = (ms: number) => () => countAlertsByTagSet(benchDb, scopeFor(ms));
    const hourEdgeTagCounts = (ms: number) => () => {
      const { from, to } = scopeFor(ms);
      const firstHour = new Date(Math.ceil(from.getTime() / 3_600_000) * 3_600_000);
      const lastHour = new Date(Math.floor(to.getTime() / 3_600_000) * 3_600_000);
      const edge = (lo: number, hi: number) => `
        SELECT a.tags, count(*) AS n FROM alerts a
        WHERE a."environmentId" = $1::uuid AND a."organizationId" = $2::uuid
          AND a."eventTime" >= $${lo} AND a."eventTime" < $${hi} AND cardinality(a.tags) > 0
        GROUP BY a.tags`;
      return benchDb.prisma.$queryRawUnsafe(
        `SELECT t.tags, sum(t.n)::bigint AS count FROM (
           SELECT r.tags, r.count AS n FROM alert_tag_rollups r
           WHERE r."environmentId" = $1::uuid AND r."organizationId" = $2::uuid
             AND r.bucket >= $4 AND r.bucket < $5
           UNION ALL ${edge(3, 4)} UNION ALL ${edge(5, 6)}) t
         GROUP BY t.tags HAVING sum(t.n) > 0`,
        production,
        organizationId,
        from,
        firstHour,
        lastHour,
        to,
      );
    };
    const HOUR_MS = 3_600_000;
    // The matrix's incident counts read the alerts that are in incidents. The loader makes none:
    // when the database has none, one incident per production host and six hours, holding every
    // 20th alert (5% of the alerts, as if the correlator had grouped them; rows written directly,
    // only to be read here).
    await benchDb.prisma.$executeRawUnsafe(
      `WITH picked AS (
         SELECT a.id, a."eventTime", a."organizationId", a."environmentId", a.hostname, a.tags,
                date_bin('6 hours', a."eventTime", 'epoch') AS slot
         FROM alerts a WHERE a."environmentId" = $1::uuid AND a.id % 20 = 0
           AND NOT EXISTS (SELECT 1 FROM incidents)),
       made AS (
         INSERT INTO incidents ("organizationId", "environmentId", title, priority, tactics, sources,
                                "alertCount", "firstSeenAt", "lastSeenAt")
         SELECT "organizationId", "environmentId", coalesce(hostname, '?') || ' ' || slot::text, 'warning',
                '{}', '{syscall}', count(*), min("eventTime"), max("eventTime")
         FROM picked GROUP BY "organizationId", "environmentId", hostname, slot
         RETURNING id, title)
       INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", "linkedBy", tags)
       SELECT p.id, p."eventTime", m.id, 'correlator', '{}', p.tags
       FROM picked p JOIN made m ON m.title = coalesce(p.hostname, '?') || ' ' || p.slot::text`,
      production,
    );
    // Statistics, as autovacuum would have gathered on a live system (unanalysed, the old
    // per-alert read planned a nested loop and an on-disk sort: 1.9 s instead of 0.6 s at 10M).
    await benchDb.prisma.$executeRawUnsafe('ANALYZE incidents, incident_alerts');
    const { countIncidentsByTagSet } = await import('@peregrine/db');
    const { listIncidents } = await import('../src/server/services/incidents/list-incidents');
    const incidentSets = (ms: number) => () => countIncidentsByTagSet(benchDb, scopeFor(ms));
    // The incident list's first page under the matrix's click-through (its ATT&CK filter), for the
    // technique with the most incidents over 30 days and for the one with the fewest.
    const month = await getAttackMatrix({
      organizationId,
      environmentId: production,
      range: '30d',
      from: null,
      to: null,
    });
    const ranked = month.techniques.filter((t) => t.incidents > 0).sort((a, b) => b.incidents - a.incidents);
    const busiest = ranked[0]?.id ?? 'T1059';
    const rarest = ranked.at(-1)?.id ?? 'T1059';
    const incidentPage = (id: string, ms: number) => () => {
      const { from, to } = scopeFor(ms);
      return listIncidents({
        organizationId,
        environmentId: production,
        attack: { id, from: from.toISOString(), to: to.toISOString() },
        limit: 50,
      });
    };
    const attackCases: [string, () => Promise<unknown>][] = [
      ['ATT&CK incident counts per tag set, 24 hours', incidentSets(24 * HOUR_MS)],
      ['ATT&CK incident counts per tag set, 7 days', incidentSets(7 * 24 * HOUR_MS)],
      ['ATT&CK incident counts per tag set, 30 days', incidentSets(30 * 24 * HOUR_MS)],
      [`ATT&CK incident list of ${busiest} (most incidents), 24 hours`, incidentPage(busiest, 24 * HOUR_MS)],
      [
        `ATT&CK incident list of ${busiest} (most incidents), 7 days`,
        incidentPage(busiest, 7 * 24 * HOUR_MS),
      ],
      [
        `ATT&CK incident list of ${busiest} (most incidents), 30 days`,
        incidentPage(busiest, 30 * 24 * HOUR_MS),
      ],
      [
        `ATT&CK incident list of ${rarest} (fewest incidents), 30 days`,
        incidentPage(rarest, 30 * 24 * HOUR_MS),
      ],
      ['ATT&CK matrix, production, 24 hours', matrix('24h')],
      ['ATT&CK matrix, production, 7 days', matrix('7d')],
      ['ATT&CK matrix, production, 30 days', matrix('30d')],
      ['ATT&CK tag counts, 24 hours, hour edges from alerts (before)', hourEdgeTagCounts(24 * HOUR_MS)],
      ['ATT&CK tag counts, 24 hours, five-minute edges', tagCounts(24 * HOUR_MS)],
      ['ATT&CK tag counts, 7 days, hour edges from alerts (before)', hourEdgeTagCounts(7 * 24 * HOUR_MS)],
      ['ATT&CK tag counts, 7 days, five-minute edges', tagCounts(7 * 24 * HOUR_MS)],
      ['ATT&CK tag counts, 30 days, hour edges from alerts (before)', hourEdgeTagCounts(30 * 24 * HOUR_MS)],
      ['ATT&CK tag counts, 30 days, five-minute edges', tagCounts(30 * 24 * HOUR_MS)],
    ];

    // The dashboard's read alone (production, ranges open at now as the presets are), as it reads
    // now (days, hours, five minutes, at most five minutes of alerts at each edge) and as it read
    // before 20261216200000 (hours, then the partial hour at the start from alerts), alternated.
    const { getAlertDashboard: dashboardRows } = await import('@peregrine/db');
    const { dashboardWithHourEdges } = await import('./dashboard-hour-edges');
    const environments = await benchDb.prisma.environment.findMany({
      where: { organizationId },
      select: { id: true },
    });
    const all = environments.map((e) => e.id);
    const dashboardPairs: [string, number, number, string[]][] = [
      ['dashboard rows, production, 24 hours', 24 * HOUR_MS, 3600, [production]],
      ['dashboard rows, production, 7 days', 7 * 24 * HOUR_MS, 12 * 3600, [production]],
      ['dashboard rows, all environments, 7 days', 7 * 24 * HOUR_MS, 12 * 3600, all],
      ['dashboard rows, production, 30 days', 30 * 24 * HOUR_MS, 86_400, [production]],
    ];
    const pairLines: string[] = [];
    for (const [name, ms, bucketSeconds, environmentIds] of dashboardPairs.filter(([name]) =>
      CASES.test(name),
    )) {
      // The range's start moves through the hour call by call (the same for both reads): the
      // old read's cost follows how much of the start hour is left (a preset's `now - 24h` falls
      // anywhere in it), so timing at one moment would favour one read or the other.
      const scope = (i = 0) => {
        const hour = Math.floor((Date.now() - ms) / HOUR_MS) * HOUR_MS;
        return {
          organizationId,
          environmentIds,
          from: new Date(hour + ((i * 13 + 2) % 60) * 60_000 + 17_000),
        };
      };
      // Both are exact: the same totals per dimension over the same (fixed) range.
      const fixed = scope();
      const [now, before] = await Promise.all([
        dashboardRows(benchDb, fixed, { bucketSeconds, topN: 1000 }),
        dashboardWithHourEdges(benchDb, { ...fixed, bucketSeconds }),
      ]);
      expect(now.total, name).toBe(before.total);
      expect(now.byHost.map((h) => `${h.key} ${h.count}`).sort(), name).toEqual(
        [...(before.dims.host ?? [])]
          .filter(([, c]) => c > 0)
          .map(([k, c]) => `${k} ${c}`)
          .sort(),
      );
      const [old, cur] = await measurePair(
        (i) => dashboardWithHourEdges(benchDb, { ...scope(i), bucketSeconds }),
        (i) => dashboardRows(benchDb, scope(i), { bucketSeconds }),
      );
      pairLines.push(
        `| ${name}, hour edges (before) | ${old.p50.toFixed(1)} | ${old.p95.toFixed(1)} | ${old.max.toFixed(1)} | |`,
        `| ${name}, days + five-minute edges | ${cur.p50.toFixed(1)} | ${cur.p95.toFixed(1)} | ${cur.max.toFixed(1)} | ${(cur.p50 / old.p50).toFixed(2)} / ${(cur.p95 / old.p95).toFixed(2)} |`,
      );
    }
    // The matrix's incident counts as it reads them now (incident summaries) and as it read them
    // before 20261221100000 (every incident alert of the range), alternated: the same counts.
    const { countAttackIncidents } = await import('../src/server/services/attack/find-attack-incidents');
    const { incidentCountsBefore } = await import('./attack-incidents-before');
    for (const [name, ms] of [
      ['ATT&CK incident counts, 24 hours', 24 * HOUR_MS],
      ['ATT&CK incident counts, 7 days', 7 * 24 * HOUR_MS],
      ['ATT&CK incident counts, 30 days', 30 * 24 * HOUR_MS],
    ] as const) {
      if (!CASES.test(name)) continue;
      const fixed = scopeFor(ms);
      const [now, before] = await Promise.all([
        countAttackIncidents(fixed),
        incidentCountsBefore(benchDb, fixed),
      ]);
      expect([...now].sort(), name).toEqual([...before].sort());
      expect(before.size, name).toBeGreaterThan(0);
      const [old, cur] = await measurePair(
        () => incidentCountsBefore(benchDb, scopeFor(ms)),
        () => countAttackIncidents(scopeFor(ms)),
      );
      pairLines.push(
        `| ${name}, every incident alert (before) | ${old.p50.toFixed(1)} | ${old.p95.toFixed(1)} | ${old.max.toFixed(1)} | |`,
        `| ${name}, incident summaries | ${cur.p50.toFixed(1)} | ${cur.p95.toFixed(1)} | ${cur.max.toFixed(1)} | ${(cur.p50 / old.p50).toFixed(2)} / ${(cur.p95 / old.p95).toFixed(2)} |`,
      );
    }
    if (pairLines.length)
      console.log(
        `\nalternated A/B, ${RUNS} runs each\n\n| query | p50 ms | p95 ms | max ms | new / before p50 / p95 |\n| --- | ---: | ---: | ---: | ---: |\n${pairLines.join('\n')}\n`,
      );

    const lines = ['| query | p50 ms | p95 ms | max ms |', '| --- | ---: | ---: | ---: |'];
    const failures: string[] = [];
    for (const [cases, listTarget] of [
      [listCases, LIST_P95_MS],
      [dashboardCases, DASHBOARD_P95_MS],
      [attackCases, ATTACK_P95_MS],
    ] as const) {
      for (const [name, fn] of cases.filter(([name]) => CASES.test(name))) {
        const target = name.startsWith('free text') ? TEXT_P95_MS : listTarget;
        const r = await measure(fn);
        lines.push(`| ${name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} |`);
        if (r.p95 >= target) failures.push(`${name}: p95 ${r.p95.toFixed(1)} ms >= ${target} ms`);
      }
    }
    const count = await admin(async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM alerts');
      await c.end();
      return r.rows[0]?.n;
    });
    console.log(`\n${count} alerts, ${RUNS} runs each after 3 warm-ups\n\n${lines.join('\n')}\n`);
    if (failures.length) console.log(`over target:\n  ${failures.join('\n  ')}`);
    await benchDb.close();
    expect(failures).toEqual([]);
  },
  4 * 60 * 60_000,
);

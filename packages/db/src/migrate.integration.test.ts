import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedPostgres } from './embedded.js';
import { MIGRATIONS_DIR, migrateDatabase, readMigrations } from './migrate.js';
import { armedEngineTimers } from './schema-engine.js';
import { beforeMigration, createTempDir, createTestDatabase, TEST_SERVER_URL } from './testing.js';

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    return res.rows.map((r) => r.tablename);
  } finally {
    await client.end();
  }
}

const PARTITIONING = '20261209200000_alert_partitions';

/**
 * Migrates `url` to the migration before alerts were partitioned, stores alerts there (recent,
 * ancient, with a note), migrates to the head and checks every alert kept its id, its week's
 * partition, its rollups and its note; new alerts take the next ids.
 */
async function migrateAlertsIntoPartitions(url: string, dir: string): Promise<void> {
  const before = path.join(dir, 'migrations-before-partitioning');
  // The database as it was before partitioning: the migrations older than it (later ones, such as
  // those redefining the partition functions, need it).
  const later = (await readdir(MIGRATIONS_DIR)).filter((n) => /^\d{14}_/.test(n) && n >= PARTITIONING).sort();
  await cp(MIGRATIONS_DIR, before, {
    recursive: true,
    filter: (src) => !later.some((n) => src.includes(n)),
  });
  await migrateDatabase(url, { migrationsDir: before });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const o = await c.query<{ id: string }>(
      "INSERT INTO organizations (name, slug) VALUES ('M', 'm') RETURNING id",
    );
    const e = await c.query<{ id: string }>(
      `INSERT INTO environments ("organizationId", name, "displayName") VALUES ($1, 'p', 'P') RETURNING id`,
      [o.rows[0]!.id],
    );
    await c.query(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey", "ingestKey")
       SELECT $1::uuid, $2::uuid, 'R', 'warning'::"Priority", 'syscall', 'out ' || g, now() - g * interval '1 day', 'k', 'ik' || g
       FROM generate_series(1, 40) g
       UNION ALL SELECT $1::uuid, $2::uuid, 'R', 'debug', 'syscall', 'ancient', '1990-01-01'::timestamptz, 'k', NULL`,
      [o.rows[0]!.id, e.rows[0]!.id],
    );
    await c.query(`INSERT INTO alert_notes ("alertId", body) SELECT min(id), 'kept' FROM alerts`);
    const old = await c.query<{ id: string; t: Date }>(
      'SELECT id::text, "eventTime" AS t FROM alerts ORDER BY id',
    );

    expect(await migrateDatabase(url)).toEqual(later);
    const now = await c.query<{ id: string; t: Date; p: string }>(
      'SELECT id::text, "eventTime" AS t, tableoid::regclass::text AS p FROM alerts ORDER BY id',
    );
    expect(now.rows.map(({ id, t }) => ({ id, t }))).toEqual(old.rows);
    const ancient = now.rows.find((r) => r.t.getUTCFullYear() === 1990);
    expect(ancient?.p).toBe('alerts_default');
    expect(now.rows.filter((r) => r !== ancient).every((r) => /^alerts_p\d{8}$/.test(r.p))).toBe(true);
    const rollups = await c.query<{ n: string }>(
      `SELECT sum(count)::text AS n FROM alert_rollups WHERE dimension = 'priority'`,
    );
    expect(rollups.rows[0]?.n).toBe('41');
    const note = await c.query<{ id: string }>('SELECT "alertId"::text AS id FROM alert_notes');
    expect(note.rows).toEqual([{ id: old.rows[0]!.id }]);
    // A re-delivered event is still recognised; a new one takes the next id.
    const again = await c.query(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey", "ingestKey")
       SELECT "organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey", "ingestKey"
       FROM alerts WHERE "ingestKey" = 'ik1'
       ON CONFLICT ("environmentId", "ingestKey", rule, "eventTime") DO NOTHING RETURNING id`,
    );
    expect(again.rowCount).toBe(0);
    const next = await c.query<{ id: string }>(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
       SELECT "organizationId", "environmentId", 'R', 'notice', 'syscall', 'new', now(), 'k' FROM alerts LIMIT 1
       RETURNING id::text`,
    );
    expect(BigInt(next.rows[0]!.id)).toBeGreaterThan(BigInt(old.rows.at(-1)!.id));
    // Deleting an alert deletes its note (the foreign key's cascade is a trigger now).
    await c.query('DELETE FROM alerts WHERE id = $1', [old.rows[0]!.id]);
    expect((await c.query('SELECT 1 FROM alert_notes')).rowCount).toBe(0);
  } finally {
    await c.end();
  }
}

describe('migrations on the real Postgres server', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('migrate');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('migrates an empty database to the committed head, then is a no-op', async () => {
    expect(await tables(db.url)).toEqual([]);
    const { migrationDirectories } = await readMigrations();
    const applied = await migrateDatabase(db.url);
    expect(applied).toEqual(migrationDirectories.map((d) => d.path));
    const names = await tables(db.url);
    for (const t of ['alerts', 'organizations', 'rule_set_versions', 'audit_log', 'raw_events', 'user']) {
      expect(names).toContain(t);
    }
    expect(await migrateDatabase(db.url)).toEqual([]);
  });

  it('moves the alerts of a database from before partitioning into partitions', async () => {
    const other = await createTestDatabase('migrate_partitions');
    const temp = await createTempDir('migrate-partitions');
    try {
      await migrateAlertsIntoPartitions(other.url, temp.dir);
    } finally {
      await temp.remove();
      await other.drop();
    }
  });

  it('backfills the tag rollups from the alerts stored before them', async () => {
    await beforeMigration(
      'migrate_tag_rollups',
      '20261214043700_alert_tag_rollups',
      async (c, ids, migrateRest) => {
        // Three arrays in two hours each, an empty one and none: six rollup rows.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
       SELECT $1::uuid, $2::uuid, 'R', 'warning'::"Priority", 'syscall', 'out',
              CASE g % 5 WHEN 0 THEN ARRAY['mitre_execution', 'T1059'] WHEN 1 THEN ARRAY['T1059', 'mitre_execution']
                         WHEN 2 THEN ARRAY['a,b', '{c}'] WHEN 3 THEN '{}'::text[] END,
              date_trunc('hour', now()) - (g % 2) * interval '1 hour' - interval '1 minute', 'k'
       FROM generate_series(0, 19) g`,
          [ids.organizationId, ids.environmentId],
        );
        await migrateRest();
        const rolled = await c.query<{ k: string }>(
          `SELECT tags::text || ' ' || count AS k FROM alert_tag_rollups ORDER BY bucket, tags`,
        );
        // g % 5 and g % 2 over 0..19: each non-empty array falls in both hours twice.
        expect(rolled.rows.map((r) => r.k).sort()).toEqual(
          [
            '{T1059,mitre_execution} 2',
            '{T1059,mitre_execution} 2',
            '{"a,b","{c}"} 2',
            '{"a,b","{c}"} 2',
            '{mitre_execution,T1059} 2',
            '{mitre_execution,T1059} 2',
          ].sort(),
        );
        // The five-minute rows (20261215081000_alert_tag_rollups_5m) are backfilled too: every
        // alert here is at minute 59 of its hour, so one five-minute row per hour row.
        const fine = await c.query<{ k: string }>(
          `SELECT tags::text || ' ' || count || ' ' || to_char(bucket AT TIME ZONE 'UTC', 'MI') AS k
       FROM alert_tag_rollups_5m ORDER BY bucket, tags`,
        );
        expect(fine.rows.map((r) => r.k).sort()).toEqual(rolled.rows.map((r) => `${r.k} 55`).sort());
        // From here on the triggers count: one more alert lands in its hour's row.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
       SELECT "organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", 'k2'
       FROM alerts WHERE tags = ARRAY['a,b', '{c}'] LIMIT 1`,
        );
        const sum = await c.query<{ n: string }>(
          `SELECT sum(count)::text AS n FROM alert_tag_rollups WHERE tags = ARRAY['a,b', '{c}']`,
        );
        expect(sum.rows[0]?.n).toBe('5');
        const fineSum = await c.query<{ n: string }>(
          `SELECT sum(count)::text AS n FROM alert_tag_rollups_5m WHERE tags = ARRAY['a,b', '{c}']`,
        );
        expect(fineSum.rows[0]?.n).toBe('5');
      },
    );
  });

  it("keeps alerts stored before contents left out the line's time findable, also after a restore", async () => {
    await beforeMigration(
      'migrate_line_time',
      '20261216100000_alert_content_without_line_time',
      async (c, ids, migrateRest) => {
        // Three alerts of one content but for the line's time, and one without it.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", "eventTime", "dedupKey")
       SELECT $1::uuid, $2::uuid, 'R', 'warning'::"Priority", 'syscall', '10:00:0' || g || '.0: Notice x',
              CASE WHEN g < 3 THEN jsonb_build_object('evt.time', 1796554678786990000 + g, 'proc.name', 'sh')
                   ELSE '{"proc.name":"sh"}'::jsonb END,
              now() - g * interval '1 minute', 'k'
       FROM generate_series(0, 3) g`,
          [ids.organizationId, ids.environmentId],
        );
        const old = await c.query<{ id: string; h: string }>(
          'SELECT id::text, "contentHash"::text AS h FROM alerts ORDER BY id',
        );
        expect(new Set(old.rows.map((r) => r.h)).size).toBe(4);
        await migrateRest();
        // Stored hashes stay, triaged or not (only a write of output, fields or tags recomputes one).
        await c.query(`UPDATE alerts SET status = 'acknowledged' WHERE id = $1`, [old.rows[0]!.id]);
        const now = await c.query<{ id: string; h: string }>(
          'SELECT id::text, "contentHash"::text AS h FROM alerts ORDER BY id',
        );
        expect(now.rows).toEqual(old.rows);
        const orphans = await c.query(
          `SELECT a.id FROM alerts a WHERE NOT EXISTS (
         SELECT 1 FROM alert_contents x WHERE x."organizationId" = a."organizationId" AND x.hash = a."contentHash")`,
        );
        expect(orphans.rowCount).toBe(0);
        // Every alert has its content under the new hash too (a restore from a dump recomputes
        // every stored hash), and all four alerts now share one (they differed only by the time).
        const shared = await c.query<{ n: string }>(
          `SELECT count(DISTINCT alert_content_hash(output, "outputFields", tags))::text AS n FROM alerts`,
        );
        expect(shared.rows[0]!.n).toBe('1');
        const missing = await c.query(
          `SELECT a.id FROM alerts a WHERE NOT EXISTS (
         SELECT 1 FROM alert_contents x WHERE x."organizationId" = a."organizationId"
           AND x.hash = alert_content_hash(a.output, a."outputFields", a.tags))`,
        );
        expect(missing.rowCount).toBe(0);
        // A new alert of the same content adds no content row.
        const n0 = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM alert_contents');
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", "eventTime", "dedupKey")
       SELECT "organizationId", "environmentId", rule, priority, source, '10:00:09.0: Notice x',
              jsonb_build_object('evt.time', 1796554678786999999, 'proc.name', 'sh'), now(), 'k'
       FROM alerts LIMIT 1`,
        );
        const n1 = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM alert_contents');
        expect(n1.rows[0]!.n).toBe(n0.rows[0]!.n);
      },
    );
  });

  it('backfills the daily and five-minute dashboard rollups from the alerts stored before them', async () => {
    await beforeMigration(
      'migrate_dashboard_rollups',
      '20261216200000_alert_rollups_5m_daily',
      async (c, ids, migrateRest) => {
        // 30 alerts of two rules over three days (minute 59 of the hour before midnight and of
        // the hour after), no hostname.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
       SELECT $1::uuid, $2::uuid, 'R' || (g % 2), 'warning'::"Priority", 'syscall', 'out',
              date_trunc('day', now(), 'UTC') - (g % 3) * interval '1 day' + (g % 2) * interval '1 hour'
                - interval '1 minute', 'k'
       FROM generate_series(0, 29) g`,
          [ids.organizationId, ids.environmentId],
        );
        await migrateRest();
        const rows = async (table: string) =>
          (
            await c.query<{ k: string }>(
              `SELECT dimension || ' ' || key || ' ' || to_char(bucket AT TIME ZONE 'UTC', 'HH24:MI') || ' ' || count AS k
           FROM ${table} WHERE dimension IN ('rule', 'host') ORDER BY 1`,
            )
          ).rows.map((r) => r.k);
        // g % 2 and g % 3 over 0..29: each rule in each of three days, five alerts each; R0 at
        // 23:59 the day before, R1 at 00:59.
        expect(await rows('alert_rollups_daily')).toEqual([
          ...Array(3).fill('rule R0 00:00 5'),
          ...Array(3).fill('rule R1 00:00 5'),
        ]);
        expect(await rows('alert_rollups_5m')).toEqual([
          ...Array(3).fill('rule R0 23:55 5'),
          ...Array(3).fill('rule R1 00:55 5'),
        ]);
        // From here on the triggers count: one more alert lands in its day's and five minutes' rows.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
       SELECT "organizationId", "environmentId", rule, priority, source, output, "eventTime", 'k2'
       FROM alerts WHERE rule = 'R1' LIMIT 1`,
        );
        for (const table of ['alert_rollups_daily', 'alert_rollups_5m']) {
          const sum = await c.query<{ n: string }>(
            `SELECT sum(count)::text AS n FROM ${table} WHERE dimension = 'rule' AND key = 'R1'`,
          );
          expect(sum.rows[0]?.n, table).toBe('16');
        }
      },
    );
  });

  it("copies each incident alert's tags onto its incident_alerts row", async () => {
    await beforeMigration(
      'migrate_incident_tags',
      '20261217100000_incident_alert_tags',
      async (c, ids, migrateRest) => {
        // Three alerts in one incident (two tagged, one not), a fourth in none.
        await c.query(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
       SELECT $1::uuid, $2::uuid, 'R', 'warning'::"Priority", 'syscall', 'out',
              CASE WHEN g = 0 THEN ARRAY['mitre_execution', 'T1059'] WHEN g = 1 THEN ARRAY['T1611'] ELSE '{}'::text[] END,
              now() - g * interval '1 minute', 'k'
       FROM generate_series(0, 3) g`,
          [ids.organizationId, ids.environmentId],
        );
        const inc = await c.query<{ id: string }>(
          `INSERT INTO incidents ("organizationId", "environmentId", title, priority, "alertCount", "firstSeenAt", "lastSeenAt")
         VALUES ($1, $2, 'i', 'warning', 3, now() - interval '1 hour', now()) RETURNING id`,
          [ids.organizationId, ids.environmentId],
        );
        await c.query(
          `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", "linkedBy")
         SELECT id, "eventTime", $1, 'correlator', '{}' FROM alerts ORDER BY id LIMIT 3`,
          [inc.rows[0]!.id],
        );
        await migrateRest();
        const rows = await c.query<{ t: string[] }>(
          'SELECT ia.tags AS t FROM incident_alerts ia ORDER BY ia."alertId"',
        );
        expect(rows.rows.map((r) => r.t)).toEqual([['mitre_execution', 'T1059'], ['T1611'], []]);
      },
    );
  });

  it('summarises the alerts of existing incidents (their tags and time span)', async () => {
    await beforeMigration(
      'migrate_incident_summary',
      '20261221100000_incident_alert_tag_summary',
      async (c, ids, migrateRest) => {
        const inc = await c.query<{ id: string }>(
          `INSERT INTO incidents ("organizationId", "environmentId", title, priority, "firstSeenAt", "lastSeenAt")
           VALUES ($1, $2, 'a', 'warning', now(), now()), ($1, $2, 'b', 'warning', now(), now()) RETURNING id`,
          [ids.organizationId, ids.environmentId],
        );
        // Links only (no foreign key to alerts): three in the first incident, none in the second.
        await c.query(
          `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", tags) VALUES
             (1, '2026-12-01T10:00:00Z', $1, 'correlator', ARRAY['T1059', 'mitre_execution']),
             (2, '2026-12-01T09:00:00Z', $1, 'correlator', ARRAY['T1611', 'T1059']),
             (3, '2026-12-01T11:00:00Z', $1, 'correlator', '{}')`,
          [inc.rows[0]!.id],
        );
        await migrateRest();
        const rows = await c.query<{ title: string; tags: string[]; lo: string | null; hi: string | null }>(
          `SELECT title, "alertTags" AS tags, to_char("alertsFrom" AT TIME ZONE 'UTC', 'HH24:MI') AS lo,
                  to_char("alertsTo" AT TIME ZONE 'UTC', 'HH24:MI') AS hi
           FROM incidents ORDER BY title`,
        );
        expect(rows.rows).toEqual([
          { title: 'a', tags: ['T1059', 'T1611', 'mitre_execution'], lo: '09:00', hi: '11:00' },
          { title: 'b', tags: [], lo: null, hi: null },
        ]);
      },
    );
  });

  it('leaves no session behind (a lingering one held the migration lock for 10 s)', async () => {
    await migrateDatabase(db.url);
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    try {
      // A closed connection's server process exits a moment after the client's socket closes
      // (longer on a loaded machine); the lingering session this guards against stayed 10 s.
      await vi.waitFor(
        async () => {
          const { rows } = await admin.query(
            `SELECT a.pid, l.locktype FROM pg_stat_activity a
               LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory'
              WHERE a.datname = $1`,
            [name],
          );
          expect(rows).toEqual([]);
        },
        { timeout: 3_000, interval: 50 },
      );
    } finally {
      await admin.end();
    }
  });
});

describe('a process that migrates', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_timers');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('is left no timer by the schema engine (its 10 s lock timer kept every migrating script alive)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    expect((await migrateDatabase(db.url)).length).toBeGreaterThan(0);
    expect(await migrateDatabase(db.url)).toEqual([]);
    expect(armedEngineTimers()).toBe(0);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('migrations on the embedded database', () => {
  let temp: Awaited<ReturnType<typeof createTempDir>>;
  let dir: string;
  beforeAll(async () => {
    temp = await createTempDir('migrate');
    dir = temp.dir;
  });
  afterAll(async () => {
    await temp.remove();
  });

  it('migrates from empty and keeps its data across a restart', async () => {
    const dataDir = path.join(dir, 'pgdata');
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await migrateDatabase(first.url)).toHaveLength(
        (await readMigrations()).migrationDirectories.length,
      );
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query("INSERT INTO organizations (name, slug) VALUES ('Kept', 'kept')");
      await client.end();
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await migrateDatabase(second.url)).toEqual([]);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      const res = await client.query('SELECT name FROM organizations WHERE slug = $1', ['kept']);
      await client.end();
      expect(res.rows).toEqual([{ name: 'Kept' }]);
    } finally {
      await second.stop();
    }
  });

  it('moves the alerts of a database from before partitioning into partitions (PostgreSQL 18)', async () => {
    const e = await startEmbeddedPostgres({ dataDir: path.join(dir, 'partitions') });
    try {
      await migrateAlertsIntoPartitions(e.url, dir);
    } finally {
      await e.stop();
    }
  });

  it('serves concurrent connections', async () => {
    const e = await startEmbeddedPostgres({ dataDir: path.join(dir, 'concurrent') });
    try {
      const clients = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const c = new pg.Client({ connectionString: e.url });
          await c.connect();
          return c;
        }),
      );
      const results = await Promise.all(clients.map((c, i) => c.query('SELECT $1::int AS n', [i])));
      expect(results.map((r) => r.rows[0].n)).toEqual([0, 1, 2, 3]);
      await Promise.all(clients.map((c) => c.end()));
    } finally {
      await e.stop();
    }
  });
});

describe('pg pool', () => {
  it('survives the server dropping an idle connection', async () => {
    const { createPgPool } = await import('./client.js');
    const errors: Error[] = [];
    const pool = createPgPool(TEST_SERVER_URL, { onError: (e) => errors.push(e) });
    try {
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      client.release();
      const killer = new pg.Client({ connectionString: TEST_SERVER_URL });
      await killer.connect();
      await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await killer.end();
      await new Promise((r) => setTimeout(r, 200));
      expect(errors.length).toBe(1);
      expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await pool.end();
    }
  });
});

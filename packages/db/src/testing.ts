import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { RELOCATED_ROOT } from './embedded/cluster.js';
import { MIGRATIONS_DIR } from './migrate-paths.js';

export { PORT_RESERVATIONS_DIR, reservePort } from './testing/ports.js';

/** Server for integration tests: TEST_DATABASE_URL or the local Postgres at 127.0.0.1:5432. */
export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Creates a fresh, empty database on the test server (one per test file and run) and returns its
 * URL and a `drop()` that removes it.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `peregrine_test_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_SERVER_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A pg pool for a test's own queries. pg-pool's `end()` resolves once it has asked its clients to
 * end, not once they have: the test's `DROP DATABASE ... WITH (FORCE)` right after may still
 * terminate one, and the error an idle client then emits on a pool with no listener is an uncaught
 * exception that fails the whole test run (a clean-clone CI run, the incident correlator's file).
 * Errors on idle clients are ignored here; queries still reject as usual.
 */
export function createTestPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 2 });
  pool.on('error', () => {});
  return pool;
}

/** A small deterministic generator (mulberry32) for generated test cases, so a failure replays. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The latest Friday 12:00 UTC at or before `now`: a "now" for tests whose alerts sit days back in
 * weekly partitions. Which of them share a week, and whether a week has ended, depends on the
 * weekday: a test written on a Friday that counts days back from the real clock fails early in
 * the week (the retention tests did, on a Monday).
 */
export function lastFridayNoon(now = Date.now()): number {
  const DAY = 86_400_000;
  const d = new Date(now);
  const noon = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 12);
  // getUTCDay: Sunday 0 ... Friday 5.
  const back = (d.getUTCDay() - 5 + 7) % 7;
  const friday = noon - back * DAY;
  return friday <= now ? friday : friday - 7 * DAY;
}

/** A database URL on the test server. */
function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `work` on a connection to the test server's maintenance database, closed afterwards. */
export async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** A hash of the committed migrations (names and SQL): the template they build is named by it. */
async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    hash.update(name).update('\0');
    hash.update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const TEMPLATE_PREFIX = 'peregrine_tpl_';
/** The name of the committed migrations' template. Exported for the test of the template sweep. */
export async function migratedTemplateName(): Promise<string> {
  return `${TEMPLATE_PREFIX}${await migrationsHash()}`;
}
/** Templates of other migration sets are dropped once this old (other checkouts may still use them). */
const STALE_TEMPLATE_MS = 24 * 3600_000;
let templateName: Promise<string> | undefined;

/**
 * The test server's database migrated to the committed head, built once per set of migrations
 * (named by their hash, so checkouts with different migrations never share one, and every test
 * process finds the one already built) and never connected to afterwards: it is only copied.
 */
function migratedTemplate(): Promise<string> {
  templateName ??= (async () => {
    const name = await migratedTemplateName();
    const exists = await withAdmin(
      async (admin) =>
        (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
    );
    if (exists) return name;
    // Built under a private name and renamed when complete: a half-migrated template is never seen,
    // and of two processes building at once the first rename wins and the other drops its copy.
    const building = `${name}_build_${randomBytes(4).toString('hex')}`;
    await createTemplateBuild(building);
    const drop = () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`));
    try {
      const { migrateDatabase } = await import('./migrate.js');
      await migrateDatabase(databaseUrl(building));
      const renamed = await withAdmin(async (admin) => {
        // The schema engine's pool may linger; a template must have no open connections to be copied.
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          building,
        ]);
        if (!(await renameTemplateBuild(admin, building, name))) return false;
        await admin.query(`COMMENT ON DATABASE "${name}" IS '${new Date().toISOString()}'`);
        return true;
      });
      // Another process renamed its copy first: use that one.
      if (!renamed) await drop();
    } catch (err) {
      await drop();
      throw err;
    }
    await dropStaleTemplates(name).catch(() => {});
    return name;
  })();
  templateName.catch(() => {
    templateName = undefined;
  });
  return templateName;
}

/**
 * Renames a finished build to the template's name; false when another process's build has the
 * name already. PostgreSQL answers 42P04 (duplicate_database) when that rename has committed, and
 * 23505 (a unique violation of pg_database's name index) when both ran at the same moment (seen on
 * a fresh server: the collector's two test workers built the template at once). Exported for its
 * test.
 */
export async function renameTemplateBuild(
  admin: pg.Client,
  building: string,
  name: string,
): Promise<boolean> {
  try {
    await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw err;
  }
}

/**
 * Creates a template build's database, stamped with its start time like a finished template: a
 * build has no open connection between its steps (between CREATE DATABASE and the migration's
 * first connection, between migration statements), and another process's `dropStaleTemplates`
 * must not take an unstamped build for an abandoned one (it did, on a fresh server where two test
 * processes built at once: "database ..._build_... does not exist").
 */
export async function createTemplateBuild(building: string): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query(`CREATE DATABASE "${building}"`);
    await admin.query(`COMMENT ON DATABASE "${building}" IS '${new Date().toISOString()}'`);
  });
}

/**
 * Drops templates of other migration sets, and builds (finished or abandoned), older than a day
 * and not in use. Exported for its test.
 */
export async function dropStaleTemplates(keep: string): Promise<void> {
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string; note: string | null }>(
      `SELECT d.datname, shobj_description(d.oid, 'pg_database') AS note
         FROM pg_database d WHERE d.datname LIKE $1 AND d.datname <> $2`,
      [`${TEMPLATE_PREFIX}%`, keep],
    );
    for (const row of rows) {
      const made = row.note ? Date.parse(row.note) : Number.NaN;
      if (Number.isFinite(made) && Date.now() - made < STALE_TEMPLATE_MS) continue;
      if (!Number.isFinite(made) && !row.datname.includes('_build_')) continue;
      if (row.datname.includes('_build_')) {
        // A build in progress has connections; one abandoned a day ago has none.
        const { rows: active } = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 LIMIT 1`,
          [row.datname],
        );
        if (active.length) continue;
      }
      await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    }
  });
}

/**
 * Like `createTestDatabase`, but migrated to the committed head: a copy of the migrated template
 * (CREATE DATABASE ... TEMPLATE copies files, far faster than migrating again).
 */
export async function createMigratedTestDatabase(
  label: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `peregrine_test_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await copyMigratedTemplate(name);
  return {
    url: databaseUrl(name),
    drop: () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/**
 * Creates the database `name` on the test server as a copy of the migrated template (the browser
 * tests' stacks name and drop their own databases).
 */
export async function copyMigratedTemplate(name: string): Promise<void> {
  const template = await migratedTemplate();
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      break;
    } catch (err) {
      // 55006: the template is being accessed (a copy of it starting elsewhere): try again.
      if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
    }
  }
}

/**
 * A temporary folder for embedded-server tests, and its removal (with any cluster relocated to
 * /var/lib/peregrine and linked from it). As root the folder is made searchable (0755) unless
 * `private` is set: mkdtemp's 0700 keeps the postgres user out, which relocates the cluster.
 */
export async function createTempDir(
  label: string,
  options: { private?: boolean } = {},
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `peregrine-${label}-`));
  if (!options.private) await chmod(dir, 0o755);
  return {
    dir,
    async remove() {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isSymbolicLink()) continue;
        const target = await realpath(path.join(dir, entry.name)).catch(() => undefined);
        if (target?.startsWith(`${RELOCATED_ROOT}/`)) {
          await rm(path.dirname(target), { recursive: true, force: true });
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Inserts an organisation (`slug`) with one environment ("p") through `c`, for tests that write
 * their rows in SQL; returns both ids.
 */
export async function insertOrganization(
  c: Pick<pg.Pool, 'query'>,
  slug: string,
): Promise<{ organizationId: string; environmentId: string }> {
  const o = await c.query<{ id: string }>(
    'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id::text AS id',
    [slug],
  );
  const e = await c.query<{ id: string }>(
    `INSERT INTO environments ("organizationId", name, "displayName") VALUES ($1, 'p', 'P') RETURNING id::text AS id`,
    [o.rows[0]?.id],
  );
  return { organizationId: o.rows[0]?.id ?? '', environmentId: e.rows[0]?.id ?? '' };
}

/**
 * A test database migrated up to, not including, `migration`, holding one organisation and one
 * environment: `body` stores what the migrations from `migration` on must carry over, then applies
 * them with `migrateRest()`, which fails unless exactly those were applied. Dropped afterwards.
 */
export async function beforeMigration(
  label: string,
  migration: string,
  body: (
    c: pg.Client,
    ids: { organizationId: string; environmentId: string },
    migrateRest: () => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const { migrateDatabase } = await import('./migrate.js');
  const other = await createTestDatabase(label);
  const temp = await createTempDir(label.replaceAll('_', '-'));
  try {
    const later = (await readdir(MIGRATIONS_DIR)).filter((n) => /^\d{14}_/.test(n) && n >= migration).sort();
    const before = path.join(temp.dir, 'migrations-before');
    await cp(MIGRATIONS_DIR, before, {
      recursive: true,
      filter: (src) => !later.some((n) => src.includes(n)),
    });
    await migrateDatabase(other.url, { migrationsDir: before });
    const c = new pg.Client({ connectionString: other.url });
    await c.connect();
    try {
      const ids = await insertOrganization(c, 't');
      await body(c, ids, async () => {
        const applied = await migrateDatabase(other.url);
        if (applied.join() !== later.join())
          throw new Error(`applied ${applied.join(', ') || 'none'}; expected ${later.join(', ')}`);
      });
    } finally {
      await c.end();
    }
  } finally {
    await temp.remove();
    await other.drop();
  }
}

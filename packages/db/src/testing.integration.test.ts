import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTemplateBuild,
  dropStaleTemplates,
  lastFridayNoon,
  migratedTemplateName,
  renameTemplateBuild,
  TEST_SERVER_URL,
  withAdmin as admin,
} from './testing.js';

async function exists(name: string): Promise<boolean> {
  return admin(
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

// The sweep keeps the committed migrations' template (other test files copy it meanwhile) and
// drops what any process would drop on finishing a build.
const made: string[] = [];
afterEach(async () => {
  for (const name of made.splice(0)) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
});

/** A template build's name of a migration set no checkout has (so no other test process touches it). */
function buildName(): string {
  const name = `peregrine_tpl_${randomBytes(8).toString('hex')}_build_${randomBytes(4).toString('hex')}`;
  made.push(name);
  return name;
}

describe('the migrated template builds of concurrent test processes', () => {
  it("keeps another process's build that has no open connection at the moment", async () => {
    // Between CREATE DATABASE and the migration's first connection (and between its statements) a
    // build has no connection; another process finishing its own build then sweeps stale ones.
    const building = buildName();
    await createTemplateBuild(building);
    await dropStaleTemplates(await migratedTemplateName());
    expect(await exists(building)).toBe(true);
  });

  it('drops a build abandoned a day ago, and one of older code that has no stamp', async () => {
    const abandoned = buildName();
    await createTemplateBuild(abandoned);
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    await admin((c) => c.query(`COMMENT ON DATABASE "${abandoned}" IS '${old}'`));
    const unstamped = buildName();
    await admin((c) => c.query(`CREATE DATABASE "${unstamped}"`));
    await dropStaleTemplates(await migratedTemplateName());
    expect(await exists(abandoned)).toBe(false);
    expect(await exists(unstamped)).toBe(false);
  });

  it('keeps an old build that still has a connection (a migration running)', async () => {
    const building = buildName();
    await createTemplateBuild(building);
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    await admin((c) => c.query(`COMMENT ON DATABASE "${building}" IS '${old}'`));
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${building}`;
    const open = new pg.Client({ connectionString: url.toString() });
    await open.connect();
    try {
      await dropStaleTemplates(await migratedTemplateName());
      expect(await exists(building)).toBe(true);
    } finally {
      await open.end();
    }
  });
});

describe('two processes finishing their template builds at once', () => {
  it('leaves the name to the first rename, whether the other rename sees it committed or not', async () => {
    const name = buildName().replace('_build_', '_done_');
    const [first, second, third] = [buildName(), buildName(), buildName()];
    for (const b of [first, second, third]) await createTemplateBuild(b);
    const a = new pg.Client({ connectionString: TEST_SERVER_URL });
    const b = new pg.Client({ connectionString: TEST_SERVER_URL });
    await a.connect();
    await b.connect();
    try {
      // The first rename is not committed yet when the second starts: the second waits on the
      // name's index entry and fails with a unique violation (23505) once the first commits.
      const { rows: own } = await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await a.query('BEGIN');
      expect(await renameTemplateBuild(a, first, name)).toBe(true);
      const racing = renameTemplateBuild(b, second, name);
      // This session's rename waiting on the lock (other test processes' renames do not count).
      await expect
        .poll(async () => {
          const { rows } = await a.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = $1",
            [own[0]!.pid],
          );
          return rows[0]!.n;
        })
        .toBe(1);
      await a.query('COMMIT');
      expect(await racing).toBe(false);
      // A rename after the first has committed fails with duplicate_database (42P04).
      expect(await renameTemplateBuild(b, third, name)).toBe(false);
      expect(await exists(name)).toBe(true);
      expect(await exists(second)).toBe(true);
      expect(await exists(third)).toBe(true);
    } finally {
      await a.end();
      await b.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });
});

describe('lastFridayNoon', () => {
  it('is the latest Friday 12:00 UTC at or before any moment of two weeks, hour by hour', () => {
    const start = Date.UTC(2026, 11, 7, 0, 17); // a Monday, when the retention tests failed
    for (let h = 0; h < 14 * 24; h++) {
      const now = start + h * 3_600_000;
      const f = lastFridayNoon(now);
      const d = new Date(f);
      expect([d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes()]).toEqual([5, 12, 0]);
      expect(f).toBeLessThanOrEqual(now);
      expect(now - f).toBeLessThan(7 * 86_400_000);
    }
    expect(lastFridayNoon(Date.UTC(2026, 11, 11, 12))).toBe(Date.UTC(2026, 11, 11, 12));
  });
});

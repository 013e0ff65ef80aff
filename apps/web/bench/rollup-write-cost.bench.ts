/**
 * What the dashboard's daily and five-minute rollups (20261216200000_alert_rollups_5m_daily) add to
 * storing alerts: the insert trigger function as it is now and as it was before (the version of
 * 20261215081000_alert_tag_rollups_5m, read from its migration), swapped in turn on one migrated
 * database, each timing BENCH_WRITE_STATEMENTS statements of 1 000 alerts through the parent table.
 *
 *   BENCH_WRITE_ROUNDS=8 npm run bench -w @peregrine/web -- bench/rollup-write-cost.bench.ts
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MIGRATIONS_DIR, migrateDatabase } from '@peregrine/db/migrate';
import pg from 'pg';
import { expect, it } from 'vitest';
import { TEST_SERVER_URL } from '@peregrine/db/testing';

const SERVER = TEST_SERVER_URL;
const DATABASE = 'peregrine_bench_rollup_writes';
const ROUNDS = Number(process.env.BENCH_WRITE_ROUNDS ?? 8);
const STATEMENTS = Number(process.env.BENCH_WRITE_STATEMENTS ?? 10);

async function insertFunction(migration: string): Promise<string> {
  const sql = await readFile(path.join(MIGRATIONS_DIR, migration, 'migration.sql'), 'utf8');
  const start = sql.indexOf('CREATE OR REPLACE FUNCTION alert_rollups_on_insert()');
  const end = sql.indexOf('END $$;', start);
  if (start < 0 || end < 0) throw new Error(`no alert_rollups_on_insert in ${migration}`);
  return sql.slice(start, end + 'END $$;'.length);
}

it('insert trigger cost with and without the daily and five-minute dimension rows', async () => {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const url = new URL(SERVER);
  url.pathname = `/${DATABASE}`;
  await migrateDatabase(url.toString());
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    const before = await insertFunction('20261215081000_alert_tag_rollups_5m');
    const now = await insertFunction('20261216200000_alert_rollups_5m_daily');
    const org = await c.query<{ id: string }>(
      `INSERT INTO organizations (name, slug) VALUES ('W', 'w') RETURNING id`,
    );
    const env = await c.query<{ id: string }>(
      `INSERT INTO environments ("organizationId", name, "displayName") VALUES ($1, 'p', 'P') RETURNING id`,
      [org.rows[0]?.id],
    );
    // Two shapes: alerts of a statement spread over every minute of two hours (each statement
    // upserts the most five-minute rows: the worst case), and within one minute of each of the
    // two hours (as a collector batch arrives).
    const insert = (spreadSeconds: number, round: number, s: number) =>
      c.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, hostname, output,
                             "outputFields", tags, "eventTime", "dedupKey")
         SELECT $1::uuid, $2::uuid, 'rule-' || (g % 30), 'warning', 'syscall', 'node-' || (g % 50), 'out ' || g,
                jsonb_build_object('k8s.ns.name', 'ns-' || (g % 20)), ARRAY['T' || (g % 30)],
                date_trunc('hour', now()) - interval '1 day' * $3 - (g % 2) * interval '1 hour'
                  + make_interval(secs => (g * 7919) % $4), 'k'
         FROM generate_series(1, 1000) g`,
        [org.rows[0]?.id, env.rows[0]?.id, round * STATEMENTS + s, spreadSeconds],
      );
    const lines: string[] = [];
    for (const [label, spread] of [
      ['spread over two hours', 3600],
      ['within one minute of each hour', 60],
    ] as const) {
      const totals = { before: 0, now: 0 };
      const pairs: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const times: Record<string, number> = {};
        // Alternate which goes first, so a trend in the machine's load falls on both.
        for (const which of round % 2 === 0 ? (['before', 'now'] as const) : (['now', 'before'] as const)) {
          await c.query(which === 'before' ? before : now);
          const t = performance.now();
          for (let s = 0; s < STATEMENTS; s++) await insert(spread, round * 2 + (which === 'now' ? 1 : 0), s);
          times[which] = performance.now() - t;
          totals[which] += times[which];
        }
        pairs.push(((times.now as number) / (times.before as number)).toFixed(2));
      }
      lines.push(
        `${label}: before ${(totals.before / 1000).toFixed(1)} s, now ${(totals.now / 1000).toFixed(1)} s ` +
          `for ${ROUNDS * STATEMENTS * 1000} alerts each (${(totals.now / totals.before).toFixed(2)}x; pairs ${pairs.join(' ')})`,
      );
    }
    await c.query(now);
    console.log(`\n${lines.join('\n')}\n`);
    // The rollups still equal the alerts (the swapped-in old function skips two tables, so only
    // the hourly ones are checked here; the integration tests check all three).
    const check = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM (
         SELECT date_trunc('hour', "eventTime", 'UTC') AS b, rule, count(*) AS n FROM alerts GROUP BY 1, 2
         EXCEPT SELECT bucket, key, count FROM alert_rollups WHERE dimension = 'rule') d`,
    );
    expect(check.rows[0]?.n).toBe('0');
  } finally {
    await c.end();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
  }
});

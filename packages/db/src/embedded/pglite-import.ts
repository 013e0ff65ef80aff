// Moving the data of a PGlite folder (written by Peregrine before the embedded database became a
// real PostgreSQL server) into a new cluster. PGlite is loaded only here.
import { cp, rm } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The PostgreSQL major of the PGlite build bundled here (0.5.x is PostgreSQL 18). */
export const PGLITE_MAJOR = '18';

/** Rows per page read from PGlite and inserted into the server. */
const PAGE_ROWS = 1_000;

export interface ImportedTable {
  table: string;
  rows: number;
}

// Partitions are left out: their rows are copied through their parent (alerts), which routes each
// to the target's partition of its time, whichever partitions each side has created.
const TABLES_SQL = `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND c.relname <> '_prisma_migrations' ORDER BY c.relname`;
const COLUMNS_SQL = `SELECT column_name AS name FROM information_schema.columns
  WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`;
const SEQUENCES_SQL = `SELECT table_name AS "table", column_name AS "column", seq FROM (
    SELECT table_name, column_name,
           pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) AS seq
    FROM information_schema.columns WHERE table_schema = 'public'
  ) c WHERE seq IS NOT NULL ORDER BY 1, 2`;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Copies every table but Prisma's migration history from the PGlite folder `pgliteDir` into the
 * running, freshly created server at `targetUrl`, after migrating both to the committed head.
 * PGlite works on a scratch copy (`scratchDir`, removed afterwards), so `pgliteDir` is only read.
 * All rows land in one transaction, checked by row counts before it commits.
 */
export async function importPgliteData(options: {
  pgliteDir: string;
  scratchDir: string;
  targetUrl: string;
  say: (line: string) => void;
}): Promise<ImportedTable[]> {
  const { say } = options;
  await rm(options.scratchDir, { recursive: true, force: true });
  await cp(options.pgliteDir, options.scratchDir, { recursive: true, verbatimSymlinks: true });
  try {
    const [{ PGlite }, { pg_trgm }, { PGLiteSocketServer }, { migrateDatabase }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('@electric-sql/pglite-socket'),
      import('../migrate.js'),
    ]);
    say('import: opening the PGlite database');
    const source = await PGlite.create({ dataDir: options.scratchDir, extensions: { pg_trgm } });
    try {
      // The schema engine speaks the wire protocol, so PGlite is served on a loopback port while
      // the migrations run.
      const server = new PGLiteSocketServer({ db: source, host: '127.0.0.1', port: 0 });
      await server.start();
      try {
        const conn = server.getServerConn();
        const url = `postgresql://postgres@127.0.0.1:${conn.slice(conn.lastIndexOf(':') + 1)}/postgres?sslmode=disable`;
        const applied = await migrateDatabase(url);
        say(`import: PGlite database migrated${applied.length ? ` (${applied.join(', ')})` : ''}`);
      } finally {
        await server.stop();
      }
      await migrateDatabase(options.targetUrl);
      return await copyTables(source, options.targetUrl, say);
    } finally {
      await source.close();
    }
  } finally {
    await rm(options.scratchDir, { recursive: true, force: true });
  }
}

async function copyTables(source: PGlite, targetUrl: string, say: (line: string) => void) {
  const target = new pg.Client({ connectionString: targetUrl });
  target.on('error', () => {});
  await target.connect();
  const names = async (sql: string, params: unknown[], from: 'source' | 'target') => {
    const res =
      from === 'source'
        ? await source.query<{ name: string }>(sql, params)
        : await target.query<{ name: string }>(sql, params);
    return res.rows.map((r) => r.name);
  };
  const count = async (table: string, from: 'source' | 'target') => {
    const sql = `SELECT count(*)::text AS n FROM ${ident(table)}`;
    const res =
      from === 'source' ? await source.query<{ n: string }>(sql) : await target.query<{ n: string }>(sql);
    return Number(res.rows[0]?.n);
  };
  try {
    const tables = await names(TABLES_SQL, [], 'target');
    const sourceTables = await names(TABLES_SQL, [], 'source');
    if (!sameList(tables, sourceTables)) {
      const extra = sourceTables.filter((t) => !tables.includes(t));
      const missing = tables.filter((t) => !sourceTables.includes(t));
      throw new Error(
        `the PGlite database's tables differ from the migrated schema (only in PGlite: ${extra.join(', ') || 'none'}; ` +
          `missing in PGlite: ${missing.join(', ') || 'none'})`,
      );
    }
    await target.query('BEGIN');
    // Foreign keys and the alert triggers (rollups, contents) stay quiet: their tables are copied too.
    await target.query('SET LOCAL session_replication_role = replica');
    // Migrations may have written rows (backfills); the PGlite copy holds the same ones.
    if (tables.length) await target.query(`TRUNCATE ${tables.map(ident).join(', ')}`);
    await source.exec('BEGIN');
    const imported: ImportedTable[] = [];
    for (const table of tables) {
      const started = Date.now();
      const columns = await names(COLUMNS_SQL, [table], 'target');
      if (!sameList(columns, await names(COLUMNS_SQL, [table], 'source'))) {
        throw new Error(`the columns of ${table} differ between the PGlite database and the migrated schema`);
      }
      const list = columns.map(ident).join(', ');
      await source.query(
        `DECLARE peregrine_import NO SCROLL CURSOR FOR SELECT row_to_json(r)::text AS row FROM (SELECT ${list} FROM ${ident(table)}) r`,
      );
      let rows = 0;
      for (;;) {
        const page = await source.query<{ row: string }>(`FETCH ${PAGE_ROWS} FROM peregrine_import`);
        if (page.rows.length === 0) break;
        await target.query(
          `INSERT INTO ${ident(table)} (${list}) OVERRIDING SYSTEM VALUE
           SELECT ${list} FROM json_populate_recordset(NULL::${ident(table)}, $1::json)`,
          [`[${page.rows.map((r) => r.row).join(',')}]`],
        );
        rows += page.rows.length;
        if (rows % 20_000 === 0) say(`import: ${table}: ${rows} rows so far`);
      }
      await source.query('CLOSE peregrine_import');
      const [expected, copied] = [await count(table, 'source'), await count(table, 'target')];
      if (expected !== rows || copied !== rows) {
        throw new Error(`${table}: PGlite holds ${expected} rows, ${rows} were read and ${copied} stored`);
      }
      say(`import: ${table}: ${rows} rows (${Date.now() - started} ms)`);
      imported.push({ table, rows });
    }
    // Sequences continue after both the PGlite sequence and the largest copied value.
    const sequences = await target.query<{ table: string; column: string; seq: string }>(SEQUENCES_SQL);
    for (const { table, column, seq } of sequences.rows) {
      const state = await source.query<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text, is_called FROM ${seq}`,
      );
      const s = state.rows[0];
      const next = s ? BigInt(s.last_value) + (s.is_called ? 1n : 0n) : 1n;
      await target.query(
        `SELECT setval($1, GREATEST($2::bigint, COALESCE((SELECT max(${ident(column)}) FROM ${ident(table)}), 0) + 1), false)`,
        [seq, next.toString()],
      );
    }
    await target.query('COMMIT');
    return imported;
  } catch (err) {
    await target.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await source.exec('ROLLBACK').catch(() => {});
    await target.end().catch(() => {});
  }
}

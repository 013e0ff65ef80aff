import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { RELOCATED_ROOT } from './embedded/cluster.js';

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

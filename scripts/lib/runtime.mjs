// Shared by `npm start`, `npm run db:migrate` and `npm run db:seed`: where Peregrine keeps its
// state and which database it uses (DATABASE_URL, or the embedded PGlite under .peregrine/).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_DIR = path.resolve(ROOT, process.env.PEREGRINE_DATA_DIR ?? '.peregrine');

/**
 * Secrets generated on first start and kept (mode 0600) under the data folder, so sessions and
 * encrypted source credentials survive restarts. Values from the environment win.
 */
export async function loadSecrets() {
  await mkdir(DATA_DIR, { recursive: true });
  const file = path.join(DATA_DIR, 'secrets.json');
  let saved = {};
  try {
    saved = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw new Error(`cannot read ${file}: ${err.message}`);
  }
  const secrets = {
    betterAuthSecret: saved.betterAuthSecret ?? randomBytes(32).toString('base64url'),
    secretKey: saved.secretKey ?? randomBytes(32).toString('base64'),
  };
  if (saved.betterAuthSecret !== secrets.betterAuthSecret || saved.secretKey !== secrets.secretKey) {
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return {
    BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET ?? secrets.betterAuthSecret,
    PEREGRINE_SECRET_KEY: process.env.PEREGRINE_SECRET_KEY ?? secrets.secretKey,
  };
}

/**
 * The database to use: DATABASE_URL when set, else the embedded Postgres on
 * .peregrine/pgdata (started here; call `stop()` before exiting so PGlite closes cleanly).
 */
export async function openDatabase(log = console.log) {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  }
  const { startEmbeddedPostgres } = await import('@peregrine/db/embedded');
  const port = Number(process.env.PEREGRINE_EMBEDDED_PG_PORT ?? 0);
  const dataDir = path.join(DATA_DIR, 'pgdata');
  const pgEmbedded = await startEmbeddedPostgres({ dataDir, port });
  log(`embedded Postgres (PGlite) on 127.0.0.1:${pgEmbedded.port}, data in ${path.relative(ROOT, dataDir)}/`);
  return { url: pgEmbedded.url, embedded: true, stop: () => pgEmbedded.stop() };
}

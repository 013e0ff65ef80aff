import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

/** The Prisma client type, for code inside packages/db only. */
export type Prisma = PrismaClient;

/** A connection to Peregrine's database: the Prisma client and a way to close it. */
export interface Db {
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** Opens the database at `url` (a pooled Prisma client over the pg driver adapter). */
export function createDb(url: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? 10 });
  const prisma = new PrismaClient({ adapter });
  return { prisma, close: () => prisma.$disconnect() };
}

const shared = globalThis as unknown as { __peregrineDb?: Map<string, Db> };

/**
 * One client per URL per process (Next's dev server reloads modules; a fresh client each time
 * would exhaust connections).
 */
export function getDb(url: string): Db {
  shared.__peregrineDb ??= new Map();
  let db = shared.__peregrineDb.get(url);
  if (!db) {
    db = createDb(url);
    shared.__peregrineDb.set(url, db);
  }
  return db;
}

/**
 * A plain pg pool (better-auth's Kysely adapter takes one). An idle connection that the server
 * drops (restart, idle timeout) emits 'error' on the pool; unhandled, that would crash the
 * process, so it is reported and the pool replaces the connection on next use.
 */
export function createPgPool(
  url: string,
  options: { max?: number; onError?: (err: Error) => void } = {},
): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 5 });
  pool.on(
    'error',
    options.onError ?? ((err) => console.warn(`postgres pool: idle connection lost: ${err.message}`)),
  );
  // A checked-out client's lost connection is an 'error' on the client itself, which the failed
  // query reports already: without a listener it would be an uncaught exception.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

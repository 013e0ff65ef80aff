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

/**
 * The settings every Peregrine pool connects with: `url`, the pool's size and options, and
 * PostgreSQL's JIT compilation turned off for the session. Peregrine's statements are short
 * (batches of a few hundred rows, lookups by index, rollups), but over partitioned tables their
 * cost estimates pass `jit_above_cost` (100 000) easily, and compiling them then took 100-600 ms
 * for a statement that ran in 7 ms (the incident correlator's read of its claim: 164 ms a call on
 * average, a quarter of the collector benchmark's Postgres time; docs/BENCHMARKS.md, JIT). Only
 * servers built with LLVM compile (Debian's and most distributions' packages: yes; the embedded
 * default: no). A `DATABASE_URL` that sets `options` itself replaces this (pg reads the URL's
 * parameters over the config's).
 */
export function poolConfig(url: string, config: Omit<pg.PoolConfig, 'connectionString'> = {}): pg.PoolConfig {
  return { ...config, connectionString: url, options: '-c jit=off' };
}

/** Opens the database at `url` (a pooled Prisma client over the pg driver adapter). */
export function createDb(url: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg(poolConfig(url, { max: options.max ?? 10 }));
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
  const pool = new pg.Pool(poolConfig(url, { max: options.max ?? 5 }));
  pool.on(
    'error',
    options.onError ?? ((err) => console.warn(`postgres pool: idle connection lost: ${err.message}`)),
  );
  // A checked-out client's lost connection is an 'error' on the client itself, which the failed
  // query reports already: without a listener it would be an uncaught exception.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

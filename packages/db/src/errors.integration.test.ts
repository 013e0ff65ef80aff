import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './client.js';
import { dbFailureKind, dbFailureReason, retryWhileUnavailable } from './errors.js';
import { createTestDatabase } from './testing.js';

/** Real errors from the real server (and from nothing listening), as `pg` and Prisma throw them. */
let handle: { url: string; drop(): Promise<void> };
let closedUrl: string;

beforeAll(async () => {
  handle = await createTestDatabase('errors');
  // A port with nothing listening: take a free one and close it.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  closedUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
});

afterAll(async () => {
  await handle?.drop();
});

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('dbFailureKind', () => {
  it('calls a server that is not there unavailable, through pg and through Prisma', async () => {
    const pool = new pg.Pool({ connectionString: closedUrl });
    expect(dbFailureKind(await caught(() => pool.query('SELECT 1')))).toBe('unavailable');
    await pool.end();
    const db = createDb(closedUrl);
    expect(dbFailureKind(await caught(() => db.prisma.$queryRaw`SELECT 1`))).toBe('unavailable');
    await db.close();
  });

  it('calls a terminated connection unavailable, and a retry on a fresh one succeeds', async () => {
    const pool = new pg.Pool({ connectionString: handle.url, max: 1 });
    pool.on('error', () => {});
    const admin = new pg.Client({ connectionString: handle.url });
    await admin.connect();
    const client = await pool.connect();
    // The terminated connection is also an 'error' event on the checked-out client (the pool's
    // handler covers idle ones only); unheard, it is an uncaught exception that fails the run.
    client.on('error', () => {});
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const running = client.query('SELECT pg_sleep(5)').catch((err: unknown) => err);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const err = await running;
    client.release(true);
    expect(dbFailureKind(err)).toBe('unavailable');
    expect(await retryWhileUnavailable(() => pool.query('SELECT 1 AS one'))).toMatchObject({
      rows: [{ one: 1 }],
    });
    await admin.end();
    await pool.end();
  });

  it('calls values the server refuses data, and says why without the values', async () => {
    const pool = new pg.Pool({ connectionString: handle.url });
    const nul = await caught(() => pool.query(`SELECT '{"a":"\\u0000"}'::jsonb`));
    expect(dbFailureKind(nul)).toBe('data');
    expect(dbFailureReason(nul)).toMatch(/^22P05 /);
    await pool.query('CREATE TABLE t (k text PRIMARY KEY)');
    const tooBig = await caught(() =>
      pool.query(`INSERT INTO t SELECT string_agg(md5(i::text), '') FROM generate_series(1, 300) i`),
    );
    expect(dbFailureKind(tooBig)).toBe('data');
    expect(dbFailureReason(tooBig)).toMatch(/^54000 /);
    await pool.end();
    const db = createDb(handle.url);
    expect(dbFailureKind(await caught(() => db.prisma.$queryRaw`SELECT '0000-01-01'::timestamptz`))).toBe(
      'data',
    );
    await db.close();
  });

  it('calls anything else other (a bug is not an outage)', async () => {
    const pool = new pg.Pool({ connectionString: handle.url });
    expect(dbFailureKind(await caught(() => pool.query('SELECT * FROM no_such_table')))).toBe('other');
    expect(dbFailureKind(new TypeError('x is undefined'))).toBe('other');
    await pool.end();
  });
});

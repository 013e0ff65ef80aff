import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { APP_ERROR_CODES, AppError, type AppErrorCode } from './errors/app-error';
import { createTRPCRouter, publicProcedure } from './trpc';

process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/unused';

const EXPECTED_STATUS: Record<AppErrorCode, number> = {
  UNAUTHENTICATED: 401,
  NOT_A_MEMBER: 403,
  INSUFFICIENT_ROLE: 403,
  SETUP_REQUIRED: 412,
  SETUP_CLOSED: 403,
  INVALID_SETUP_TOKEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

const router = createTRPCRouter({
  fail: publicProcedure.input(z.object({ code: z.enum(APP_ERROR_CODES) })).query(({ input }) => {
    throw new AppError(input.code, 'nope');
  }),
  crash: publicProcedure.query(() => {
    throw new Error('SELECT secret FROM users; -- internal detail');
  }),
  // A real query against a port where no database listens (a restart, a failover).
  databaseDown: publicProcedure.query(async () => {
    const pool = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1:1/postgres' });
    try {
      return await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
  }),
});

function request(path: string, input?: unknown) {
  const url = new URL(`http://localhost:3000/api/trpc/${path}`);
  if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: new Request(url),
    router,
    createContext: () => ({ headers: new Headers(), viewer: null, requestedOrgId: null, clientIp: null }),
  });
}

describe('the tRPC error formatter', () => {
  it.each(APP_ERROR_CODES)('maps %s to its HTTP status and keeps the code and message', async (code) => {
    const response = await request('fail', { code });
    expect(response.status).toBe(EXPECTED_STATUS[code]);
    const body = (await response.json()) as { error: { message: string; data: { appCode: string } } };
    expect(body.error.data.appCode).toBe(code);
    expect(body.error.message).toBe('nope');
  });

  it('answers unexpected errors with 500 and no domain code', async () => {
    const response = await request('crash');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { data: { appCode: string | null } } };
    expect(body.error.data.appCode).toBeNull();
  });

  it('answers a database that cannot be reached with 503 UNAVAILABLE, not 500', async () => {
    const response = await request('databaseDown');
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string; data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('UNAVAILABLE');
    expect(body.error.message).toMatch(/database is unavailable/);
  });
});

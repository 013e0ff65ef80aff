import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { provisionTestDatabase } from '../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { APP_ERROR_CODES, AppError } = await import('./app-error');
const { DATABASE_UNAVAILABLE_MESSAGE, DUPLICATE_MESSAGE, REFUSED_VALUES_MESSAGE, withDbErrors } =
  await import('./error-mapping');
const { createTRPCRouter, publicProcedure } = await import('../trpc');
const { appRouter } = await import('../root');
const { addMember, contextFor, createOrganization, createUser } = await import('../../../test/fixtures');
const db = await import('@peregrine/db');

type AppErrorCode = (typeof APP_ERROR_CODES)[number];
type ErrorBody = { error: { message: string; data: { appCode: string | null; httpStatus: number } } };

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

/** Runs one statement on this file's database with a plain `pg` client, as a driver error source. */
async function rawQuery(sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

const testRouter = createTRPCRouter({
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
  // A unique violation no repository turned into a DbError: the same slug inserted twice.
  duplicateSlug: publicProcedure.input(z.object({ slug: z.string() })).mutation(async ({ input }) => {
    const insert =
      'INSERT INTO organizations (id, name, slug, "updatedAt") VALUES (gen_random_uuid(), $1, $1, now())';
    await rawQuery(insert, [input.slug]);
    await rawQuery(insert, [input.slug]);
  }),
  // A value Postgres refuses to parse (SQLSTATE 22P02).
  badUuid: publicProcedure.query(async () => {
    await rawQuery('SELECT $1::uuid', ['not-a-uuid']);
  }),
});

function call(
  router: typeof testRouter | typeof appRouter,
  path: string,
  input: unknown,
  options: { mutation?: boolean; context?: ReturnType<typeof contextFor> } = {},
) {
  const url = new URL(`http://localhost:3000/api/trpc/${path}`);
  if (!options.mutation && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const req = options.mutation
    ? new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      })
    : new Request(url);
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router,
    createContext: () => options.context ?? contextFor(null),
  });
}

let adminContext: ReturnType<typeof contextFor>;
let organizationId: string;
let environmentId: string;

beforeAll(async () => {
  const org = await createOrganization('Errors Org');
  organizationId = org.id;
  const admin = await createUser('Errors Admin');
  await addMember(org.id, admin.id, 'admin');
  adminContext = contextFor(admin);
  environmentId = (await appRouter.createCaller(adminContext).environment.list())[0]?.id as string;
});

describe('coded domain errors', () => {
  it.each(APP_ERROR_CODES)('map %s to its HTTP status and keep the code and message', async (code) => {
    const response = await call(testRouter, 'fail', { code });
    expect(response.status).toBe(EXPECTED_STATUS[code]);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe(code);
    expect(body.error.message).toBe('nope');
  });

  it('leave unexpected errors a 500 with no domain code', async () => {
    const response = await call(testRouter, 'crash', undefined);
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBeNull();
  });
});

describe('database errors', () => {
  it('answer a database that cannot be reached with 503 UNAVAILABLE, not 500', async () => {
    const response = await call(testRouter, 'databaseDown', undefined);
    expect(response.status).toBe(503);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe('UNAVAILABLE');
    expect(body.error.message).toBe(DATABASE_UNAVAILABLE_MESSAGE);
  });

  it('answer a repository conflict (a real duplicate insert) with 409 and one wording', async () => {
    const input = { environmentId, name: 'dup-source', settings: { kind: 'falco', config: {} } };
    const first = await call(appRouter, 'sources.create', input, { mutation: true, context: adminContext });
    expect(first.status).toBe(200);
    const second = await call(appRouter, 'sources.create', input, { mutation: true, context: adminContext });
    expect(second.status).toBe(409);
    const body = (await second.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe('CONFLICT');
    // packages/db words it in lower case without a full stop; the console reads as a sentence.
    expect(body.error.message).toMatch(/^A source named "dup-source" already exists.*\.$/);
  });

  it('answer a repository NOT_FOUND with 404 and the same wording', async () => {
    const response = await call(
      appRouter,
      'sensors.revoke',
      { sensorId: '00000000-0000-4000-8000-000000000000' },
      { mutation: true, context: adminContext },
    );
    expect(response.status).toBe(404);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe('NOT_FOUND');
    expect(body.error.message).toMatch(/^[A-Z].*\.$/);
  });

  it('answer a raw unique violation with 409 and never echo the values', async () => {
    const slug = `secret-slug-${Date.now()}`;
    const response = await call(testRouter, 'duplicateSlug', { slug }, { mutation: true });
    expect(response.status).toBe(409);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe('CONFLICT');
    expect(body.error.message).toBe(DUPLICATE_MESSAGE);
    expect(JSON.stringify(body)).not.toContain(slug);
  });

  it('answer another refused value with 400 INVALID_INPUT', async () => {
    const response = await call(testRouter, 'badUuid', undefined);
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.data.appCode).toBe('INVALID_INPUT');
    expect(body.error.message).toBe(REFUSED_VALUES_MESSAGE);
  });

  it('reach services as AppErrors through withDbErrors, with the same wording', async () => {
    const handle = db.getDb(databaseUrl);
    const error = await withDbErrors(() =>
      db.revokeOrganizationSensor(
        handle,
        { organizationId, sensorId: '00000000-0000-4000-8000-000000000000' },
        { userId: null, apiKeyId: null, ip: null, userAgent: null },
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'Sensor not found.' });
    expect((error as Error).cause).toBeInstanceOf(db.DbError);
  });

  it('leave errors that are neither coded nor from the database alone', async () => {
    const plain = new Error('plain');
    await expect(withDbErrors(() => Promise.reject(plain))).rejects.toBe(plain);
  });
});

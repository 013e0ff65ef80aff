import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/**
 * Gives the calling test file its own database, cloned from the run's migrated template, and
 * points the console's configuration at it. Call at the top of an integration test file,
 * before importing server modules (they read the environment on first use).
 */
export async function provisionTestDatabase(): Promise<string> {
  const adminUrl = inject('adminUrl');
  const template = inject('templateDatabase');
  const name = `${template}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  process.env.BETTER_AUTH_SECRET ??= randomBytes(32).toString('base64url');
  process.env.BETTER_AUTH_URL = 'http://localhost:3000';
  afterAll(async () => {
    // Close this file's pools first: dropping a database under open connections kills them noisily.
    const { getDb } = await import('@peregrine/db');
    const { disposeAuth } = await import('@/server/auth/auth');
    await Promise.all([getDb(url.toString()).close(), disposeAuth()]);
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  });
  return url.toString();
}

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { handleAuthRequest } = await import('./auth-handler');

const signIn = () =>
  handleAuthRequest(
    new Request('http://localhost:3000/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'irrelevant password' }),
    }),
  );

describe('the auth connection pool', () => {
  it('survives the database dropping its idle connections', async () => {
    expect((await signIn()).status).toBe(401);
    // What a Postgres restart or failover does to idle pooled connections.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await admin.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Still serving (an unhandled pool error would have failed this run as an uncaught exception).
    expect((await signIn()).status).toBe(401);
  });
});

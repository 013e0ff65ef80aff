import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
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
    // Watched, not replaced: the pool's error handler logs each lost connection.
    const logged = vi.spyOn(console, 'error');
    expect((await signIn()).status).toBe(401);
    // What a Postgres restart or failover does to idle pooled connections.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    // pg_terminate_backend only signals: on a loaded machine a backend may still be exiting (and
    // its connection still look idle to its pool) when the next request takes it. The restart is
    // over once none is left.
    await vi.waitFor(
      async () => {
        const left = await admin.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        expect(left.rows[0].n).toBe(0);
      },
      { timeout: 10_000, interval: 50 },
    );
    await admin.end();
    // The pool has seen its idle connections die (without a handler that error would crash the process).
    await vi.waitFor(
      () => expect(logged).toHaveBeenCalledWith('auth database connection lost:', expect.any(String)),
      { timeout: 5_000 },
    );
    logged.mockRestore();
    // Still serving (an unhandled pool error would have failed this run as an uncaught exception).
    expect((await signIn()).status).toBe(401);
  });
});

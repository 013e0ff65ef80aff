import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startConsole } from './console';

/**
 * The built console on its own server (server.mjs) over real HTTP: the address that rate limits
 * and the audit log see is the TCP peer's, whatever X-Forwarded-For a client writes.
 */
const { baseUrl, databaseUrl } = await startConsole();

function signIn(email: string, forwardedFor: string) {
  return fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl, 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email, password: 'not the password' }),
  });
}

describe('the client address of a request', () => {
  it('is the peer: rotating X-Forwarded-For does not dodge the per-address sign-in limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await signIn(`rotating-${i}@example.test`, `198.51.100.${i + 1}`)).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it.skipIf(!databaseUrl)('is what the audit log records for a failed sign-in', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ ip: string | null }>(
        `SELECT ip FROM audit_log WHERE action = 'auth.sign_in_failed' ORDER BY id`,
      );
      expect(rows.length).toBe(5);
      expect(new Set(rows.map((r) => r.ip))).toEqual(new Set(['127.0.0.1']));
    } finally {
      await client.end();
    }
  });
});

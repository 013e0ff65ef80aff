import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServerEnv } from '@/env';
import { createAuth } from './auth';

// The pool connects lazily; these tests only read configuration, so no database is needed.
const pool = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1:5432/unused', max: 1 });
afterAll(() => pool.end());

async function cookiesFor(url: string) {
  const env = parseServerEnv({
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused',
    BETTER_AUTH_SECRET: 'x'.repeat(32),
    BETTER_AUTH_URL: url,
  });
  return (await createAuth(env, pool).$context).authCookies;
}

describe('session cookies', () => {
  it('are Secure and __Secure- prefixed when the console is served over HTTPS', async () => {
    const cookies = await cookiesFor('https://soc.example.com');
    expect(cookies.sessionToken.name).toBe('__Secure-peregrine.session_token');
    expect(cookies.sessionToken.attributes).toMatchObject({ secure: true, httpOnly: true, sameSite: 'lax' });
  });

  it('stay HttpOnly and SameSite on plain-HTTP localhost', async () => {
    const cookies = await cookiesFor('http://localhost:3000');
    expect(cookies.sessionToken.name).toBe('peregrine.session_token');
    expect(cookies.sessionToken.attributes).toMatchObject({ httpOnly: true, sameSite: 'lax' });
  });
});

import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../test/database';

const databaseUrl = await provisionTestDatabase();
const { getDb } = await import('@peregrine/db');
const { handleTRPCRequest } = await import('./trpc-handler');
const { SIGN_IN_RATE_LIMIT } = await import('./auth/auth');
const { runWithPeerAddress } = await import('./client-address');
const { issueSetupToken } = await import('@peregrine/db');
const { handleAuthRequest } = await import('./auth/auth-handler');

const ORIGIN = 'http://localhost:3000';
const admin = {
  name: 'Grace Admin',
  email: 'grace@example.test',
  password: 'an adequately long password',
  confirmPassword: 'an adequately long password',
  organizationName: 'Hopper Labs',
  setupToken: '',
};

function trpc(path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const method = init.body === undefined ? 'GET' : 'POST';
  return handleTRPCRequest(
    new Request(`${ORIGIN}/api/trpc/${path}`, {
      method,
      headers: {
        ...(method === 'POST' ? { 'content-type': 'application/json', origin: ORIGIN } : {}),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    }),
  );
}

function auth(path: string, body: unknown, headers: Record<string, string> = {}) {
  return handleAuthRequest(
    new Request(`${ORIGIN}/api/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
      body: JSON.stringify(body),
    }),
  );
}

async function errorOf(response: Response) {
  const json = (await response.json()) as { error: { message: string; data: { appCode: string | null } } };
  return json.error;
}

describe('the tRPC route handler', () => {
  it('maps AppError codes to HTTP statuses (401 for anonymous callers)', async () => {
    const response = await trpc('viewer.get');
    expect(response.status).toBe(401);
    expect((await errorOf(response)).data.appCode).toBe('UNAUTHENTICATED');
  });

  it('refuses cross-site and form-encoded writes before running anything', async () => {
    const evil = await trpc('setup.createFirstAdmin', {
      body: admin,
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    const form = await trpc('setup.createFirstAdmin', {
      body: admin,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(403);
    expect(await getDb(databaseUrl).prisma.user.count()).toBe(0);
  });

  it('reports invalid input per field', async () => {
    const response = await trpc('setup.createFirstAdmin', { body: { ...admin, confirmPassword: 'nope' } });
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: { data: { issues: { path: string }[] } } };
    expect(error.error.data.issues.map((i) => i.path)).toContain('confirmPassword');
  });

  it('runs first-run setup, then serves the signed-in admin through the session cookie', async () => {
    const issued = await issueSetupToken(getDb(databaseUrl));
    admin.setupToken = issued?.token ?? '';
    expect((await trpc('setup.createFirstAdmin', { body: admin })).status).toBe(200);
    const signIn = await auth('sign-in/email', { email: admin.email, password: admin.password });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toMatch(/peregrine\.session_token=/);
    // The cookie is HttpOnly and SameSite: scripts cannot read it and other sites cannot send it.
    expect(signIn.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(signIn.headers.get('set-cookie')).toMatch(/SameSite=Lax/i);
    const viewer = await trpc('viewer.get', { headers: { cookie } });
    expect(viewer.status).toBe(200);
    const body = (await viewer.json()) as {
      result: { data: { role: string; organization: { name: string } } };
    };
    expect(body.result.data).toMatchObject({ role: 'admin', organization: { name: 'Hopper Labs' } });
  });

  it('closes setup with 403 once an admin exists', async () => {
    const response = await trpc('setup.createFirstAdmin', {
      body: { ...admin, email: 'second@example.test' },
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).data.appCode).toBe('SETUP_CLOSED');
  });
});

describe('better-auth configuration', () => {
  it('has no open sign-up endpoint', async () => {
    const response = await auth('sign-up/email', {
      name: 'X',
      email: 'x@example.test',
      password: 'long enough password',
    });
    expect(response.status).toBe(404);
  });

  it('rejects a sign-in from a foreign origin', async () => {
    const response = await auth(
      'sign-in/email',
      { email: admin.email, password: admin.password },
      { origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
  });

  it('rate-limits sign-in per client address in Postgres, whatever X-Forwarded-For says', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_RATE_LIMIT.max; i++) {
      const response = await runWithPeerAddress('203.0.113.7', () =>
        auth(
          'sign-in/email',
          { email: `someone-${i}@example.test`, password: 'wrong password!!' },
          { 'x-forwarded-for': `198.51.100.${i + 1}` },
        ),
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(0, SIGN_IN_RATE_LIMIT.max).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const rows = await getDb(databaseUrl).prisma.rateLimit.findMany({
      where: { key: { startsWith: '203.0.113.7|' } },
    });
    expect(rows).toHaveLength(1);
    // Another client is unaffected.
    const other = await runWithPeerAddress('198.51.100.9', () =>
      auth('sign-in/email', { email: admin.email, password: admin.password }),
    );
    expect(other.status).toBe(200);
    // Each refused sign-in hashes a password (scrypt, CPU-bound on purpose): on a loaded CI
    // machine six of them (and the right one) outlasted the default 20 s, which says nothing about the limit.
  }, 90_000);
});

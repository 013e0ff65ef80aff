import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../test/database';

const databaseUrl = await provisionTestDatabase();
// Trusted-header sign-in: an authenticating proxy in 10.9.0.0/16 vouches for users by header.
process.env.PEREGRINE_AUTH_PROXY_ADDRESSES = '10.9.0.0/16, fd00:9::/32';
process.env.PEREGRINE_AUTH_PROXY_ORGANIZATION = 'proxied-org';
process.env.PEREGRINE_AUTH_PROXY_ROLES = 'sec-admins=admin,everyone=viewer';
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

describe('trusted-header sign-in (an authenticating proxy such as oauth2-proxy)', () => {
  const identity = {
    'x-forwarded-email': 'Ada@Proxy.test',
    'x-forwarded-preferred-username': 'Ada Lovelace',
    'x-forwarded-groups': 'everyone,sec-admins',
  };
  type ViewerBody = { result: { data: { user: { email: string; name: string }; role: string } } };

  it('signs in whom the proxy names, creating the user and membership just in time', async () => {
    const { prisma } = getDb(databaseUrl);
    await prisma.organization.create({ data: { name: 'Proxied Org', slug: 'proxied-org' } });
    const response = await runWithPeerAddress('10.9.3.4', () => trpc('viewer.get', { headers: identity }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as ViewerBody;
    expect(body.result.data).toMatchObject({
      user: { email: 'ada@proxy.test', name: 'Ada Lovelace' },
      role: 'admin',
    });
    const join = await prisma.auditLog.findFirstOrThrow({ where: { action: 'member.proxy_join' } });
    expect(join).toMatchObject({ ip: '10.9.3.4', after: { email: 'ada@proxy.test', role: 'admin' } });
    // The role follows the proxy's groups on the next request, as with SSO.
    const demoted = await runWithPeerAddress('::ffff:10.9.3.4', () =>
      trpc('viewer.get', { headers: { ...identity, 'x-forwarded-groups': 'everyone' } }),
    );
    expect(((await demoted.json()) as ViewerBody).result.data.role).toBe('viewer');
    expect(await prisma.user.count({ where: { email: 'ada@proxy.test' } })).toBe(1);
    expect(await prisma.auditLog.count({ where: { action: 'member.proxy_role_change' } })).toBe(1);
  });

  it('ignores the header from any other address, whatever X-Forwarded-For claims, and audits it', async () => {
    const { prisma } = getDb(databaseUrl);
    const spoofed = { ...identity, 'x-forwarded-email': 'mallory@proxy.test', 'x-forwarded-for': '10.9.3.4' };
    for (const peer of ['203.0.113.50', '203.0.113.50', '10.10.0.1']) {
      const response = await runWithPeerAddress(peer, () => trpc('viewer.get', { headers: spoofed }));
      expect(response.status, peer).toBe(401);
    }
    // Also for a user who exists: the header alone is no credential.
    const asAda = await runWithPeerAddress('203.0.113.50', () => trpc('viewer.get', { headers: identity }));
    expect(asAda.status).toBe(401);
    expect(await prisma.user.count({ where: { email: 'mallory@proxy.test' } })).toBe(0);
    const refused = await prisma.auditLog.findMany({
      where: { action: 'auth.proxy_header_refused' },
      orderBy: { id: 'asc' },
    });
    // Once per address and minute: a client spraying headers cannot flood the log.
    expect(refused.map((r) => r.ip)).toEqual(['203.0.113.50', '10.10.0.1']);
    expect(refused[0]).toMatchObject({ organizationId: null, after: { email: 'mallory@proxy.test' } });
  });
});

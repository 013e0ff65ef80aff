import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../test/database';
import { CookieJar, signInAtIdp, startTestIdp, type TestIdp } from '../../../test/oidc-idp';

await provisionTestDatabase();
// The test IdP listens on loopback, which the outbound policy refuses unless the operator allows it.
process.env.PEREGRINE_OUTBOUND_ALLOW = '127.0.0.1';
process.env.PEREGRINE_SECRET_KEY = randomBytes(32).toString('base64');
const BASE = 'http://localhost:3000';
const { handleAuthRequest: handleFromPeer } = await import('./auth-handler');
const { runWithPeerAddress } = await import('../client-address');
const { getAuth } = await import('./auth');
const { createCaller } = await import('../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../test/fixtures'
);
const { createOutboundPolicy } = await import('@peregrine/outbound');
const { discoverIssuer } = await import('../services/sso/oidc');
const { getDb } = await import('@peregrine/db');

// Each request from its own client address, as different browsers: better-auth's per-address rate
// limit on /sso/start (rate-limited itself elsewhere) would otherwise stop this file half-way.
let peers = 0;
const handleAuthRequest = (request: Request) =>
  runWithPeerAddress(`127.0.${Math.floor(++peers / 250)}.${(peers % 250) + 1}`, () =>
    handleFromPeer(request),
  );

const prisma = () => getDb(process.env.DATABASE_URL as string).prisma;
const CALLBACK = `${BASE}/api/auth/sso/callback`;

let idp: TestIdp;
let org: Awaited<ReturnType<typeof createOrganization>>;
let admin: Awaited<ReturnType<typeof createUser>>;
const asAdmin = () => createCaller(contextFor(admin));

const settings = () => ({
  issuer: idp.issuer,
  clientId: idp.clientId,
  clientSecret: idp.clientSecret,
  groupsClaim: 'groups',
  roleMappings: [
    { group: 'sec-admins', role: 'admin' as const },
    { group: 'detection-engineers', role: 'author' as const },
    { group: 'everyone', role: 'viewer' as const },
  ],
  domains: ['acme.test'],
  ssoRequired: false,
});

beforeAll(async () => {
  idp = await startTestIdp({ redirectUris: [CALLBACK] });
  idp.accounts.set('alice', {
    email: 'alice@acme.test',
    name: 'Alice Acme',
    groups: ['everyone', 'detection-engineers'],
  });
  idp.accounts.set('bob', { email: 'bob@acme.test', name: 'Bob Acme', groups: ['contractors'] });
  org = await createOrganization('Acme');
  admin = await createUser('Acme Admin');
  await addMember(org.id, admin.id, 'admin');
});

afterAll(async () => {
  await idp?.close();
});

beforeEach(() => idp.tamper(null));

/** POST /api/auth/sso/start as the sign-in page does; the answer and the cookie jar. */
async function start(email: string, jar = new CookieJar()) {
  const url = `${BASE}/api/auth/sso/start`;
  const response = await handleAuthRequest(
    new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE },
      body: JSON.stringify({ email }),
    }),
  );
  jar.store(url, response);
  return {
    response,
    body: (await response.json()) as { url?: string; code?: string; message?: string },
    jar,
  };
}

/** GET the callback with the browser's cookies: where it redirects and the session it set. */
async function callback(callbackUrl: URL, jar: CookieJar, cookie = jar.header(BASE)) {
  const response = await handleAuthRequest(new Request(callbackUrl, { headers: { cookie } }));
  jar.store(BASE, response);
  const session = await getAuth().api.getSession({ headers: new Headers({ cookie: jar.header(BASE) }) });
  return { status: response.status, location: response.headers.get('location') ?? '', session };
}

/** The whole flow for `login` at the IdP. */
async function signIn(login: string, email: string) {
  const started = await start(email);
  expect(started.response.status, JSON.stringify(started.body)).toBe(200);
  const back = await signInAtIdp(started.body.url as string, login, CALLBACK, started.jar);
  return callback(back, started.jar);
}

async function membershipOf(email: string) {
  const user = await prisma().user.findUnique({ where: { email }, select: { id: true } });
  if (!user) return null;
  return prisma().membership.findUnique({
    where: { organizationId_userId: { organizationId: org.id, userId: user.id } },
    select: { role: true },
  });
}

async function auditActions(action: string) {
  return prisma().auditLog.findMany({
    where: { organizationId: org.id, action },
    orderBy: { id: 'asc' },
    select: { actorUserId: true, targetId: true, before: true, after: true },
  });
}

describe('SSO configuration', () => {
  it('runs discovery when saved and refuses an issuer without OpenID metadata', async () => {
    const error = await asAdmin()
      .sso.save({ ...settings(), issuer: `${idp.issuer}/not-an-issuer` })
      .catch((e: unknown) => e as Error);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('INVALID_INPUT');
    expect((error as Error).message).toMatch(
      /OpenID discovery at http:\/\/127\.0\.0\.1:\d+\/not-an-issuer failed/,
    );
    expect(await asAdmin().sso.get()).toMatchObject({ config: null, redirectUri: CALLBACK });
  });

  it('refuses a loopback issuer the operator did not allow', async () => {
    const strict = createOutboundPolicy({ allowSetting: 'PEREGRINE_OUTBOUND_ALLOW' });
    await expect(
      discoverIssuer({ issuer: idp.issuer, clientId: 'x', clientSecret: null }, strict),
    ).rejects.toThrow(/must be an https:\/\/ URL/);
    const strictHttps = discoverIssuer(
      { issuer: idp.issuer.replace('http:', 'https:'), clientId: 'x', clientSecret: null },
      strict,
    );
    await expect(strictHttps).rejects.toThrow(/loopback/);
  });

  it('saves the settings with the secret encrypted and audits the change without it', async () => {
    const saved = await asAdmin().sso.save(settings());
    expect(saved).toMatchObject({ issuer: idp.issuer, hasClientSecret: true, domains: ['acme.test'] });
    const row = await prisma().ssoConfig.findUniqueOrThrow({ where: { organizationId: org.id } });
    expect(Buffer.from(row.secretsEncrypted as Uint8Array).includes(idp.clientSecret)).toBe(false);
    // Saved again without a secret: the stored one is kept (and discovery still passes).
    await asAdmin().sso.save({ ...settings(), clientSecret: undefined, groupsClaim: 'groups' });
    expect((await asAdmin().sso.get()).config?.hasClientSecret).toBe(true);
    const [created] = await auditActions('sso.config.create');
    expect(created).toMatchObject({
      actorUserId: admin.id,
      after: { issuer: idp.issuer, hasClientSecret: true },
    });
    expect(JSON.stringify(created)).not.toContain(idp.clientSecret);
    expect(await auditActions('sso.config.update')).toHaveLength(1);
  });

  it('is for admins only', async () => {
    const viewer = await createUser('Acme Viewer');
    await addMember(org.id, viewer.id, 'viewer');
    expect(await appCodeOf(createCaller(contextFor(viewer)).sso.get())).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(createCaller(contextFor(viewer)).sso.save(settings()))).toBe('INSUFFICIENT_ROLE');
  });

  it('gives a domain to one organisation only', async () => {
    const other = await createOrganization('Other');
    const otherAdmin = await createUser('Other Admin');
    await addMember(other.id, otherAdmin.id, 'admin');
    const error = await createCaller(contextFor(otherAdmin))
      .sso.save(settings())
      .catch((e: unknown) => e as Error);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('CONFLICT');
    expect((error as Error).message).toMatch(
      /^Acme\.test already signs in through another organisation's SSO/,
    );
  });
});

describe('SSO sign-in', () => {
  it('finds the organisation by email domain and refuses unknown domains', async () => {
    const unknown = await start('someone@elsewhere.test');
    expect(unknown.response.status).toBe(400);
    expect(unknown.body).toMatchObject({
      code: 'SSO_NOT_CONFIGURED',
      message: 'No organisation signs in with SSO for elsewhere.test.',
    });
    const known = await start('alice@acme.test');
    const url = new URL(known.body.url as string);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
  });

  it('signs a new user in just in time with the role of their highest mapped group', async () => {
    const result = await signIn('alice', 'alice@acme.test');
    expect(result.status).toBe(302);
    expect(result.location).toBe(`/?org=${org.slug}`);
    expect(result.session?.user).toMatchObject({ email: 'alice@acme.test', name: 'Alice Acme' });
    expect(await membershipOf('alice@acme.test')).toEqual({ role: 'author' });
    const [joined] = await auditActions('member.sso_join');
    expect(joined).toMatchObject({
      actorUserId: result.session?.user.id,
      before: null,
      after: { email: 'alice@acme.test', role: 'author', groups: ['everyone', 'detection-engineers'] },
    });
  });

  it('re-evaluates the role at every sign-in: promoted, then demoted, then removed', async () => {
    idp.accounts.set('alice', { email: 'alice@acme.test', name: 'Alice Acme', groups: ['sec-admins'] });
    await signIn('alice', 'alice@acme.test');
    expect(await membershipOf('alice@acme.test')).toEqual({ role: 'admin' });

    idp.accounts.set('alice', { email: 'alice@acme.test', name: 'Alice Acme', groups: ['everyone'] });
    await signIn('alice', 'alice@acme.test');
    expect(await membershipOf('alice@acme.test')).toEqual({ role: 'viewer' });
    expect((await auditActions('member.sso_role_change')).map((e) => e.after)).toEqual([
      { email: 'alice@acme.test', role: 'admin', groups: ['sec-admins'] },
      { email: 'alice@acme.test', role: 'viewer', groups: ['everyone'] },
    ]);

    // The group removed at the IdP: access lost at the next sign-in, with a clear reason.
    idp.accounts.set('alice', { email: 'alice@acme.test', name: 'Alice Acme', groups: [] });
    const refused = await signIn('alice', 'alice@acme.test');
    expect(refused.location).toBe('/sign-in?sso_error=no_role');
    expect(refused.session).toBeNull();
    expect(await membershipOf('alice@acme.test')).toBeNull();
    expect(await auditActions('member.sso_remove')).toMatchObject([
      {
        before: { email: 'alice@acme.test', role: 'viewer' },
        after: { email: 'alice@acme.test', groups: [] },
      },
    ]);
  });

  it('creates no account for someone in no mapped group', async () => {
    const result = await signIn('bob', 'bob@acme.test');
    expect(result.location).toBe('/sign-in?sso_error=no_role');
    expect(await prisma().user.findUnique({ where: { email: 'bob@acme.test' } })).toBeNull();
  });

  it('links an existing password account only when it is already a member', async () => {
    const outsider = await prisma().user.create({
      data: { id: 'outsider-user', name: 'Outsider', email: 'carol@acme.test' },
    });
    idp.accounts.set('carol', { email: 'carol@acme.test', name: 'Carol', groups: ['sec-admins'] });
    const refused = await signIn('carol', 'carol@acme.test');
    expect(refused.location).toBe('/sign-in?sso_error=account_exists');
    expect(await membershipOf('carol@acme.test')).toBeNull();

    await addMember(org.id, outsider.id, 'viewer');
    const linked = await signIn('carol', 'carol@acme.test');
    expect(linked.session?.user.id).toBe(outsider.id);
    expect(await membershipOf('carol@acme.test')).toEqual({ role: 'admin' });
  });

  it("refuses an email outside the organisation's domains", async () => {
    idp.accounts.set('mallory', { email: 'mallory@evil.test', name: 'Mallory', groups: ['sec-admins'] });
    const result = await signIn('mallory', 'dave@acme.test');
    expect(result.location).toBe('/sign-in?sso_error=email');
    expect(result.session).toBeNull();
  });
});

describe('SSO refusals', () => {
  beforeAll(() => {
    idp.accounts.set('erin', { email: 'erin@acme.test', name: 'Erin', groups: ['everyone'] });
  });

  const cases = [
    [
      'a token from the wrong issuer',
      'issuer',
      (p: Record<string, unknown>) => ({ ...p, iss: 'https://evil.test' }),
    ],
    [
      'a token for another audience',
      'audience',
      (p: Record<string, unknown>) => ({ ...p, aud: 'another-app' }),
    ],
    [
      'an expired token',
      'expired',
      (p: Record<string, unknown>) => ({
        ...p,
        iat: Math.floor(Date.now() / 1000) - 7200,
        exp: Math.floor(Date.now() / 1000) - 3600,
      }),
    ],
    [
      'a token for another sign-in',
      'nonce',
      (p: Record<string, unknown>) => ({ ...p, nonce: 'replayed-nonce' }),
    ],
  ] as const;

  it.each(cases)('refuses %s', async (_name, code, rewrite) => {
    idp.tamper((payload, sign) => sign(rewrite(payload as Record<string, unknown>)));
    const result = await signIn('erin', 'erin@acme.test');
    expect(result.location).toBe(`/sign-in?sso_error=${code}`);
    expect(result.session).toBeNull();
    const failed = await prisma().auditLog.findFirst({
      // In the organisation whose SSO refused it, so its admins see the attempt.
      where: { action: 'auth.sign_in_failed', organizationId: org.id },
      orderBy: { id: 'desc' },
      select: { after: true },
    });
    expect(failed?.after).toMatchObject({ email: 'erin@acme.test', reason: `SSO_${code.toUpperCase()}` });
  });

  it('refuses a token signed with a key the IdP does not publish', async () => {
    idp.tamper((payload, sign) => sign(payload, 'other'));
    const result = await signIn('erin', 'erin@acme.test');
    expect(result.location).toBe('/sign-in?sso_error=signature');
    expect(result.session).toBeNull();
  });

  it('accepts the untampered token (the refusals above are the tampering)', async () => {
    const result = await signIn('erin', 'erin@acme.test');
    expect(result.session?.user.email).toBe('erin@acme.test');
  });

  it("refuses a callback whose state is not this browser's, and a replayed one", async () => {
    const first = await start('erin@acme.test');
    const second = await start('erin@acme.test');
    const back = await signInAtIdp(first.body.url as string, 'erin', CALLBACK, first.jar);
    // The response of the first sign-in delivered to a browser that started the second.
    const crossed = await callback(back, second.jar);
    expect(crossed.location).toBe('/sign-in?sso_error=state');
    expect(crossed.session).toBeNull();
    // The right browser succeeds once; the same response with the same cookie again is refused.
    const stateCookie = first.jar.header(BASE);
    expect(stateCookie).toMatch(/^peregrine\.sso_state=/);
    expect((await callback(back, first.jar)).session?.user.email).toBe('erin@acme.test');
    const replayed = await callback(back, new CookieJar(), stateCookie);
    expect(replayed.location).toBe('/sign-in?sso_error=state');
    expect(replayed.session).toBeNull();
  });
});

describe('SSO required', () => {
  const password = 'correct horse battery staple';
  const signInWithPassword = () =>
    handleAuthRequest(
      new Request(`${BASE}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: BASE },
        body: JSON.stringify({ email: 'frank@acme.test', password }),
      }),
    );

  it("refuses passwords for the domain's accounts once SSO is required", async () => {
    const local = await getAuth().api.signUpEmail({
      body: { name: 'Frank', email: 'frank@acme.test', password },
    });
    await addMember(org.id, local.user.id, 'viewer');
    expect((await signInWithPassword()).status).toBe(200);
    await asAdmin().sso.save({ ...settings(), clientSecret: undefined, ssoRequired: true });
    const refused = await signInWithPassword();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      code: 'SSO_REQUIRED',
      message: 'Accounts at acme.test sign in with single sign-on: use "Sign in with SSO".',
    });
  });

  it('creates no password account for the domain from an invitation either', async () => {
    const invited = await asAdmin().members.invite({ email: 'gina@acme.test', role: 'viewer' });
    const token = invited.url.slice(invited.url.lastIndexOf('/') + 1);
    const error = await createCaller(contextFor(null))
      .members.acceptInvitationWithSignUp({
        token,
        name: 'Gina',
        password: 'correct horse battery staple',
        confirmPassword: 'correct horse battery staple',
      })
      .catch((e: unknown) => e as Error);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('INVALID_INPUT');
    expect((error as Error).message).toContain('Accounts at acme.test sign in with single sign-on');
    expect(await prisma().user.findUnique({ where: { email: 'gina@acme.test' } })).toBeNull();
  });

  it('audits turning SSO off, after which passwords work again', async () => {
    await asAdmin().sso.delete();
    expect(await auditActions('sso.config.delete')).toHaveLength(1);
    expect((await asAdmin().sso.get()).config).toBeNull();
    expect((await signInWithPassword()).status).toBe(200);
  });
});

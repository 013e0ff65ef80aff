import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { getDb, issueSetupToken } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { getAuth } = await import('../../auth/auth');
const { contextFor, appCodeOf } = await import('../../../../test/fixtures');

const admin = {
  name: 'Ada Admin',
  email: 'ada@example.test',
  password: 'a long enough passphrase',
  confirmPassword: 'a long enough passphrase',
  organizationName: 'Acme Security',
  setupToken: '',
};

describe('first-run setup', () => {
  const caller = createCaller(contextFor(null));

  it('is open while no admin exists', async () => {
    expect(await caller.setup.getStatus()).toEqual({ needsSetup: true });
  });

  it('refuses whoever reaches the console first without the token from the start log', async () => {
    // Not printed anywhere but the start log: the attacker has none, or guesses one.
    await issueSetupToken(getDb(databaseUrl));
    for (const setupToken of ['guess', 'x'.repeat(43)]) {
      const code = await appCodeOf(
        caller.setup.createFirstAdmin({ ...admin, email: 'mallory@example.test', setupToken }),
      );
      expect(code).toBe('INVALID_SETUP_TOKEN');
    }
    await expect(
      caller.setup.createFirstAdmin({ ...admin, email: 'mallory@example.test', setupToken: '' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // No account was created on the way, and setup is still open for the operator.
    expect(await getDb(databaseUrl).prisma.user.count()).toBe(0);
    expect(await caller.setup.getStatus()).toEqual({ needsSetup: true });
  });

  it('rejects mismatched passwords before touching the database', async () => {
    await expect(
      caller.setup.createFirstAdmin({ ...admin, confirmPassword: 'something else entirely' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await getDb(databaseUrl).prisma.user.count()).toBe(0);
  });

  it('rejects a short password', async () => {
    await expect(
      caller.setup.createFirstAdmin({ ...admin, password: 'short', confirmPassword: 'short' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('creates the admin, the organisation, its environments and an audit entry in one step', async () => {
    admin.setupToken = (await issueSetupToken(getDb(databaseUrl)))?.token ?? '';
    const result = await caller.setup.createFirstAdmin(admin);
    expect(result.organization.name).toBe('Acme Security');
    const { prisma } = getDb(databaseUrl);
    const membership = await prisma.membership.findFirstOrThrow({ where: { userId: result.userId } });
    expect(membership).toMatchObject({ organizationId: result.organization.id, role: 'admin' });
    // Whoever sets the instance up reads its instance-level audit log.
    const user = await prisma.user.findUniqueOrThrow({ where: { id: result.userId } });
    expect(user.instanceAdmin).toBe(true);
    const environments = await prisma.environment.findMany({
      where: { organizationId: result.organization.id },
      orderBy: { position: 'asc' },
    });
    expect(environments.map((e) => e.name)).toEqual(['staging', 'production']);
    expect(
      await prisma.auditLog.count({ where: { organizationId: result.organization.id } }),
    ).toBeGreaterThan(0);
    // The password is stored hashed by better-auth, never in clear.
    const account = await prisma.account.findFirstOrThrow({ where: { userId: result.userId } });
    expect(account.providerId).toBe('credential');
    expect(account.password).not.toContain(admin.password);
  });

  it('lets the new admin sign in with the chosen password', async () => {
    const response = await getAuth().handler(
      new Request('http://localhost:3000/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
        body: JSON.stringify({ email: admin.email, password: admin.password }),
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/peregrine\.session_token=/);
  });

  it('closes for good afterwards', async () => {
    expect(await caller.setup.getStatus()).toEqual({ needsSetup: false });
    // Even with the token that worked: it was used up.
    const code = await appCodeOf(
      caller.setup.createFirstAdmin({ ...admin, email: 'mallory@example.test', organizationName: 'Evil' }),
    );
    expect(code).toBe('SETUP_CLOSED');
    expect(await getDb(databaseUrl).prisma.setupToken.count()).toBe(0);
    expect(await getDb(databaseUrl).prisma.user.count({ where: { email: 'mallory@example.test' } })).toBe(0);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { createTRPCContext } = await import('../../trpc');
const { handleTRPCRequest } = await import('../../trpc-handler');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb, hashApiKey } = await import('@peregrine/db');

const prisma = () => getDb(process.env.DATABASE_URL as string).prisma;
const ORIGIN = 'http://localhost:3000';

let org: Awaited<ReturnType<typeof createOrganization>>;
let otherOrg: Awaited<ReturnType<typeof createOrganization>>;
let admin: Awaited<ReturnType<typeof createUser>>;
let otherAdmin: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  org = await createOrganization('Keys Org');
  otherOrg = await createOrganization('Other Keys Org');
  admin = await createUser('Keys Admin');
  otherAdmin = await createUser('Other Keys Admin');
  await addMember(org.id, admin.id, 'admin');
  await addMember(otherOrg.id, otherAdmin.id, 'admin');
});

/** A caller built the way the HTTP handler builds it, from an Authorization header. */
async function keyCaller(key: string) {
  return createCaller(await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${key}` }) }));
}

function http(path: string, key: string, body?: unknown) {
  const method = body === undefined ? 'GET' : 'POST';
  return handleTRPCRequest(
    new Request(`${ORIGIN}/api/trpc/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

describe('API keys', () => {
  it('shows the key once and stores only its SHA-256 and a prefix', async () => {
    const { apiKey, key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'CI pipeline',
      role: 'author',
      expiresInDays: null,
    });
    expect(key).toMatch(/^pgk_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const row = await prisma().apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(row.keyHash).toBe(hashApiKey(key));
    expect(JSON.stringify(row)).not.toContain(key);
    const listed = await createCaller(contextFor(admin)).apiKeys.list();
    expect(listed.map((k) => k.name)).toContain('CI pipeline');
    expect(JSON.stringify(listed)).not.toContain(key);
    const audit = await prisma().auditLog.findFirstOrThrow({
      where: { action: 'api_key.create', targetId: apiKey.id },
    });
    expect(audit.after).toMatchObject({ name: 'CI pipeline', role: 'author', prefix: apiKey.prefix });
  });

  it("acts in the key's organisation with the key's role and records the key as actor", async () => {
    const { apiKey, key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'Automation admin',
      role: 'admin',
      expiresInDays: 30,
    });
    const caller = await keyCaller(key);
    const invited = await caller.members.invite({ email: 'bot-invited@example.test', role: 'viewer' });
    expect(invited.invitation.invitedBy).toBeNull();
    const entry = await prisma().auditLog.findFirstOrThrow({
      where: { action: 'invitation.create', targetId: invited.invitation.id },
    });
    expect(entry).toMatchObject({ organizationId: org.id, actorApiKeyId: apiKey.id, actorUserId: null });
    const used = await prisma().apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(used.lastUsedAt).not.toBeNull();
    // The key never reaches another organisation: it sees only its own keys.
    const otherKey = await createCaller(contextFor(otherAdmin)).apiKeys.create({
      name: 'Other',
      role: 'admin',
      expiresInDays: null,
    });
    const ids = (await caller.apiKeys.list()).map((k) => k.id);
    expect(ids).toContain(apiKey.id);
    expect(ids).not.toContain(otherKey.apiKey.id);
    expect(await appCodeOf(caller.apiKeys.revoke({ apiKeyId: otherKey.apiKey.id }))).toBe('NOT_FOUND');
  });

  it("refuses what the key's role does not allow", async () => {
    const { key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'Read only',
      role: 'viewer',
      expiresInDays: null,
    });
    const caller = await keyCaller(key);
    expect(await caller.sensors.list()).toEqual([]);
    expect(await appCodeOf(caller.apiKeys.list())).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(caller.members.invite({ email: 'x@example.test', role: 'admin' }))).toBe(
      'INSUFFICIENT_ROLE',
    );
  });

  it('refuses procedures that act as a signed-in user', async () => {
    const { key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'Personal',
      role: 'admin',
      expiresInDays: null,
    });
    const caller = await keyCaller(key);
    expect(await appCodeOf(caller.viewer.listOrganizations())).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(caller.members.acceptInvitation({ token: 'A'.repeat(43) }))).toBe(
      'INSUFFICIENT_ROLE',
    );
  });

  it('stops working once revoked or expired, and an unknown key is unauthenticated', async () => {
    const { apiKey, key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'Short lived',
      role: 'admin',
      expiresInDays: 1,
    });
    expect((await (await keyCaller(key)).apiKeys.list()).length).toBeGreaterThan(0);
    await prisma().apiKey.update({
      where: { id: apiKey.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await appCodeOf((await keyCaller(key)).apiKeys.list())).toBe('UNAUTHENTICATED');
    await prisma().apiKey.update({ where: { id: apiKey.id }, data: { expiresAt: null } });
    const revoked = await createCaller(contextFor(admin)).apiKeys.revoke({ apiKeyId: apiKey.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await appCodeOf((await keyCaller(key)).apiKeys.list())).toBe('UNAUTHENTICATED');
    expect(await appCodeOf((await keyCaller('pgk_not-a-key')).sensors.list())).toBe('UNAUTHENTICATED');
    expect(await appCodeOf((await keyCaller('')).sensors.list())).toBe('UNAUTHENTICATED');
    const audit = await prisma().auditLog.findFirstOrThrow({
      where: { action: 'api_key.revoke', targetId: apiKey.id },
    });
    expect(audit.before).toMatchObject({ revokedAt: null });
  });

  it('authenticates over HTTP with Authorization: Bearer, without cookies or Origin', async () => {
    const { key } = await createCaller(contextFor(admin)).apiKeys.create({
      name: 'HTTP client',
      role: 'admin',
      expiresInDays: null,
    });
    const list = await http('apiKeys.list', key);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { result: { data: { name: string }[] } };
    expect(body.result.data.map((k) => k.name)).toContain('HTTP client');

    const created = await http('sensors.register', key, {
      environmentId: (await prisma().environment.findFirstOrThrow({ where: { organizationId: org.id } })).id,
      name: 'http-host',
    });
    expect(created.status).toBe(200);

    const refused = await http('apiKeys.list', 'pgk_wrong');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { data: { appCode: string } } }).error.data.appCode).toBe(
      'UNAUTHENTICATED',
    );
  });
});

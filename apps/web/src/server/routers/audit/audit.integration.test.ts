import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
// An instance admin named by the operator (the setup's first admin is one too: setup tests).
process.env.PEREGRINE_INSTANCE_ADMINS = 'Operator@Instance.test';
const { createCaller } = await import('../../root');
const { createTRPCContext } = await import('../../trpc');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const db = await import('@peregrine/db');

const handle = () => db.getDb(process.env.DATABASE_URL as string);

let admin: ReturnType<typeof createCaller>;
let adminUser: Awaited<ReturnType<typeof createUser>>;
let apiKeyId: string;

beforeAll(async () => {
  const org = await createOrganization('Audit Org');
  const other = await createOrganization('Audit Other');
  adminUser = await createUser('Audit Admin');
  const otherAdmin = await createUser('Audit Other Admin');
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(other.id, otherAdmin.id, 'admin');
  admin = createCaller(contextFor(adminUser));
  // A user's changes, an API key's changes, and another organisation's (never visible here).
  for (const role of ['viewer', 'triager', 'author'] as const) {
    await admin.members.invite({ email: `${role}@audit.test`, role });
  }
  const created = await admin.apiKeys.create({ name: 'Audit bot', role: 'admin', expiresInDays: null });
  apiKeyId = created.apiKey.id;
  const bot = createCaller(
    await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${created.key}` }) }),
  );
  const environmentId = (await bot.environment.list())[0]?.id as string;
  await bot.sensors.register({ environmentId, name: 'bot-host' });
  await bot.members.invite({ email: 'bot@audit.test', role: 'viewer' });
  await createCaller(contextFor(otherAdmin)).members.invite({
    email: 'elsewhere@audit.test',
    role: 'viewer',
  });
});

describe('audit.list', () => {
  it("lists the organisation's changes newest first with actor, target, before and after", async () => {
    const { entries } = await admin.audit.list({});
    expect(entries.map((e) => e.action)).toEqual([
      'invitation.create',
      'sensor.register',
      'api_key.create',
      'invitation.create',
      'invitation.create',
      'invitation.create',
    ]);
    expect(entries[0]?.actor).toEqual({
      kind: 'api_key',
      id: apiKeyId,
      name: 'Audit bot',
      prefix: expect.any(String),
    });
    expect(entries.at(-1)?.actor).toEqual({
      kind: 'user',
      id: adminUser.id,
      name: 'Audit Admin',
      email: adminUser.email,
    });
    expect(entries.at(-1)).toMatchObject({
      targetType: 'invitation',
      before: null,
      after: { email: 'viewer@audit.test' },
    });
    expect(JSON.stringify(entries)).not.toContain('elsewhere@audit.test');
  });

  it('filters by actor, action family, target and time', async () => {
    const byKey = await admin.audit.list({ filter: { actor: `api_key:${apiKeyId}` } });
    expect(byKey.entries.map((e) => e.action)).toEqual(['invitation.create', 'sensor.register']);
    const byUser = await admin.audit.list({ filter: { actor: `user:${adminUser.id}` } });
    expect(byUser.entries).toHaveLength(4);
    expect((await admin.audit.list({ filter: { action: 'sensor.' } })).entries).toHaveLength(1);
    expect((await admin.audit.list({ filter: { targetType: 'api_key' } })).entries).toHaveLength(1);
    const sensor = (await admin.audit.list({ filter: { action: 'sensor.register' } })).entries[0];
    expect(
      (await admin.audit.list({ filter: { targetId: sensor?.targetId as string } })).entries,
    ).toHaveLength(1);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await admin.audit.list({ filter: { from: future } })).entries).toEqual([]);
    expect((await admin.audit.list({ filter: { to: future } })).entries).toHaveLength(6);
  });

  it('pages with a keyset cursor that neither repeats nor skips, even when entries share a timestamp', async () => {
    const org = (await admin.viewer.get()).organization.id;
    const same = new Date('2026-01-01T00:00:00Z');
    await handle().prisma.auditLog.createMany({
      data: Array.from({ length: 5 }, (_, i) => ({
        organizationId: org,
        action: 'test.same_instant',
        targetType: 'test',
        targetId: String(i),
        createdAt: same,
      })),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { entries: { id: string }[]; nextCursor: string | null } = await admin.audit.list({
        cursor,
        limit: 2,
      });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    expect(await appCodeOf(admin.audit.list({ cursor: 'not-a-cursor' }))).toBe('INVALID_INPUT');
  });

  it('offers the actions, target types and actors present as filter values', async () => {
    const facets = await admin.audit.facets();
    expect(facets.actions).toEqual(
      expect.arrayContaining(['api_key.create', 'invitation.create', 'sensor.register']),
    );
    expect(facets.targetTypes).toEqual(expect.arrayContaining(['api_key', 'invitation', 'sensor']));
    expect(facets.users.map((u) => u.id)).toEqual([adminUser.id]);
    expect(facets.apiKeys.map((k) => k.id)).toEqual([apiKeyId]);
  });
});

describe('the instance audit log', () => {
  it('shows instance admins the organisations created and deleted, and refuses everyone else', async () => {
    const { getAuth } = await import('@/server/auth/auth');
    const signedUp = await getAuth().api.signUpEmail({
      body: { name: 'Operator', email: 'operator@instance.test', password: 'correct horse battery staple' },
    });
    const operatorUser = { id: signedUp.user.id, name: 'Operator', email: 'operator@instance.test' };
    const operator = createCaller(contextFor(operatorUser));
    const made = await operator.organization.create({ name: 'Short Lived' });
    expect((await createCaller(contextFor(operatorUser, made.id)).viewer.get()).instanceAdmin).toBe(true);
    expect((await admin.viewer.get()).instanceAdmin).toBe(false);
    await createCaller(contextFor(operatorUser, made.id)).organization.delete({
      organizationId: made.id,
      confirmName: 'Short Lived',
    });

    // An organisation admin is not an instance admin; no API key reads it either.
    expect(await appCodeOf(admin.audit.listInstance({}))).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(admin.audit.instanceFacets())).toBe('INSUFFICIENT_ROLE');

    const { entries } = await operator.audit.listInstance({});
    expect(entries.map((e) => [e.action, e.targetId])).toEqual([
      ['organization.delete', made.id],
      ['organization.create', made.id],
    ]);
    expect(entries[0]?.actor).toMatchObject({ kind: 'user', id: operatorUser.id });
    expect(entries[0]?.before).toMatchObject({ name: 'Short Lived' });
    const filtered = await operator.audit.listInstance({ filter: { action: 'organization.create' } });
    expect(filtered.entries.map((e) => e.action)).toEqual(['organization.create']);
    const facets = await operator.audit.instanceFacets();
    expect(facets.actions).toEqual(['organization.create', 'organization.delete']);
    expect(facets.users.map((u) => u.id)).toEqual([operatorUser.id]);
    // The organisation's own log holds no instance entry.
    const own = await admin.audit.list({ filter: { action: 'organization.' } });
    expect(own.entries).toEqual([]);
  });
});

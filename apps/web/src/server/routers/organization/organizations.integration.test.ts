import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { DEFAULT_RULE_SET, getDb } = await import('@peregrine/db');
const { DEFAULT_RULE_FILES } = await import('@peregrine/engine');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createUser } = await import('../../../../test/fixtures');

type User = Awaited<ReturnType<typeof createUser>>;
let ada: User;
let bob: User;

beforeAll(async () => {
  ada = await createUser('Ada Lovelace');
  bob = await createUser('Bob Builder');
});

describe('organization.create', () => {
  it('makes the caller admin of a new organisation that starts like the demo one', async () => {
    const created = await createCaller(contextFor(ada)).organization.create({ name: '  Blue Team  ' });
    expect(created).toMatchObject({ name: 'Blue Team', slug: 'blue-team' });
    const { prisma } = getDb(databaseUrl);

    const membership = await prisma.membership.findUniqueOrThrow({
      where: { organizationId_userId: { organizationId: created.id, userId: ada.id } },
    });
    expect(membership.role).toBe('admin');

    const environments = await prisma.environment.findMany({
      where: { organizationId: created.id },
      orderBy: { position: 'asc' },
      select: { id: true, name: true },
    });
    expect(environments.map((e) => e.name)).toEqual(['staging', 'production']);

    // The default rule set, version 1 valid with every shipped rules file, active in both environments.
    const ruleSet = await prisma.ruleSet.findFirstOrThrow({
      where: { organizationId: created.id },
      select: {
        name: true,
        versions: { select: { id: true, number: true, status: true, files: { select: { name: true } } } },
      },
    });
    expect(ruleSet.name).toBe(DEFAULT_RULE_SET.name);
    expect(ruleSet.versions).toHaveLength(1);
    const [version] = ruleSet.versions;
    expect(version?.status).toBe('valid');
    expect(version?.files.map((f) => f.name).sort()).toEqual([...DEFAULT_RULE_FILES].sort());
    const activations = await prisma.activation.findMany({
      where: { environmentId: { in: environments.map((e) => e.id) } },
      select: { environmentId: true, versionId: true },
    });
    expect(activations).toHaveLength(2);
    expect(activations.every((a) => a.versionId === version?.id)).toBe(true);

    // Audited as the creator's act, in the new organisation.
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { organizationId: created.id, action: 'organization.create' },
    });
    expect(audit).toMatchObject({ actorUserId: ada.id, targetId: created.id });
    expect(audit.after).toMatchObject({ name: 'Blue Team', slug: 'blue-team', adminUserId: ada.id });
  });

  it("lists the new organisation among the creator's memberships and acts in it when chosen", async () => {
    const caller = createCaller(contextFor(ada));
    const mine = await caller.viewer.listOrganizations();
    const blue = mine.find((o) => o.name === 'Blue Team');
    expect(blue).toMatchObject({ role: 'admin' });
    const inBlue = createCaller(contextFor(ada, blue?.id ?? null));
    expect((await inBlue.viewer.get()).organization.name).toBe('Blue Team');
    expect((await inBlue.alerts.count({ filter: {} })).count).toBe(0);
    // Nobody else sees it.
    expect(await appCodeOf(createCaller(contextFor(bob, blue?.id ?? null)).viewer.get())).toBe(
      'NOT_A_MEMBER',
    );
  });

  it('acts in an organisation named by its slug, as a `?org=` link names it, for members only', async () => {
    expect((await createCaller(contextFor(ada, 'blue-team')).viewer.get()).organization.name).toBe(
      'Blue Team',
    );
    expect(await appCodeOf(createCaller(contextFor(bob, 'blue-team')).viewer.get())).toBe('NOT_A_MEMBER');
  });

  it('gives a second organisation of the same name its own slug', async () => {
    const again = await createCaller(contextFor(bob)).organization.create({ name: 'Blue Team' });
    expect(again.slug).toBe('blue-team-2');
  });

  it('refuses an empty or overlong name before touching the database', async () => {
    const before = await getDb(databaseUrl).prisma.organization.count();
    for (const name of ['', '   ', 'x'.repeat(121)]) {
      await expect(createCaller(contextFor(ada)).organization.create({ name })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
    expect(await getDb(databaseUrl).prisma.organization.count()).toBe(before);
  });
});

describe('organization.leave', () => {
  it('lets a member leave, with an audit entry, and the organisation is gone from their list', async () => {
    const org = await createCaller(contextFor(ada)).organization.create({ name: 'Red Team' });
    const carol = await createUser('Carol Member');
    await addMember(org.id, carol.id, 'triager');
    const left = await createCaller(contextFor(carol, org.id)).organization.leave({ organizationId: org.id });
    expect(left).toEqual({ organizationId: org.id });
    expect(await createCaller(contextFor(carol)).viewer.listOrganizations()).toEqual([]);
    expect(await appCodeOf(createCaller(contextFor(carol, org.id)).viewer.get())).toBe('NOT_A_MEMBER');
    const audit = await getDb(databaseUrl).prisma.auditLog.findFirstOrThrow({
      where: { organizationId: org.id, action: 'member.leave' },
    });
    expect(audit).toMatchObject({ actorUserId: carol.id, targetId: carol.id });
    expect(audit.before).toMatchObject({ email: carol.email, role: 'triager' });
  });

  it('refuses the last admin, who stays a member', async () => {
    const org = await createCaller(contextFor(ada)).organization.create({ name: 'Solo' });
    const result = createCaller(contextFor(ada, org.id)).organization.leave({ organizationId: org.id });
    expect(await appCodeOf(result)).toBe('CONFLICT');
    await expect(
      createCaller(contextFor(ada, org.id)).organization.leave({ organizationId: org.id }),
    ).rejects.toThrow(/last admin/);
    expect(await createCaller(contextFor(ada, org.id)).viewer.get()).toMatchObject({ role: 'admin' });
  });

  it('lets an admin leave once another admin remains', async () => {
    const org = await createCaller(contextFor(ada)).organization.create({ name: 'Shared' });
    await addMember(org.id, bob.id, 'admin');
    await createCaller(contextFor(ada, org.id)).organization.leave({ organizationId: org.id });
    expect((await createCaller(contextFor(ada)).viewer.listOrganizations()).map((o) => o.id)).not.toContain(
      org.id,
    );
  });

  it('refuses to leave an organisation other than the one the request acts in', async () => {
    const first = await createCaller(contextFor(bob)).organization.create({ name: 'Bob One' });
    const second = await createCaller(contextFor(bob)).organization.create({ name: 'Bob Two' });
    await addMember(first.id, ada.id, 'viewer');
    await addMember(second.id, ada.id, 'viewer');
    const result = createCaller(contextFor(ada, first.id)).organization.leave({ organizationId: second.id });
    expect(await appCodeOf(result)).toBe('CONFLICT');
    const ids = (await createCaller(contextFor(ada)).viewer.listOrganizations()).map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));
  });
});

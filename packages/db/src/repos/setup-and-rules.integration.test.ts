import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { migrateDatabase } from '../migrate.js';
import { createTestDatabase } from '../testing.js';
import {
  completeFirstRunSetup,
  listEnvironments,
  listMemberships,
  needsFirstRunSetup,
} from './organizations.js';
import { activateVersion, createRuleSetVersion } from './rule-sets.js';
import { seedDemo } from './seed.js';

const RULES = [{ name: 'rules.yaml', content: '- list: shells\n  items: [bash]\n' }];
const seedInput = {
  ruleSetName: 'Peregrine defaults',
  ruleSetDescription: 'test',
  files: RULES,
  status: 'valid' as const,
  diagnostics: [],
  summary: { rules: 0 },
};

async function addUser(db: Db, email: string): Promise<string> {
  const id = randomUUID();
  await db.prisma.user.create({ data: { id, name: email.split('@')[0] ?? email, email } });
  return id;
}

describe('demo seed, first-run setup and rule versions (real Postgres)', () => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    handle = await createTestDatabase('repos');
    await migrateDatabase(handle.url);
    db = createDb(handle.url);
  });
  afterAll(async () => {
    await db.close();
    await handle.drop();
  });

  it('seeds once: a second run changes nothing', async () => {
    const first = await seedDemo(db, seedInput);
    expect(first.createdVersion).toBe(true);
    expect(Object.keys(first.environments)).toEqual(['staging', 'production']);
    const second = await seedDemo(db, seedInput);
    expect(second).toEqual({ ...first, createdVersion: false });
    expect(await db.prisma.ruleSetVersion.count()).toBe(1);
    expect(await db.prisma.activation.count()).toBe(2);
    expect(await db.prisma.organization.count()).toBe(1);
  });

  it('the first admin adopts the seeded organisation; a second setup is refused', async () => {
    expect(await needsFirstRunSetup(db)).toBe(true);
    const alice = await addUser(db, 'alice@example.com');
    const org = await completeFirstRunSetup(db, { userId: alice, organizationName: 'Acme Security' });
    expect(org.slug).toBe('acme-security');
    expect(await db.prisma.organization.count()).toBe(1);
    expect(await needsFirstRunSetup(db)).toBe(false);
    expect(await listMemberships(db, alice)).toEqual([
      {
        organizationId: org.id,
        organizationName: 'Acme Security',
        organizationSlug: 'acme-security',
        role: 'admin',
      },
    ]);
    expect((await listEnvironments(db, org.id)).map((e) => e.name)).toEqual(['staging', 'production']);
    const audit = await db.prisma.auditLog.findFirst({ where: { action: 'setup.first_admin' } });
    expect(audit?.actorUserId).toBe(alice);

    const mallory = await addUser(db, 'mallory@example.com');
    await expect(
      completeFirstRunSetup(db, { userId: mallory, organizationName: 'Evil' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // The seed still recognises the adopted organisation.
    expect((await seedDemo(db, seedInput)).createdVersion).toBe(false);
  });

  it('concurrent first-run setups make exactly one admin', async () => {
    const other = await createTestDatabase('setup_race');
    await migrateDatabase(other.url);
    const raceDb = createDb(other.url);
    try {
      const users = await Promise.all(['a@x.io', 'b@x.io', 'c@x.io'].map((e) => addUser(raceDb, e)));
      const results = await Promise.allSettled(
        users.map((userId, i) => completeFirstRunSetup(raceDb, { userId, organizationName: `Org ${i}` })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await raceDb.prisma.membership.count({ where: { role: 'admin' } })).toBe(1);
    } finally {
      await raceDb.close();
      await other.drop();
    }
  });

  it('numbers versions consecutively and never activates a draft', async () => {
    const set = await db.prisma.ruleSet.findFirstOrThrow({ select: { id: true, organizationId: true } });
    const staging = await db.prisma.environment.findFirstOrThrow({
      where: { organizationId: set.organizationId, name: 'staging' },
    });
    const base = { ruleSetId: set.id, files: RULES, authorId: null, diagnostics: [], summary: {} };
    const [v2, v3] = await Promise.all([
      createRuleSetVersion(db, { ...base, message: 'two', status: 'valid' }, {}),
      createRuleSetVersion(db, { ...base, message: 'three', status: 'draft' }, {}),
    ]);
    expect([v2.number, v3.number].sort()).toEqual([2, 3]);
    const draft = v2.status === 'draft' ? v2 : v3;
    const valid = v2.status === 'valid' ? v2 : v3;
    await expect(
      activateVersion(db, { environmentId: staging.id, versionId: draft.id, action: 'activate' }, {}),
    ).rejects.toMatchObject({ code: 'INVALID' });
    await activateVersion(db, { environmentId: staging.id, versionId: valid.id, action: 'activate' }, {});
    const active = await db.prisma.activation.findFirst({
      where: { environmentId: staging.id, ruleSetId: set.id },
      orderBy: { createdAt: 'desc' },
    });
    expect(active?.versionId).toBe(valid.id);
    await expect(
      createRuleSetVersion(
        db,
        { ...base, files: [RULES[0]!, RULES[0]!], message: 'dup', status: 'valid' },
        {},
      ),
    ).rejects.toMatchObject({ code: 'INVALID' });
  });
});

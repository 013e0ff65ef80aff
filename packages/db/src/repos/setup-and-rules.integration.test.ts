import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import {
  completeFirstRunSetup,
  listEnvironments,
  listMemberships,
  needsFirstRunSetup,
} from './organizations.js';
import { activateVersion, createRuleSetVersion } from './rule-sets.js';
import { seedDemo } from './seed.js';
import { issueSetupToken } from './web-setup.js';

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
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    handle = await createMigratedTestDatabase('repos');
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

  it('refuses setup without a valid token: none, a guessed one, an expired one', async () => {
    const eve = await addUser(db, 'eve@example.com');
    const expired = await issueSetupToken(db, { now: new Date(Date.now() - 2 * 86_400_000) });
    expect(expired).not.toBeNull();
    for (const setupToken of ['', 'guessed-token', expired?.token ?? '']) {
      await expect(
        completeFirstRunSetup(db, { userId: eve, organizationName: 'Eve Corp', setupToken }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await needsFirstRunSetup(db)).toBe(true);
    await db.prisma.user.delete({ where: { id: eve } });
  });

  it('the first admin adopts the seeded organisation; a second setup is refused', async () => {
    expect(await needsFirstRunSetup(db)).toBe(true);
    // Two console processes (or two starts) each print a token: either opens setup.
    const [first, second] = [await issueSetupToken(db), await issueSetupToken(db)];
    expect(first?.token).not.toBe(second?.token);
    // Expired tokens are pruned when a new one is issued; only hashes are stored.
    const stored = await db.prisma.setupToken.findMany({ select: { tokenHash: true } });
    expect(stored).toHaveLength(2);
    expect(stored.some((row) => row.tokenHash === first?.token)).toBe(false);
    const alice = await addUser(db, 'alice@example.com');
    const org = await completeFirstRunSetup(db, {
      userId: alice,
      organizationName: 'Acme Security',
      setupToken: second?.token ?? '',
    });
    // One-time: every token is gone, and no new one is issued once an admin exists.
    expect(await db.prisma.setupToken.count()).toBe(0);
    expect(await issueSetupToken(db)).toBeNull();
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
      completeFirstRunSetup(db, {
        userId: mallory,
        organizationName: 'Evil',
        setupToken: first?.token ?? '',
      }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // The seed still recognises the adopted organisation.
    expect((await seedDemo(db, seedInput)).createdVersion).toBe(false);
  });

  it('concurrent first-run setups make exactly one admin', async () => {
    const other = await createMigratedTestDatabase('setup_race');
    const raceDb = createDb(other.url);
    try {
      const users = await Promise.all(['a@x.io', 'b@x.io', 'c@x.io'].map((e) => addUser(raceDb, e)));
      const issued = await issueSetupToken(raceDb);
      const setupToken = issued?.token ?? '';
      const results = await Promise.allSettled(
        users.map((userId, i) =>
          completeFirstRunSetup(raceDb, { userId, organizationName: `Org ${i}`, setupToken }),
        ),
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

/**
 * A version's rule tests (its tests/ files) gate activation and promotion: failing tests stop
 * both unless an admin gives a reason, which the audit log keeps; a rollback is never held back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { getDb } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const RULES = `- rule: Shadow read
  desc: the shadow file is opened
  condition: evt.type = openat and fd.name = /etc/shadow
  output: shadow read by %proc.name
  priority: WARNING
`;
const PASSING = `- test: cat reading shadow is caught
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect: [{rule: Shadow read, output: shadow read by cat}]
`;
const FAILING = `${PASSING}- test: passwd is caught too
  event: {evt.type: openat, fd.name: /etc/passwd, proc.name: cat}
  expect: [Shadow read]
`;

type Caller = ReturnType<typeof createCaller>;
let admin: Caller;
let author: Caller;
let organizationId: string;
let staging: string;
let production: string;
let ruleSetId: string;

beforeAll(async () => {
  const org = await createOrganization('Rule tests');
  organizationId = org.id;
  const a = await createUser('Tests admin');
  const w = await createUser('Tests author');
  await addMember(org.id, a.id, 'admin');
  await addMember(org.id, w.id, 'author');
  admin = createCaller(contextFor(a));
  author = createCaller(contextFor(w));
  const envs = await admin.environment.list();
  staging = envs.find((e) => e.name === 'staging')!.id;
  production = envs.find((e) => e.name === 'production')!.id;
  const created = await author.rules.createRuleSet({
    name: 'Tested rules',
    description: '',
    files: [
      { name: 'shadow.yaml', content: RULES },
      { name: 'tests/shadow.yaml', content: PASSING },
    ],
  });
  ruleSetId = created.ruleSet.id;
});

async function lastAudit(action: string) {
  return getDb(databaseUrl).prisma.auditLog.findFirst({
    where: { organizationId, action },
    orderBy: { id: 'desc' },
    select: { after: true },
  });
}

describe('rule tests gate activation and promotion', () => {
  it('activates and promotes a version whose tests pass, with no reason asked', async () => {
    const detail = await admin.rules.getRuleSet({ ruleSetId });
    const v1 = detail.versions[0]!.id;
    await admin.rules.activateVersion({ versionId: v1, environmentId: staging });
    await admin.rules.promoteVersion({
      versionId: v1,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
    });
    expect((await lastAudit('ruleset.promote'))?.after).not.toHaveProperty('failingTestsOverridden');
  });

  it('refuses a version whose tests fail, naming the first failure', async () => {
    const v2 = await author.rules.createVersion({
      ruleSetId,
      files: [
        { name: 'shadow.yaml', content: RULES },
        { name: 'tests/shadow.yaml', content: FAILING },
      ],
      message: 'a test that fails',
    });
    // The tests file is not a rules file: the version compiles.
    expect(v2.status).toBe('valid');
    // The review shows the outcome before anyone confirms.
    const preview = await admin.rules.previewPromotion({ versionId: v2.id, environmentId: staging });
    expect(preview.tests).toEqual({
      total: 2,
      passed: 1,
      failed: 1,
      problems: 0,
      failures: [
        {
          file: 'tests/shadow.yaml',
          line: 4,
          test: 'passwd is caught too',
          reasons: ["expected 'Shadow read' to fire; it did not"],
        },
      ],
    });
    const refused = admin.rules.activateVersion({ versionId: v2.id, environmentId: staging });
    await expect(refused).rejects.toThrow(
      "Version 2 fails 1 of 2 rule tests with Staging's overrides (tests/shadow.yaml:4 'passwd is caught too': expected 'Shadow read' to fire; it did not).",
    );
    expect(await appCodeOf(admin.rules.activateVersion({ versionId: v2.id, environmentId: staging }))).toBe(
      'CONFLICT',
    );
    // A reason too short to say anything is refused as input.
    await expect(
      admin.rules.activateVersion({ versionId: v2.id, environmentId: staging, overrideFailingTests: 'ok' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('lets an admin activate and promote anyway with a reason, which the audit log keeps', async () => {
    const detail = await admin.rules.getRuleSet({ ruleSetId });
    const v2 = detail.versions.find((v) => v.number === 2)!.id;
    const reason = 'passwd coverage comes in the next version';
    await admin.rules.activateVersion({
      versionId: v2,
      environmentId: staging,
      overrideFailingTests: reason,
    });
    expect((await lastAudit('ruleset.activate'))?.after).toMatchObject({
      number: 2,
      failingTestsOverridden: { reason, failing: 1, total: 2 },
    });
    await expect(
      admin.rules.promoteVersion({ versionId: v2, fromEnvironmentId: staging, toEnvironmentId: production }),
    ).rejects.toThrow(/fails 1 of 2 rule tests with Production's overrides/);
    await admin.rules.promoteVersion({
      versionId: v2,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
      overrideFailingTests: reason,
    });
    expect((await lastAudit('ruleset.promote'))?.after).toMatchObject({
      failingTestsOverridden: { reason, failing: 1, total: 2 },
    });
  });

  it('never holds back a rollback, even to a version whose tests fail', async () => {
    const v3 = await author.rules.createVersion({
      ruleSetId,
      files: [
        { name: 'shadow.yaml', content: RULES },
        { name: 'tests/shadow.yaml', content: PASSING },
      ],
      message: 'tests fixed',
    });
    await admin.rules.activateVersion({ versionId: v3.id, environmentId: staging });
    await admin.rules.promoteVersion({
      versionId: v3.id,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
    });
    const detail = await admin.rules.getRuleSet({ ruleSetId });
    const v2 = detail.versions.find((v) => v.number === 2)!.id;
    const rolled = await admin.rules.rollbackVersion({ versionId: v2, environmentId: production });
    expect(rolled).toMatchObject({ action: 'rollback', number: 2 });
    expect((await lastAudit('ruleset.rollback'))?.after).not.toHaveProperty('failingTestsOverridden');
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { getDb, provisionOrganizationDefaults } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { defaultRuleSet } = await import('../../services/organization/default-rules');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const CLOUDTRAIL = 'peregrine_aws_cloudtrail_rules.yaml';
const OKTA = 'peregrine_okta_rules.yaml';

type Caller = ReturnType<typeof createCaller>;
let author: Caller;
let viewer: Caller;
let ruleSetId: string;

/** A rule item of a rules file, from its `- rule:` line to the next top-level item. */
function dropRule(content: string, name: string): string {
  const start = content.indexOf(`- rule: ${name}\n`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const next = content.indexOf('\n- ', start + 1);
  return content.slice(0, start) + (next < 0 ? '' : content.slice(next + 1));
}

beforeAll(async () => {
  const org = await createOrganization('Defaults update');
  const [a, v] = [await createUser('Defaults author'), await createUser('Defaults viewer')];
  await addMember(org.id, a.id, 'author');
  await addMember(org.id, v.id, 'viewer');
  author = createCaller(contextFor(a));
  viewer = createCaller(contextFor(v));
  // As every organisation starts: this release's defaults as version 1, active everywhere.
  const seeded = await provisionOrganizationDefaults(getDb(databaseUrl), org.id, await defaultRuleSet());
  ruleSetId = seeded.ruleSetId;
});

describe("taking a newer release's default rules", () => {
  it('says nothing while the default rule set holds the shipped files as they are', async () => {
    expect(await viewer.rules.getDefaultsUpdate({ ruleSetId })).toBeNull();
    expect((await viewer.rules.listRuleSets()).map((s) => s.newerDefaults)).toEqual([false]);
  });

  it('names the files and rules a newer release changes, and saves them as a version that activates nowhere', async () => {
    const shipped = (await defaultRuleSet()).files;
    // The rule set as an organisation created by an older release holds it: one rule it did not
    // ship yet, one described otherwise, no Okta file; and a file of the organisation's own.
    const v1 = await viewer.rules.getVersion({
      versionId: (await viewer.rules.getRuleSet({ ruleSetId })).versions[0]!.id,
    });
    const older = v1.files
      .filter((f) => f.name !== OKTA)
      .map((f) =>
        f.name === CLOUDTRAIL
          ? {
              name: f.name,
              content: dropRule(f.content, 'AWS Root User Activity').replace(
                'A trail stopped recording or was deleted.',
                'A trail stopped.',
              ),
            }
          : f,
      );
    const own = {
      name: 'zz_local.yaml',
      content:
        '- list: allowed_internet_facing_security_groups\n  items: [sg-0abc]\n  override:\n    items: replace\n',
    };
    const v2 = await author.rules.createVersion({
      ruleSetId,
      files: [...older, own],
      message: 'as an older release shipped',
    });
    expect(v2.status).toBe('valid');

    const update = await viewer.rules.getDefaultsUpdate({ ruleSetId });
    // The rule sets list says so too, on the default rule set.
    expect((await viewer.rules.listRuleSets()).find((s) => s.id === ruleSetId)?.newerDefaults).toBe(true);
    expect(update).toMatchObject({ basedOn: { versionId: v2.id, number: 2 } });
    expect(update?.release).toMatch(/^[0-9a-f]{16}$/);
    expect(update?.files.map((f) => [f.name, f.change])).toEqual(
      [
        [OKTA, 'added'],
        [CLOUDTRAIL, 'changed'],
      ].sort((x, y) => shipped.findIndex((f) => f.name === x[0]) - shipped.findIndex((f) => f.name === y[0])),
    );
    expect(update?.files.find((f) => f.name === CLOUDTRAIL)).toMatchObject({
      added: ['rule: AWS Root User Activity'],
      removed: [],
      changed: ['rule: CloudTrail Trail Stopped or Deleted'],
    });
    expect(update?.files.find((f) => f.name === OKTA)?.added).toContain(
      'rule: Detecting unknown logins using geolocation in Okta',
    );

    // A viewer may look, not take; an update shown against an older head is refused.
    expect(await appCodeOf(viewer.rules.takeDefaultsUpdate({ ruleSetId, basedOnVersionId: v2.id }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    expect(await appCodeOf(author.rules.takeDefaultsUpdate({ ruleSetId, basedOnVersionId: v1.id }))).toBe(
      'CONFLICT',
    );

    const taken = await author.rules.takeDefaultsUpdate({ ruleSetId, basedOnVersionId: v2.id });
    expect(taken).toMatchObject({ number: 3, status: 'valid' });
    expect(taken.message).toBe(
      `Peregrine default rules updated (${CLOUDTRAIL}, ${OKTA}): 7 added, 1 changed, 0 removed`,
    );
    const v3 = await viewer.rules.getVersion({ versionId: taken.id });
    // The shipped files in place of the old copies, the organisation's own file kept, Okta last.
    expect(v3.files.map((f) => f.name)).toEqual([...older.map((f) => f.name), own.name, OKTA]);
    for (const f of shipped) expect(v3.files.find((g) => g.name === f.name)?.content).toBe(f.content);
    expect(v3.files.find((f) => f.name === own.name)?.content).toBe(own.content);
    // Activates nowhere: every environment still runs version 1.
    const detail = await viewer.rules.getRuleSet({ ruleSetId });
    expect(detail.environments.map((e) => e.active?.number)).toEqual([1, 1]);
    expect(await viewer.rules.getDefaultsUpdate({ ruleSetId })).toBeNull();
    expect((await viewer.rules.listRuleSets()).find((s) => s.id === ruleSetId)?.newerDefaults).toBe(false);
    expect(await appCodeOf(author.rules.takeDefaultsUpdate({ ruleSetId, basedOnVersionId: taken.id }))).toBe(
      'CONFLICT',
    );
  });

  it('is about the default rule set only', async () => {
    const other = await author.rules.createRuleSet({
      name: 'Our own rules',
      description: '',
      files: [{ name: CLOUDTRAIL, content: '- list: x\n  items: [a]\n' }],
    });
    expect(await viewer.rules.getDefaultsUpdate({ ruleSetId: other.ruleSet.id })).toBeNull();
  });
});

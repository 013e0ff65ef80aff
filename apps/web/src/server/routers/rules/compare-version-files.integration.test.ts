import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const RULES = `- list: shell_binaries
  items: [bash, sh]
- rule: Shell spawned
  desc: a shell started
  condition: evt.type = execve and proc.name in (shell_binaries)
  output: shell started (command=%proc.cmdline)
  priority: WARNING
`;
const NETWORK = `- rule: Netcat run
  desc: netcat started
  condition: evt.type = execve and proc.name = nc
  output: netcat (command=%proc.cmdline)
  priority: NOTICE
`;
const MACROS = '- macro: never\n  condition: evt.num < 0\n';

type Caller = ReturnType<typeof createCaller>;
const as = {} as Record<'admin' | 'viewer' | 'otherAdmin', Caller>;
let staging: string;
let production: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  const orgA = await createOrganization('Compare A');
  const orgB = await createOrganization('Compare B');
  for (const role of ['admin', 'viewer'] as const) {
    const user = await createUser(`Compare ${role}`);
    await addMember(orgA.id, user.id, role);
    as[role] = createCaller(contextFor(user));
  }
  const other = await createUser('Compare other admin');
  await addMember(orgB.id, other.id, 'admin');
  as.otherAdmin = createCaller(contextFor(other));
  const envs = await as.viewer.environment.list();
  staging = envs.find((e) => e.name === 'staging')?.id as string;
  production = envs.find((e) => e.name === 'production')?.id as string;
  // v1: rules + macros. v2: rules changed, macros dropped, network added, tests unchanged order.
  const created = await as.admin.rules.createRuleSet({
    name: 'Compare',
    files: [
      { name: 'rules.yaml', content: RULES },
      { name: 'macros.yaml', content: MACROS },
    ],
  });
  v1 = created.version.id;
  v2 = (
    await as.admin.rules.createVersion({
      ruleSetId: created.ruleSet.id,
      files: [
        { name: 'rules.yaml', content: RULES.replace('[bash, sh]', '[bash, sh, zsh]') },
        { name: 'network.yaml', content: NETWORK },
      ],
      message: 'zsh, netcat',
    })
  ).id;
  await as.admin.rules.activateVersion({ versionId: v1, environmentId: production, comment: '' });
});

describe('rules.compareVersionFiles', () => {
  it("pairs each file with the one the environment runs: changed, added, and the running version's removed files", async () => {
    const diff = await as.viewer.rules.compareVersionFiles({ versionId: v2, environmentId: production });
    expect(diff.environment).toEqual({ id: production, displayName: 'Production' });
    expect(diff.before).toEqual({ versionId: v1, number: 1 });
    expect(diff.after).toEqual({ versionId: v2, number: 2 });
    expect(diff.files.map((f) => [f.name, f.change])).toEqual([
      ['rules.yaml', 'changed'],
      ['network.yaml', 'added'],
      ['macros.yaml', 'removed'],
    ]);
    const [rules, network, macros] = diff.files;
    expect(rules?.before).toBe(RULES);
    expect(rules?.after).toContain('items: [bash, sh, zsh]');
    expect(network).toMatchObject({ before: null, after: NETWORK });
    expect(macros).toMatchObject({ before: MACROS, after: null });
  });

  it('compares a rollback the other way round: the running version is the newer one', async () => {
    await as.admin.rules.activateVersion({ versionId: v2, environmentId: staging, comment: '' });
    const back = await as.viewer.rules.compareVersionFiles({ versionId: v1, environmentId: staging });
    expect(back.before).toEqual({ versionId: v2, number: 2 });
    expect(back.files.map((f) => [f.name, f.change])).toEqual([
      ['rules.yaml', 'changed'],
      ['macros.yaml', 'added'],
      ['network.yaml', 'removed'],
    ]);
    const same = await as.viewer.rules.compareVersionFiles({ versionId: v2, environmentId: staging });
    expect(same.files.every((f) => f.change === 'unchanged' && f.before === f.after)).toBe(true);
  });

  it('shows every file as new where nothing of the rule set runs', async () => {
    const fresh = await createOrganization('Compare fresh');
    const user = await createUser('Compare fresh admin');
    await addMember(fresh.id, user.id, 'admin');
    const caller = createCaller(contextFor(user));
    const envs = await caller.environment.list();
    const created = await caller.rules.createRuleSet({
      name: 'Fresh',
      files: [{ name: 'rules.yaml', content: RULES }],
    });
    const diff = await caller.rules.compareVersionFiles({
      versionId: created.version.id,
      environmentId: envs[0]?.id as string,
    });
    expect(diff.before).toBeNull();
    expect(diff.files).toEqual([{ name: 'rules.yaml', change: 'added', before: null, after: RULES }]);
  });

  it("answers NOT_FOUND for another organisation's version or environment", async () => {
    expect(
      await appCodeOf(as.otherAdmin.rules.compareVersionFiles({ versionId: v2, environmentId: production })),
    ).toBe('NOT_FOUND');
    const otherEnv = (await as.otherAdmin.environment.list())[0]?.id as string;
    expect(
      await appCodeOf(as.admin.rules.compareVersionFiles({ versionId: v2, environmentId: otherEnv })),
    ).toBe('NOT_FOUND');
    await expect(
      as.admin.rules.compareVersionFiles({ versionId: 'not-a-uuid', environmentId: production }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

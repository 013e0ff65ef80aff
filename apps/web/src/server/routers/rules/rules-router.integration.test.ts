import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { getDb, loadEnvironmentRules } = await import('@peregrine/db');
const { appRouter, createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const V1 = `- list: shell_binaries
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type = execve
- rule: Shell spawned
  desc: a shell started
  condition: spawned_process and proc.name in (shell_binaries)
  output: shell started (command=%proc.cmdline)
  priority: WARNING
`;
const V2 = `${V1.replace('priority: WARNING', 'priority: ERROR').replace('in (shell_binaries)', 'in (shell_binaries) and user.name != root')}- rule: Netcat run
  desc: netcat started
  condition: spawned_process and proc.name = nc
  output: netcat (command=%proc.cmdline)
  priority: NOTICE
`;
const BROKEN = V1.replace('proc.name in', 'proc.nmae in');

type Caller = ReturnType<typeof createCaller>;
let orgA: Awaited<ReturnType<typeof createOrganization>>;
let orgB: Awaited<ReturnType<typeof createOrganization>>;
const as = {} as Record<'admin' | 'author' | 'triager' | 'viewer' | 'otherAdmin', Caller>;
let userIds: Record<string, string> = {};
let staging: string;
let production: string;
let ruleSetId: string;
let v1: string;
let v2: string;
let draft: string;
let alertId: string;

beforeAll(async () => {
  orgA = await createOrganization('Rules A');
  orgB = await createOrganization('Rules B');
  for (const role of ['admin', 'author', 'triager', 'viewer'] as const) {
    const user = await createUser(`Rules ${role}`);
    await addMember(orgA.id, user.id, role);
    as[role] = createCaller(contextFor(user));
    userIds = { ...userIds, [role]: user.id };
  }
  const other = await createUser('Other admin');
  await addMember(orgB.id, other.id, 'admin');
  as.otherAdmin = createCaller(contextFor(other));
  const envs = await as.viewer.environment.list();
  staging = envs.find((e) => e.name === 'staging')!.id;
  production = envs.find((e) => e.name === 'production')!.id;
  const alert = await getDb(databaseUrl).prisma.alert.create({
    data: {
      organizationId: orgA.id,
      environmentId: production,
      rule: 'Shell spawned',
      priority: 'warning',
      source: 'syscall',
      output: 'Shell spawned (proc=bash)',
      outputFields: { 'proc.name': 'bash' },
      tags: [],
      eventTime: new Date(),
      dedupKey: 'shell',
    },
    select: { id: true },
  });
  alertId = alert.id.toString();
});

async function auditActions(organizationId: string): Promise<string[]> {
  const rows = await getDb(databaseUrl).prisma.auditLog.findMany({
    where: { organizationId },
    orderBy: { id: 'asc' },
    select: { action: true },
  });
  return rows.map((r) => r.action);
}

describe('rule sets and versions', () => {
  it('starts empty and lets an author create a rule set whose first version compiles', async () => {
    expect(await as.viewer.rules.listRuleSets()).toEqual([]);
    const created = await as.author.rules.createRuleSet({
      name: 'Host rules',
      description: 'hosts',
      files: [{ name: 'host.yaml', content: V1 }],
    });
    ruleSetId = created.ruleSet.id;
    v1 = created.version.id;
    expect(created.version).toMatchObject({ number: 1, status: 'valid', message: 'Created rule set' });
    const [listed] = await as.viewer.rules.listRuleSets();
    expect(listed).toMatchObject({
      name: 'Host rules',
      versionCount: 1,
      latest: { number: 1, status: 'valid' },
    });
    expect(listed?.environments.map((e) => [e.name, e.number])).toEqual([
      ['staging', null],
      ['production', null],
    ]);
  });

  it('refuses a duplicate rule set name', async () => {
    expect(await appCodeOf(as.author.rules.createRuleSet({ name: 'Host rules' }))).toBe('CONFLICT');
  });

  it('creates a rule set from the starter rules that compile', async () => {
    const created = await as.author.rules.createRuleSet({ name: 'Starter' });
    expect(created.version.status).toBe('valid');
    expect(created.version.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('saves files that do not compile as a draft with the error position', async () => {
    const saved = await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'host.yaml', content: BROKEN }],
      message: 'typo',
    });
    draft = saved.id;
    expect(saved).toMatchObject({ number: 2, status: 'draft' });
    expect(saved.diagnostics.find((d) => d.severity === 'error')).toMatchObject({
      code: 'LOAD_ERR_COMPILE_CONDITION',
      file: 'host.yaml',
      line: 7,
      itemName: 'Shell spawned',
    });
    const detail = await as.viewer.rules.getVersion({ versionId: draft });
    expect(detail.files).toEqual([{ name: 'host.yaml', content: BROKEN }]);
    expect(detail.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  });

  it('saves a fixed version as valid and lists history with author and counts', async () => {
    const saved = await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'host.yaml', content: V2 }],
      message: 'stricter shells, netcat',
    });
    v2 = saved.id;
    expect(saved).toMatchObject({ number: 3, status: 'valid' });
    const detail = await as.viewer.rules.getRuleSet({ ruleSetId });
    expect(detail.versions.map((v) => [v.number, v.status, v.message, v.author?.name])).toEqual([
      [3, 'valid', 'stricter shells, netcat', 'Rules author'],
      [2, 'draft', 'typo', 'Rules author'],
      [1, 'valid', 'Created rule set', 'Rules author'],
    ]);
    expect(detail.versions[1]?.errorCount).toBeGreaterThan(0);
  });

  it('rejects duplicate file names and bad file names before the engine runs', async () => {
    const files = [
      { name: 'a.yaml', content: V1 },
      { name: 'a.yaml', content: V1 },
    ];
    expect(await appCodeOf(as.author.rules.createVersion({ ruleSetId, files, message: 'x' }))).toMatch(
      /untyped|BAD/,
    );
    await expect(
      as.author.rules.createVersion({ ruleSetId, files: [{ name: '../x.yaml', content: V1 }], message: 'x' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('activation, promotion and rollback', () => {
  it('never activates a draft', async () => {
    expect(
      await appCodeOf(as.admin.rules.activateVersion({ versionId: draft, environmentId: staging })),
    ).toBe('INVALID_INPUT');
  });

  it('activates version 1 in staging and promotes it to production', async () => {
    const activated = await as.admin.rules.activateVersion({ versionId: v1, environmentId: staging });
    expect(activated).toMatchObject({ action: 'activate', number: 1 });
    const preview = await as.admin.rules.previewPromotion({
      versionId: v1,
      environmentId: production,
      fromEnvironmentId: staging,
    });
    expect(preview.target.current).toBeNull();
    expect(preview.rules.added.map((r) => r.name)).toEqual(['Shell spawned']);
    expect(preview.compiles).toBe(true);
    const promoted = await as.admin.rules.promoteVersion({
      versionId: v1,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
      comment: 'first rollout',
    });
    expect(promoted).toMatchObject({ action: 'promote', number: 1 });
    // What the collector loads for production is now version 1.
    const loaded = await loadEnvironmentRules(getDb(databaseUrl), production);
    expect(loaded?.ruleSets.map((r) => r.versionNumber)).toEqual([1]);
  });

  it('refuses to promote a version that is not active in the source environment', async () => {
    expect(
      await appCodeOf(
        as.admin.rules.promoteVersion({
          versionId: v2,
          fromEnvironmentId: staging,
          toEnvironmentId: production,
        }),
      ),
    ).toBe('CONFLICT');
  });

  it('shows the diff of version 3 against production: added and changed rules with what changed', async () => {
    await as.admin.rules.activateVersion({ versionId: v2, environmentId: staging });
    const preview = await as.viewer.rules.previewPromotion({
      versionId: v2,
      environmentId: production,
      fromEnvironmentId: staging,
    });
    expect(preview.target.current).toMatchObject({ number: 1 });
    expect(preview.rules.added.map((r) => r.name)).toEqual(['Netcat run']);
    expect(preview.rules.removed).toEqual([]);
    expect(preview.rules.changed).toHaveLength(1);
    expect(preview.rules.changed[0]).toMatchObject({ name: 'Shell spawned' });
    expect(preview.rules.changed[0]?.changes.sort()).toEqual(['condition', 'priority']);
    await as.admin.rules.promoteVersion({
      versionId: v2,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
    });
  });

  it('rolls production back to version 1 but not forward', async () => {
    expect(
      await appCodeOf(as.admin.rules.rollbackVersion({ versionId: v2, environmentId: production })),
    ).toBe('INVALID_INPUT');
    const rolled = await as.admin.rules.rollbackVersion({
      versionId: v1,
      environmentId: production,
      comment: 'noisy',
    });
    expect(rolled).toMatchObject({ action: 'rollback', number: 1 });
    const detail = await as.viewer.rules.getRuleSet({ ruleSetId });
    expect(detail.environments.map((e) => [e.environmentName, e.active?.number, e.active?.action])).toEqual([
      ['staging', 3, 'activate'],
      ['production', 1, 'rollback'],
    ]);
    expect(detail.activations[0]).toMatchObject({
      action: 'rollback',
      environmentName: 'production',
      comment: 'noisy',
    });
    expect(detail.activations.find((a) => a.action === 'promote')?.fromEnvironmentName).toBe('staging');
  });

  it('audit-logs versions and activations', async () => {
    const actions = await auditActions(orgA.id);
    expect(actions).toEqual(
      expect.arrayContaining([
        'ruleset.create',
        'ruleset.version.create',
        'ruleset.activate',
        'ruleset.promote',
        'ruleset.rollback',
      ]),
    );
  });
});

describe('environment overrides', () => {
  it('shows base values of the active version with no overrides', async () => {
    const layers = await as.viewer.rules.getEnvironmentLayers({ ruleSetId, environmentId: production });
    expect(layers.active).toMatchObject({ number: 1 });
    const list = layers.items.find((i) => i.kind === 'list' && i.name === 'shell_binaries');
    expect(list).toMatchObject({ base: ['bash', 'sh'], override: null, usedBy: ['Shell spawned'] });
    const macro = layers.items.find((i) => i.name === 'spawned_process');
    expect(macro?.usedBy).toEqual(['Shell spawned']);
  });

  it('saves a list override in production only, audit-logged, and the collector sees it', async () => {
    const result = await as.author.rules.saveOverride({
      ruleSetId,
      environmentId: production,
      change: { kind: 'list', name: 'shell_binaries', items: ['bash', 'sh', 'zsh'] },
    });
    expect(result.saved).toBe(true);
    const prod = await as.viewer.rules.getEnvironmentLayers({ ruleSetId, environmentId: production });
    expect(prod.items.find((i) => i.name === 'shell_binaries')?.override?.value).toEqual([
      'bash',
      'sh',
      'zsh',
    ]);
    const stage = await as.viewer.rules.getEnvironmentLayers({ ruleSetId, environmentId: staging });
    expect(stage.items.find((i) => i.name === 'shell_binaries')?.override).toBeNull();
    const loaded = await loadEnvironmentRules(getDb(databaseUrl), production);
    expect(loaded?.ruleSets[0]?.overrides).toEqual([
      {
        kind: 'list',
        name: 'shell_binaries',
        items: ['bash', 'sh', 'zsh'],
        condition: null,
        rule: null,
        exception: null,
      },
    ]);
    expect(await auditActions(orgA.id)).toContain('override.create');
  });

  it('refuses a macro override that does not compile, with the engine diagnostics, and stores nothing', async () => {
    const result = await as.author.rules.saveOverride({
      ruleSetId,
      environmentId: production,
      change: { kind: 'macro', name: 'spawned_process', condition: 'evt.typo = execve' },
    });
    expect(result.saved).toBe(false);
    expect(result.diagnostics.find((d) => d.severity === 'error')?.message).toContain('evt.typo');
    const layers = await as.viewer.rules.getEnvironmentLayers({ ruleSetId, environmentId: production });
    expect(layers.items.find((i) => i.name === 'spawned_process')?.override).toBeNull();
  });

  it('refuses an override of a list the active version does not define', async () => {
    expect(
      await appCodeOf(
        as.author.rules.saveOverride({
          ruleSetId,
          environmentId: production,
          change: { kind: 'list', name: 'nope', items: ['x'] },
        }),
      ),
    ).toBe('NOT_FOUND');
  });

  it('shows list overrides that differ between environments in the promotion diff', async () => {
    const preview = await as.viewer.rules.previewPromotion({
      versionId: v2,
      environmentId: production,
      fromEnvironmentId: staging,
    });
    expect(preview.overrides).toEqual([
      {
        kind: 'list',
        name: 'shell_binaries',
        base: ['bash', 'sh'],
        source: null,
        target: ['bash', 'sh', 'zsh'],
      },
    ]);
  });

  it('removes the override so the base applies again', async () => {
    const removed = await as.author.rules.removeOverride({
      ruleSetId,
      environmentId: production,
      kind: 'list',
      name: 'shell_binaries',
    });
    expect(removed.saved).toBe(true);
    expect(await auditActions(orgA.id)).toContain('override.delete');
    expect(
      await appCodeOf(
        as.author.rules.removeOverride({
          ruleSetId,
          environmentId: production,
          kind: 'list',
          name: 'shell_binaries',
        }),
      ),
    ).toBe('NOT_FOUND');
  });

  it('refuses to activate a version that breaks with the environment overrides', async () => {
    // Staging's override of a macro uses a helper macro; a later version drops the helper, so
    // that version plus staging's override no longer loads (production has no override).
    const withHelper = await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'host.yaml', content: `${V1}- macro: interactive\n  condition: proc.tty != 0\n` }],
      message: 'helper macro',
    });
    await as.admin.rules.activateVersion({ versionId: withHelper.id, environmentId: staging });
    const saved = await as.author.rules.saveOverride({
      ruleSetId,
      environmentId: staging,
      change: { kind: 'macro', name: 'spawned_process', condition: 'evt.type = execve and interactive' },
    });
    expect(saved.saved).toBe(true);
    const withoutHelper = await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'host.yaml', content: V1 }],
      message: 'drop the helper',
    });
    expect(withoutHelper.status).toBe('valid');
    expect(
      await appCodeOf(
        as.admin.rules.activateVersion({ versionId: withoutHelper.id, environmentId: staging }),
      ),
    ).toBe('INVALID_INPUT');
    await expect(
      as.admin.rules.activateVersion({ versionId: withoutHelper.id, environmentId: production }),
    ).resolves.toMatchObject({ action: 'activate' });
    await as.author.rules.removeOverride({
      ruleSetId,
      environmentId: staging,
      kind: 'macro',
      name: 'spawned_process',
    });
    await as.admin.rules.activateVersion({ versionId: v2, environmentId: staging });
    await as.admin.rules.rollbackVersion({ versionId: v1, environmentId: production });
  });
});

describe('access control for every rules procedure', () => {
  // Valid inputs for each procedure, so only the role or organisation check can refuse them.
  const inputs = (): Record<string, [minRole: 'viewer' | 'author' | 'admin', input: unknown]> => ({
    listRuleSets: ['viewer', undefined],
    getRuleSet: ['viewer', { ruleSetId }],
    getVersion: ['viewer', { versionId: v1 }],
    previewPromotion: ['viewer', { versionId: v2, environmentId: production, fromEnvironmentId: staging }],
    compareVersionFiles: ['viewer', { versionId: v2, environmentId: production }],
    getEnvironmentLayers: ['viewer', { ruleSetId, environmentId: production }],
    createRuleSet: ['author', { name: `Denied ${Math.random()}` }],
    createVersion: ['author', { ruleSetId, files: [{ name: 'a.yaml', content: V1 }], message: 'denied' }],
    saveOverride: [
      'author',
      {
        ruleSetId,
        environmentId: production,
        change: { kind: 'list', name: 'shell_binaries', items: ['x'] },
      },
    ],
    removeOverride: [
      'author',
      { ruleSetId, environmentId: production, kind: 'list', name: 'shell_binaries' },
    ],
    activateVersion: ['admin', { versionId: v1, environmentId: staging }],
    promoteVersion: ['admin', { versionId: v2, fromEnvironmentId: staging, toEnvironmentId: production }],
    rollbackVersion: ['admin', { versionId: v1, environmentId: staging }],
    getAlertTuning: ['viewer', { alertId }],
    previewAlertException: [
      'viewer',
      { alertId, name: 'x', items: [{ field: 'proc.name', comp: '=', value: 'bash' }] },
    ],
    addRuleTest: [
      'author',
      {
        ruleSetId,
        baseVersionId: v1,
        test: { name: 'denied', source: 'syscall', event: { 'proc.name': 'bash' }, expect: [] },
      },
    ],
    saveAlertException: [
      'author',
      {
        alertId,
        name: 'x',
        items: [{ field: 'proc.name', comp: '=', value: 'bash' }],
        target: { kind: 'version', ruleSetId, baseVersionId: v1 },
      },
    ],
    exportVersion: ['viewer', { versionId: v1, format: 'tar.gz' }],
    importFiles: [
      'author',
      {
        ruleSetId,
        message: 'denied',
        upload: { kind: 'folder', name: 'x', files: [{ path: 'a.yaml', content: V1 }] },
      },
    ],
    getGit: ['viewer', { ruleSetId }],
    saveGit: ['admin', { ruleSetId, url: 'https://git.example.com/rules.git', branch: 'main' }],
    pushVersion: ['author', { ruleSetId, versionId: v1 }],
    importBranch: ['author', { ruleSetId }],
    getDefaultsUpdate: ['viewer', { ruleSetId }],
    takeDefaultsUpdate: ['author', { ruleSetId, basedOnVersionId: v1 }],
  });
  const rank = { viewer: 0, triager: 1, author: 2, admin: 3 } as const;
  const call = (caller: Caller, name: string, input: unknown) =>
    (caller.rules as unknown as Record<string, (i: unknown) => Promise<unknown>>)[name]!(input);

  it('covers every procedure of the rules router', () => {
    const procedures = Object.keys(appRouter._def.procedures)
      .filter((path) => path.startsWith('rules.'))
      .map((path) => path.slice('rules.'.length));
    expect(Object.keys(inputs()).sort()).toEqual(procedures.sort());
  });

  for (const role of ['viewer', 'triager', 'author'] as const) {
    it(`denies the ${role} role every procedure above it`, async () => {
      for (const [name, [minRole, input]] of Object.entries(inputs())) {
        if (rank[role] >= rank[minRole]) continue;
        expect([name, await appCodeOf(call(as[role], name, input))]).toEqual([name, 'INSUFFICIENT_ROLE']);
      }
    });
  }

  it("hides organisation A's rule sets, versions and environments from organisation B's admin", async () => {
    expect(await as.otherAdmin.rules.listRuleSets()).toEqual([]);
    for (const [name, [, input]] of Object.entries(inputs())) {
      if (name === 'listRuleSets' || name === 'createRuleSet') continue;
      expect([name, await appCodeOf(call(as.otherAdmin, name, input))]).toEqual([name, 'NOT_FOUND']);
    }
  });

  it('denies a member of organisation B asking for organisation A', async () => {
    const other = await createUser('Sneaky');
    await addMember(orgB.id, other.id, 'admin');
    const sneaky = createCaller(contextFor(other, orgA.id));
    for (const [name, [, input]] of Object.entries(inputs())) {
      expect([name, await appCodeOf(call(sneaky, name, input))]).toEqual([name, 'NOT_A_MEMBER']);
    }
  });
});

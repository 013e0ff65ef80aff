import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const url = await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb } = await import('@peregrine/db');
const { prisma } = getDb(url);

const rule = (name: string, tags: string[], extra = '') => `- rule: ${name}
  desc: ${name}
  condition: evt.type = execve and proc.name = ${name.toLowerCase().replace(/\W+/g, '_')}
  output: ${name} (command=%proc.cmdline)
  priority: WARNING
  tags: [${tags.join(', ')}]
${extra}`;

const V1 = [
  rule('Shell in container', ['container', 'mitre_execution', 'T1059.004']),
  rule('Read shadow', ['host', 'mitre_credential_access', 'T1003.008']),
  rule('Switched off', ['mitre_privilege_escalation', 'T1611'], '  enabled: false\n'),
  rule('Listing files', ['mitre_discovery']),
  rule('No attack', ['host']),
].join('');
const V2 = `${V1}${rule('Escape', ['mitre_privilege_escalation', 'T1611'])}`;

type Caller = ReturnType<typeof createCaller>;
let org: Awaited<ReturnType<typeof createOrganization>>;
let viewer: Caller;
let outsider: Caller;
let stranger: Caller;
let staging: string;
let production: string;
const hour = 3_600_000;

async function insertAlert(
  environmentId: string,
  tags: string[],
  ageMs: number,
  rule = 'Shell in container',
) {
  await prisma.alert.create({
    data: {
      organizationId: org.id,
      environmentId,
      rule,
      priority: 'warning',
      source: 'syscall',
      output: `${rule} (command=bash)`,
      tags,
      eventTime: new Date(Date.now() - ageMs),
      dedupKey: `${rule}|${tags.join(',')}`,
    },
  });
}

beforeAll(async () => {
  org = await createOrganization('Attack A');
  const other = await createOrganization('Attack B');
  const [a, v, o, s] = await Promise.all([
    createUser('Attack Admin'),
    createUser('Attack Viewer'),
    createUser('Attack Outsider'),
    createUser('Attack Stranger'),
  ]);
  await addMember(org.id, a.id, 'admin');
  await addMember(org.id, v.id, 'viewer');
  await addMember(other.id, o.id, 'admin');
  const admin = createCaller(contextFor(a));
  viewer = createCaller(contextFor(v));
  outsider = createCaller(contextFor(o));
  stranger = createCaller(contextFor(s));
  const envs = await admin.environment.list();
  staging = envs.find((e) => e.name === 'staging')!.id;
  production = envs.find((e) => e.name === 'production')!.id;
  const created = await admin.rules.createRuleSet({
    name: 'Attack rules',
    description: '',
    files: [{ name: 'rules.yaml', content: V1 }],
  });
  const v2 = await admin.rules.createVersion({
    ruleSetId: created.ruleSet.id,
    files: [{ name: 'rules.yaml', content: V2 }],
    message: 'escape',
  });
  await admin.rules.activateVersion({ versionId: created.version.id, environmentId: staging });
  await admin.rules.activateVersion({ versionId: v2.id, environmentId: production });

  await insertAlert(production, ['container', 'mitre_execution', 'T1059', 'T1059.004'], 1 * hour);
  await insertAlert(production, ['container', 'mitre_execution', 'T1059', 'T1059.004'], 2 * hour);
  await insertAlert(production, ['mitre_execution', 'T1059'], 2 * 24 * hour);
  await insertAlert(production, ['mitre_execution', 'T1059'], 10 * 24 * hour);
  await insertAlert(production, ['host', 'T1003', 'T1003.008'], 3 * hour, 'Read shadow');
  await insertAlert(production, ['host'], 1 * hour, 'No attack');
  await insertAlert(staging, ['mitre_execution', 'T1059'], 1 * hour);
});

const cell = <C extends { id: string }>(cells: C[], id: string): C | undefined =>
  cells.find((c) => c.id === id);
const names = (c: { rules: { name: string }[] } | undefined) => c?.rules.map((r) => r.name);

describe('attack.getMatrix', () => {
  it('counts alerts per technique over the range, a sub-technique under its parent once per alert', async () => {
    const day = await viewer.attack.getMatrix({ environmentId: production, range: '24h' });
    expect(cell(day.techniques, 'T1059')).toMatchObject({ alerts: 2, alertTags: ['T1059', 'T1059.004'] });
    expect(cell(day.techniques, 'T1059.004')).toMatchObject({ alerts: 2, alertTags: ['T1059.004'] });
    expect(cell(day.techniques, 'T1003')).toMatchObject({ alerts: 1, alertTags: ['T1003', 'T1003.008'] });
    expect(cell(day.techniques, 'T1003.008')).toMatchObject({ alerts: 1 });
    expect(cell(day.tactics, 'TA0002')).toMatchObject({ alerts: 2, alertTags: ['mitre_execution'] });
    const week = await viewer.attack.getMatrix({ environmentId: production, range: '7d' });
    expect(cell(week.techniques, 'T1059')?.alerts).toBe(3);
    const month = await viewer.attack.getMatrix({ environmentId: production, range: '30d' });
    expect(cell(month.techniques, 'T1059')?.alerts).toBe(4);
    const custom = await viewer.attack.getMatrix({
      environmentId: production,
      range: null,
      from: new Date(Date.now() - 11 * 24 * hour).toISOString(),
      to: new Date(Date.now() - 24 * hour).toISOString(),
    });
    expect(cell(custom.techniques, 'T1059')?.alerts).toBe(2);
    expect(cell(custom.techniques, 'T1003')?.alerts).toBe(0);
    // Another environment's alerts are its own.
    const stagingDay = await viewer.attack.getMatrix({ environmentId: staging, range: '24h' });
    expect(cell(stagingDay.techniques, 'T1059')).toMatchObject({ alerts: 1, alertTags: ['T1059'] });
    expect(cell(stagingDay.techniques, 'T1003')?.alerts).toBe(0);
  });

  it('lists exactly the counted alerts when the alert list filters by the tags a cell gives', async () => {
    const day = await viewer.attack.getMatrix({ environmentId: production, range: '24h' });
    for (const id of ['T1059', 'T1003', 'TA0002']) {
      const c = cell([...day.techniques, ...day.tactics], id)!;
      const listed = await viewer.alerts.list({
        filter: { environment: 'production', anyTags: c.alertTags, range: '24h' },
        limit: 50,
      });
      expect(listed.rows.length, id).toBe(c.alerts);
    }
  });

  it('shows the coverage of the active enabled rules of each environment', async () => {
    const prod = await viewer.attack.getMatrix({ environmentId: production, range: '24h' });
    expect(prod.ruleSets).toEqual([{ name: 'Attack rules', versionNumber: 2 }]);
    expect(prod.activeRules).toBe(5);
    expect(prod.mappedRules).toBe(4);
    expect(names(cell(prod.techniques, 'T1059'))).toEqual(['Shell in container']);
    expect(names(cell(prod.techniques, 'T1059.004'))).toEqual(['Shell in container']);
    expect(names(cell(prod.techniques, 'T1003.008'))).toEqual(['Read shadow']);
    expect(cell(prod.techniques, 'T1611')?.rules).toEqual([
      { name: 'Escape', ruleSet: 'Attack rules', priority: 'warning', source: 'syscall' },
    ]);
    // A rule naming a tactic and no technique of it shows under the tactic.
    expect(names(cell(prod.tactics, 'TA0007'))).toEqual(['Listing files']);
    expect(names(cell(prod.tactics, 'TA0002'))).toEqual([]);

    const stage = await viewer.attack.getMatrix({ environmentId: staging, range: '24h' });
    expect(stage.ruleSets).toEqual([{ name: 'Attack rules', versionNumber: 1 }]);
    expect(stage.activeRules).toBe(4);
    // Only the disabled rule tags T1611 in staging's version: no coverage there.
    expect(cell(stage.techniques, 'T1611')).toBeUndefined();
  });

  it('refuses an environment of another organisation and a caller without one', async () => {
    expect(await appCodeOf(outsider.attack.getMatrix({ environmentId: production, range: '24h' }))).toBe(
      'NOT_FOUND',
    );
    expect(await appCodeOf(stranger.attack.getMatrix({ environmentId: production, range: '24h' }))).toBe(
      'NOT_A_MEMBER',
    );
    expect(
      await appCodeOf(
        viewer.attack.getMatrix({
          environmentId: production,
          range: null,
          from: new Date().toISOString(),
          to: new Date(Date.now() - hour).toISOString(),
        }),
      ),
    ).toBe('INVALID_INPUT');
  });
});

/**
 * Tuning from an alert (issue #14): a rule test made from the alert's stored event, and a Falco
 * exception proposed from its output fields, previewed against the stored alerts of the last N
 * days, saved as an environment override or into a new version, resolving what it matches.
 * Alerts are stored through the collector's own write path from events the engine evaluated.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { createCollectorStore, getDb, listEnvironmentOverrides, loadEnvironmentRules } = await import(
  '@peregrine/db'
);
const { environmentOverrides, load, loadWithOverrides, parseRuleTests } = await import('@peregrine/engine');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const RULES = `- rule: Exec into pod
  desc: someone opened a shell in a pod
  condition: ka.verb = create and ka.target.resource = pods and ka.target.subresource = exec
  output: Exec into pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s]
`;

type Caller = ReturnType<typeof createCaller>;
let admin: Caller;
let author: Caller;
let triager: Caller;
let viewer: Caller;
let organizationId: string;
let staging: string;
let production: string;
let ruleSetId: string;
let v1: string;
let n = 0;

/** A Kubernetes audit event of someone exec-ing into a pod. */
function execEvent(user: string, namespace: string, pod: string) {
  n++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: `audit-${n}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh`,
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    objectRef: { resource: 'pods', namespace, name: pod, subresource: 'exec', apiVersion: 'v1' },
    responseStatus: { code: 101 },
  };
}

/**
 * Evaluates the events with the rules and stores alerts and raw events as the collector does
 * (one statement through its store, raw events keyed like their alerts). Returns the alert ids.
 */
async function ingest(
  environmentId: string,
  events: { event: ReturnType<typeof execEvent>; ageHours: number }[],
  orgId = organizationId,
): Promise<string[]> {
  const ruleset = load([{ name: 'rules.yaml', content: RULES }]).ruleset;
  const store = createCollectorStore(databaseUrl, { max: 1 });
  try {
    const alerts = [];
    const rawEvents = [];
    for (const { event, ageHours } of events) {
      const eventTime = new Date(Date.now() - ageHours * 3_600_000);
      const ingestKey = `${event.auditID}/${event.stage}`;
      rawEvents.push({ source: 'k8s_audit', eventTime, payload: event, ingestKey });
      for (const a of ruleset.evaluate(event, 'k8s_audit')) {
        alerts.push({
          rule: a.rule,
          priority: a.priority.toLowerCase() as 'notice',
          source: a.source,
          output: a.output,
          outputFields: a.output_fields as Record<string, unknown>,
          tags: a.tags,
          hostname: null,
          eventTime,
          dedupKey: `${a.rule}/${event.user.username}`,
          ingestKey,
        });
      }
    }
    const result = await store.storeBatch({
      organizationId: orgId,
      environmentId,
      eventCount: events.length,
      alerts,
      rawEvents,
    });
    if (result.duplicate) throw new Error('duplicate batch');
    return result.stored.map((s) => s.id);
  } finally {
    await store.close();
  }
}

async function statuses(ids: string[]): Promise<string[]> {
  const rows = await getDb(databaseUrl).prisma.alert.findMany({
    where: { id: { in: ids.map((id) => BigInt(id)) } },
    orderBy: { id: 'asc' },
    select: { status: true },
  });
  return rows.map((r) => r.status);
}

/** Whether the rules active in production, with production's overrides, alert on the event. */
async function productionFires(event: object): Promise<boolean> {
  const rules = await loadEnvironmentRules(getDb(databaseUrl), production);
  const set = rules?.ruleSets.find((r) => r.ruleSetId === ruleSetId);
  if (!set) throw new Error('nothing active');
  const loaded = loadWithOverrides(set.files, environmentOverrides(set.overrides));
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return loaded.ruleset.evaluate(event, 'k8s_audit').length > 0;
}

let alice: ReturnType<typeof execEvent>;
let aliceAlert: string;
let ciAlerts: string[];
let ciOld: string;
let ciStaging: string;
let bobAlert: string;

beforeAll(async () => {
  const org = await createOrganization('Tuning');
  organizationId = org.id;
  const users = await Promise.all(
    ['Tuning admin', 'Tuning author', 'Tuning triager', 'Tuning viewer'].map((name) => createUser(name)),
  );
  const [a, w, t, v] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0], (typeof users)[0]];
  await addMember(org.id, a.id, 'admin');
  await addMember(org.id, w.id, 'author');
  await addMember(org.id, t.id, 'triager');
  await addMember(org.id, v.id, 'viewer');
  admin = createCaller(contextFor(a));
  author = createCaller(contextFor(w));
  triager = createCaller(contextFor(t));
  viewer = createCaller(contextFor(v));
  const envs = await admin.environment.list();
  staging = envs.find((e) => e.name === 'staging')!.id;
  production = envs.find((e) => e.name === 'production')!.id;
  const created = await author.rules.createRuleSet({
    name: 'Cluster rules',
    description: '',
    files: [{ name: 'k8s.yaml', content: RULES }],
  });
  ruleSetId = created.ruleSet.id;
  v1 = created.version.id;
  await admin.rules.activateVersion({ versionId: v1, environmentId: production });

  alice = execEvent('alice', 'default', 'web-1');
  [aliceAlert] = (await ingest(production, [{ event: alice, ageHours: 1 }])) as [string];
  // ci-bot in its namespaces: four within a week, one ten days ago; one in staging.
  ciAlerts = await ingest(production, [
    { event: execEvent('ci-bot', 'ci', 'runner-1'), ageHours: 2 },
    { event: execEvent('ci-bot', 'build', 'runner-2'), ageHours: 30 },
    { event: execEvent('ci-bot', 'ci', 'runner-3'), ageHours: 100 },
    { event: execEvent('ci-bot', 'ci', 'runner-4'), ageHours: 160 },
  ]);
  [ciOld] = (await ingest(production, [{ event: execEvent('ci-bot', 'ci', 'runner-0'), ageHours: 240 }])) as [
    string,
  ];
  [ciStaging] = (await ingest(staging, [{ event: execEvent('ci-bot', 'ci', 'runner-9'), ageHours: 1 }])) as [
    string,
  ];
  [bobAlert] = (await ingest(production, [{ event: execEvent('bob', 'ci', 'runner-1'), ageHours: 3 }])) as [
    string,
  ];
  // Another organisation's ci-bot alert of the same rule is never counted nor touched.
  const other = await createOrganization('Tuning neighbour');
  const otherProd = await getDb(databaseUrl).prisma.environment.findFirstOrThrow({
    where: { organizationId: other.id, name: 'production' },
  });
  await ingest(otherProd.id, [{ event: execEvent('ci-bot', 'ci', 'runner-1'), ageHours: 1 }], other.id);
});

describe('the alert detail', () => {
  it("carries the stored raw event of a cloud source's alert", async () => {
    const { alert } = await viewer.alerts.get({ id: aliceAlert });
    expect(alert.rawEvent).toMatchObject({ source: 'k8s_audit', payload: alice });
  });
});

describe('a rule test from an alert', () => {
  it('starts from the stored event, the rule that raised it and its message', async () => {
    const tuning = await author.rules.getAlertTuning({ alertId: aliceAlert });
    expect(tuning.alert).toMatchObject({
      id: aliceAlert,
      rule: 'Exec into pod',
      priority: 'notice',
      source: 'k8s_audit',
      message: 'Exec into pod (user=alice pod=web-1 ns=default)',
      environmentId: production,
    });
    expect(tuning.events.raw).toEqual(alice);
    expect(tuning.events.fields).toEqual({
      'ka.user.name': 'alice',
      'ka.target.name': 'web-1',
      'ka.target.namespace': 'default',
    });
    expect(tuning.ruleSetId).toBe(ruleSetId);
    expect(tuning.ruleSets).toEqual([
      {
        id: ruleSetId,
        name: 'Cluster rules',
        active: { versionId: v1, number: 1 },
        newest: null,
        definesRule: true,
      },
    ]);
    expect(tuning.comps).toContain('startswith');
  });

  it('saves the event and its expected alert into a new version, where the test passes', async () => {
    const tuning = await author.rules.getAlertTuning({ alertId: aliceAlert });
    const added = await author.rules.addRuleTest({
      ruleSetId,
      baseVersionId: v1,
      test: {
        name: `Exec into pod (alert ${aliceAlert})`,
        source: 'k8s_audit',
        event: tuning.events.raw!,
        expect: [{ rule: 'Exec into pod', priority: 'notice', output: tuning.alert.message }],
      },
      origin: `alert ${aliceAlert} in Production`,
      message: `Rule test from alert ${aliceAlert}`,
    });
    expect(added).toMatchObject({
      file: 'tests/alerts.yaml',
      name: `Exec into pod (alert ${aliceAlert})`,
      result: { passed: true, failures: [] },
      version: { number: 2, status: 'valid' },
    });
    const version = await author.rules.getVersion({ versionId: added.version.id });
    expect(version.files.map((f) => f.name)).toEqual(['k8s.yaml', 'tests/alerts.yaml']);
    const file = version.files[1]!;
    expect(file.content).toContain(
      `# alert ${aliceAlert} in Production\n- test: Exec into pod (alert ${aliceAlert})`,
    );
    expect(parseRuleTests(file).cases[0]?.event).toEqual(alice);
    // The stored verdict counts it: the version's tests pass, so activation is not held back.
    const stored = await getDb(databaseUrl).prisma.ruleSetVersion.findUniqueOrThrow({
      where: { id: added.version.id },
      select: { summary: true },
    });
    expect(stored.summary).toMatchObject({ tests: { total: 1, passed: 1, failed: 0 } });
  });

  it('appends a second case from the output fields expecting no alert, which fails as it should', async () => {
    const tuning = await author.rules.getAlertTuning({ alertId: aliceAlert });
    expect(tuning.ruleSets[0]?.newest).toMatchObject({ number: 2, status: 'valid' });
    const added = await author.rules.addRuleTest({
      ruleSetId,
      baseVersionId: tuning.ruleSets[0]!.newest!.versionId,
      test: {
        name: `Exec into pod (alert ${aliceAlert})`,
        source: 'k8s_audit',
        event: {
          ...tuning.events.fields,
          'ka.verb': 'create',
          'ka.target.resource': 'pods',
          'ka.target.subresource': 'exec',
        },
        expect: [],
      },
    });
    // The name is already in the file: made unique. The rule fires on the event: the case fails.
    expect(added.name).toBe(`Exec into pod (alert ${aliceAlert}) (2)`);
    expect(added.result).toEqual({
      passed: false,
      failures: ["'Exec into pod' fired, but the test does not expect it"],
    });
    expect(added.version.number).toBe(3);
  });

  it('is for authors, in their organisation', async () => {
    const input = {
      ruleSetId,
      baseVersionId: v1,
      test: { name: 'x', source: 'k8s_audit', event: alice, expect: [] },
    };
    expect(await appCodeOf(triager.rules.addRuleTest(input))).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(viewer.rules.addRuleTest(input))).toBe('INSUFFICIENT_ROLE');
    const outsider = await createOrganization('Tuning outsider');
    const stranger = await createUser('Tuning stranger');
    await addMember(outsider.id, stranger.id, 'admin');
    const foreign = createCaller(contextFor(stranger));
    expect(await appCodeOf(foreign.rules.addRuleTest(input))).toBe('NOT_FOUND');
    expect(await appCodeOf(foreign.rules.getAlertTuning({ alertId: aliceAlert }))).toBe('NOT_FOUND');
  });
});

describe('an exception from an alert', () => {
  const ciBot = {
    name: 'ci_bot_in_ci',
    items: [
      { field: 'ka.user.name', comp: '=' as const, value: 'ci-bot' },
      { field: 'ka.target.namespace', comp: 'in' as const, value: ['ci', 'build'] },
    ],
  };

  it('previews the alerts of the last N days it would have suppressed, in its environment only', async () => {
    const week = await viewer.rules.previewAlertException({ alertId: ciAlerts[0]!, ...ciBot, days: 7 });
    expect(week).toMatchObject({
      rule: 'Exec into pod',
      source: 'k8s_audit',
      days: 7,
      matched: 4,
      complete: true,
      suppressesThisAlert: true,
    });
    // alice, bob and the four ci-bot alerts of the week were read; the old one and staging's were not.
    expect(week.scanned).toBe(6);
    expect(week.alerts.map((a) => a.id)).toEqual(ciAlerts);
    expect(week.yaml).toBe(
      '- rule: Exec into pod\n  exceptions:\n    - name: ci_bot_in_ci\n      fields:\n        - ka.user.name\n        - ka.target.namespace\n      comps:\n        - =\n        - in\n      values:\n        - - ci-bot\n          - - ci\n            - build\n  override:\n    exceptions: append\n',
    );
    const month = await viewer.rules.previewAlertException({ alertId: ciAlerts[0]!, ...ciBot, days: 30 });
    expect(month.matched).toBe(5);
    expect(month.alerts.map((a) => a.id)).toEqual([...ciAlerts, ciOld]);
    expect(month.alerts.map((a) => a.id)).not.toContain(ciStaging);
    // Narrower: only the `ci` namespace.
    const ciOnly = await viewer.rules.previewAlertException({
      alertId: ciAlerts[0]!,
      name: 'ci_bot',
      items: [{ field: 'ka.target.namespace', comp: '=', value: 'ci' }],
      days: 7,
    });
    expect(ciOnly.alerts.map((a) => a.id).sort()).toEqual(
      [ciAlerts[0], ciAlerts[2], ciAlerts[3], bobAlert].sort(),
    );
  });

  it('refuses what Falco could not load, with the reason', async () => {
    const bad = viewer.rules.previewAlertException({
      alertId: ciAlerts[0]!,
      name: 'bad',
      items: [{ field: 'ka.nosuch', comp: '=', value: 'x' }],
    });
    expect(await appCodeOf(bad)).toBe('INVALID_INPUT');
    await expect(bad).rejects.toThrow(/does not compile/);
  });

  it('saves as a production override, resolves what it matched, and production stops alerting', async () => {
    await triager.alerts.triage({ target: { ids: [ciAlerts[1]!] }, status: 'false_positive' });
    expect(await productionFires(execEvent('ci-bot', 'ci', 'runner-7'))).toBe(true);
    expect(
      await appCodeOf(
        triager.rules.saveAlertException({
          alertId: ciAlerts[0]!,
          ...ciBot,
          target: { kind: 'override' },
        }),
      ),
    ).toBe('INSUFFICIENT_ROLE');

    const saved = await author.rules.saveAlertException({
      alertId: ciAlerts[0]!,
      ...ciBot,
      target: { kind: 'override' },
      resolveDays: 7,
    });
    expect(saved.saved).toEqual({ kind: 'override', ruleSetId, environmentId: production });
    // Three of the week's four were open; the false positive stays one; the old one stays open.
    expect(saved.resolved).toEqual({ updated: 3, unchanged: 0 });
    expect(await statuses(ciAlerts)).toEqual(['resolved', 'false_positive', 'resolved', 'resolved']);
    expect(await statuses([ciOld, ciStaging, aliceAlert, bobAlert])).toEqual([
      'open',
      'open',
      'open',
      'open',
    ]);

    // What the collector loads for production suppresses ci-bot's event and nothing else.
    expect(await productionFires(execEvent('ci-bot', 'ci', 'runner-7'))).toBe(false);
    expect(await productionFires(execEvent('ci-bot', 'default', 'web-2'))).toBe(true);
    expect(await productionFires(alice)).toBe(true);

    const [row] = await listEnvironmentOverrides(getDb(databaseUrl), { organizationId, ruleSetId });
    expect(row).toMatchObject({
      environmentId: production,
      kind: 'exception',
      name: 'ci_bot_in_ci',
      rule: 'Exec into pod',
      exception: ciBot.items,
    });
    const layers = await viewer.rules.getEnvironmentLayers({ ruleSetId, environmentId: production });
    expect(layers.exceptions).toEqual([
      expect.objectContaining({ name: 'ci_bot_in_ci', rule: 'Exec into pod', yaml: saved.yaml }),
    ]);
    expect(layers.orphans).toEqual([]);

    const { prisma } = getDb(databaseUrl);
    const audit = await prisma.auditLog.findMany({
      where: { organizationId, action: { in: ['override.create', 'alert.status_changed'] } },
      orderBy: { id: 'asc' },
      select: { action: true, after: true },
    });
    expect(audit.map((a) => a.action)).toEqual([
      'alert.status_changed',
      'override.create',
      'alert.status_changed',
    ]);
    expect(audit[1]?.after).toMatchObject({ kind: 'exception', rule: 'Exec into pod' });
    expect(audit[2]?.after).toEqual({ status: 'resolved', count: 3 });
    const activities = await prisma.alertActivity.count({
      where: { alertId: { in: ciAlerts.map((id) => BigInt(id)) }, action: 'status_changed' },
    });
    expect(activities).toBe(4);
  });

  it('is removed like any override, and production alerts on ci-bot again', async () => {
    const removed = await author.rules.removeOverride({
      ruleSetId,
      environmentId: production,
      kind: 'exception',
      name: 'ci_bot_in_ci',
    });
    expect(removed.saved).toBe(true);
    expect(await productionFires(execEvent('ci-bot', 'ci', 'runner-7'))).toBe(true);
  });

  it('saves into a new version based on the active one, whose rules load and suppress the event', async () => {
    const bob = {
      name: 'bob_runner_1',
      items: [
        { field: 'ka.user.name', comp: '=' as const, value: 'bob' },
        { field: 'ka.target.name', comp: 'startswith' as const, value: 'runner-' },
      ],
    };
    const preview = await viewer.rules.previewAlertException({ alertId: bobAlert, ...bob, days: 7 });
    expect([preview.matched, preview.alerts.map((a) => a.id)]).toEqual([1, [bobAlert]]);
    const saved = await author.rules.saveAlertException({
      alertId: bobAlert,
      ...bob,
      target: { kind: 'version', ruleSetId, baseVersionId: v1 },
      resolveDays: null,
    });
    expect(saved.saved).toMatchObject({ kind: 'version', ruleSetId, number: 4, file: 'exceptions.yaml' });
    expect(saved.resolved).toBeNull();
    expect(await statuses([bobAlert])).toEqual(['open']);
    if (saved.saved.kind !== 'version') throw new Error('not a version');
    const version = await viewer.rules.getVersion({ versionId: saved.saved.versionId });
    expect(version.status).toBe('valid');
    expect(version.files.map((f) => f.name)).toEqual(['k8s.yaml', 'exceptions.yaml']);
    expect(version.files[1]?.content).toContain(
      `# bob_runner_1: from alert ${bobAlert} in Production\n${saved.yaml}`,
    );
    // Plain Falco YAML: the version's files load as they are and the exception takes bob's event.
    const loaded = load(version.files);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.ruleset.evaluate(execEvent('bob', 'ci', 'runner-5'), 'k8s_audit')).toEqual([]);
    expect(loaded.ruleset.evaluate(execEvent('bob', 'ci', 'web-1'), 'k8s_audit')).toHaveLength(1);
    // Nothing changed in production until the version is activated.
    expect(await productionFires(execEvent('bob', 'ci', 'runner-5'))).toBe(true);
  });

  it('needs a rule set active in the environment that defines the rule to save an override', async () => {
    const { prisma } = getDb(databaseUrl);
    const orphan = await prisma.alert.create({
      data: {
        organizationId,
        environmentId: staging,
        rule: 'Exec into pod',
        priority: 'notice',
        source: 'k8s_audit',
        output: 'Exec into pod (user=dave pod=x ns=y)',
        outputFields: { 'ka.user.name': 'dave' },
        tags: [],
        eventTime: new Date(),
        dedupKey: 'dave',
      },
      select: { id: true },
    });
    const attempt = author.rules.saveAlertException({
      alertId: orphan.id.toString(),
      name: 'dave',
      items: [{ field: 'ka.user.name', comp: '=', value: 'dave' }],
      target: { kind: 'override' },
    });
    expect(await appCodeOf(attempt)).toBe('CONFLICT');
    await expect(attempt).rejects.toThrow(/No rule set active in Staging defines 'Exec into pod'/);
  });

  it('counts every match across scan pages and lists the newest fifty', async () => {
    // 1,200 alerts (more than a scan page) in 150 distinct contents: 8 pods x 150 namespaces.
    const events = Array.from({ length: 1200 }, (_, i) => ({
      event: execEvent('deploy-bot', `deploy-${i % 150}`, `pod-${i % 8}`),
      ageHours: 1 + i / 100,
    }));
    const ids = await ingest(production, events);
    const preview = await viewer.rules.previewAlertException({
      alertId: ids[0]!,
      name: 'deploy_bot_pod_3',
      items: [
        { field: 'ka.user.name', comp: '=', value: 'deploy-bot' },
        { field: 'ka.target.name', comp: 'endswith', value: '-3' },
      ],
      days: 7,
    });
    expect(preview.matched).toBe(150);
    expect(preview.scanned).toBeGreaterThan(1200);
    expect(preview.complete).toBe(true);
    expect(preview.alerts.map((a) => a.id)).toEqual(ids.filter((_, i) => i % 8 === 3).slice(0, 50));
  });
});

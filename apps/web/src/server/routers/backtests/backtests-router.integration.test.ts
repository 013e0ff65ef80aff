import type { BacktestResult } from '@peregrine/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { createBacktestStore, getDb } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const V1 = `- list: admins
  items: [alice]
- rule: Secret read
  desc: a person read a secret
  condition: ka.verb = get and ka.target.resource = secrets and not ka.user.name in (admins)
  output: secret read by %ka.user.name
  priority: WARNING
  source: k8s_audit
`;
const V2 = `${V1}- rule: Pod deleted
  desc: a pod was deleted
  condition: ka.verb = delete and ka.target.resource = pods
  output: pod %ka.target.name deleted
  priority: NOTICE
  source: k8s_audit
`;
const BROKEN = V1.replace('ka.verb = get', 'ka.vrb = get');

/** What the collector's runner writes at a checkpoint (packages/protocol BacktestResult). */
const partial = (events: number): BacktestResult => ({
  tally: {
    events,
    unchanged: events - 3,
    activeAlerts: 1,
    draftAlerts: 3,
    failed: 0,
    rules: [
      { rule: 'Pod deleted', added: 2, removed: 0, unchanged: 0, addedSamples: 1, removedSamples: 0 },
      { rule: 'Secret read', added: 0, removed: 0, unchanged: 1, addedSamples: 0, removedSamples: 0 },
    ],
  },
  raw: { events },
  alerts: { events: 0, alerts: 0, comparable: 0, reproduced: 0 },
  skipped: { events: 0, sources: [] },
  sources: ['k8s_audit'],
  rules: { active: 1, draft: 2, distinctConditions: 2 },
});
const LEASE = { staleMs: 60_000, maxAttempts: 3 };
const RANGE = { from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' };

type Caller = ReturnType<typeof createCaller>;
const as = {} as Record<'admin' | 'author' | 'viewer' | 'otherAdmin', Caller>;
let orgA: Awaited<ReturnType<typeof createOrganization>>;
let staging: string;
let production: string;
let ruleSetId: string;
let v1: string;
let v2: string;
let broken: string;
const store = createBacktestStore(databaseUrl);

/** Claims until the given job comes up, failing any other job queued by earlier tests. */
async function claim(runner: string, id: string) {
  for (;;) {
    const job = await store.claim(runner, LEASE);
    if (!job || job.id === id) return job;
    await store.fail(job.id, runner, 'not this test');
  }
}

beforeAll(async () => {
  orgA = await createOrganization('Backtests A');
  const orgB = await createOrganization('Backtests B');
  for (const role of ['admin', 'author', 'viewer'] as const) {
    const user = await createUser(`Backtests ${role}`);
    await addMember(orgA.id, user.id, role);
    as[role] = createCaller(contextFor(user));
  }
  const other = await createUser('Backtests other admin');
  await addMember(orgB.id, other.id, 'admin');
  as.otherAdmin = createCaller(contextFor(other));
  const envs = await as.viewer.environment.list();
  staging = envs.find((e) => e.name === 'staging')?.id as string;
  production = envs.find((e) => e.name === 'production')?.id as string;
  const created = await as.author.rules.createRuleSet({
    name: 'K8s',
    files: [{ name: 'rules.yaml', content: V1 }],
  });
  ruleSetId = created.ruleSet.id;
  v1 = created.version.id;
  await as.admin.rules.activateVersion({ versionId: v1, environmentId: production, comment: '' });
  await as.author.rules.saveOverride({
    ruleSetId,
    environmentId: production,
    change: { kind: 'list', name: 'admins', items: ['alice', 'bob'] },
  });
  v2 = (
    await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'rules.yaml', content: V2 }],
      message: 'pods',
    })
  ).id;
  broken = (
    await as.author.rules.createVersion({
      ruleSetId,
      files: [{ name: 'rules.yaml', content: BROKEN }],
      message: 'x',
    })
  ).id;
});
afterAll(async () => {
  await store.close();
});

describe('starting a backtest', () => {
  it('queues the version against what the environment runs, with its overrides kept', async () => {
    const job = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: ['k8s_audit'],
      ...RANGE,
    });
    expect(job).toMatchObject({
      status: 'queued',
      ruleSet: { id: ruleSetId, name: 'K8s' },
      environment: { id: production, name: 'production' },
      draft: { versionId: v2, number: 2 },
      baseline: { versionId: v1, number: 1 },
      sources: ['k8s_audit'],
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-02T00:00:00.000Z',
      createdBy: { kind: 'user', name: 'Backtests author' },
      eventsScanned: 0,
      result: null,
      stalled: false,
    });
    const row = await getDb(databaseUrl).prisma.backtestJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.overrides).toEqual({ lists: { admins: ['alice', 'bob'] }, macros: {} });
    expect(await as.viewer.backtests.get({ id: job.id })).toMatchObject({ id: job.id, status: 'queued' });
    expect((await as.viewer.backtests.list({ versionId: v2 })).map((j) => j.id)).toEqual([job.id]);
    expect(await as.viewer.backtests.list({ versionId: v1 })).toEqual([]);
  });

  it('has no baseline where nothing is active: every alert of the version is new', async () => {
    const job = await as.author.backtests.start({
      versionId: v2,
      environmentId: staging,
      sources: [],
      ...RANGE,
    });
    expect(job).toMatchObject({ baseline: null, sources: [] });
  });

  it('refuses viewers, unknown sources, versions that do not compile and backwards ranges', async () => {
    const input = { versionId: v2, environmentId: production, sources: [], ...RANGE };
    expect(await appCodeOf(as.viewer.backtests.start(input))).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(as.author.backtests.start({ ...input, sources: ['nope'] }))).toBe('INVALID_INPUT');
    await expect(as.author.backtests.start({ ...input, versionId: broken })).rejects.toThrow(
      /Version 3 does not compile with Production's overrides: rules.yaml:\d+/,
    );
    await expect(as.author.backtests.start({ ...input, from: RANGE.to, to: RANGE.from })).rejects.toThrow(
      /end after it starts/,
    );
  });

  it('keeps other organisations out', async () => {
    const job = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    const calls = [
      () => as.otherAdmin.backtests.get({ id: job.id }),
      () => as.otherAdmin.backtests.cancel({ id: job.id }),
      () => as.otherAdmin.backtests.listSamples({ id: job.id }),
      () =>
        as.otherAdmin.backtests.start({ versionId: v2, environmentId: production, sources: [], ...RANGE }),
    ];
    for (const call of calls) expect(await appCodeOf(call())).toBe('NOT_FOUND');
    expect(await as.otherAdmin.backtests.list({})).toEqual([]);
  });
});

describe('following a backtest its collector runs', () => {
  it('shows progress and the counts so far, opens samples, and stops on cancel with what it counted', async () => {
    const { id } = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    expect(await claim('runner-a', id)).toMatchObject({ id });
    await store.setTotal(id, 'runner-a', 1000);
    const sample = {
      rule: 'Pod deleted',
      change: 'added' as const,
      ref: 'raw:42',
      source: 'k8s_audit',
      eventTime: '2026-12-01 10:00:00.123456+00',
      event: {
        ts: '1795428000234567891',
        payload: { verb: 'delete', objectRef: { resource: 'pods', name: 'web-1' } },
      },
      activeAlerts: [],
      draftAlerts: [
        {
          time: '2026-12-01T10:00:00.234567891Z',
          rule: 'Pod deleted',
          priority: 'Notice',
          source: 'k8s_audit',
          output: '10:00:00.234567891: Notice pod web-1 deleted',
          message: 'pod web-1 deleted',
          output_fields: { 'ka.target.name': 'web-1', 'evt.time': 1795428000234567891n },
          tags: [],
          hostname: '',
        },
      ],
    };
    await store.checkpoint(id, 'runner-a', {
      eventsScanned: 400,
      cursor: { scans: { 'raw:k8s_audit': { time: '2026-12-01 10:00:00+00', id: '42' } } },
      result: partial(400),
      runMs: 800,
      samples: [sample],
    });
    const running = await as.viewer.backtests.get({ id });
    expect(running).toMatchObject({
      status: 'running',
      eventsTotal: 1000,
      eventsScanned: 400,
      runMs: 800,
      stalled: false,
    });
    expect(running.result?.tally.rules[0]).toMatchObject({ rule: 'Pod deleted', added: 2 });
    const samples = await as.viewer.backtests.listSamples({ id, rule: 'Pod deleted', change: 'added' });
    expect(samples).toMatchObject([
      {
        ref: 'raw:42',
        eventTime: '2026-12-01T10:00:00.123Z',
        event: sample.event,
        activeAlerts: [],
        draftAlerts: [
          {
            rule: 'Pod deleted',
            message: 'pod web-1 deleted',
            output_fields: { 'evt.time': '1795428000234567891' },
          },
        ],
      },
    ]);
    expect(await as.viewer.backtests.listSamples({ id, change: 'removed' })).toEqual([]);

    expect(await appCodeOf(as.viewer.backtests.cancel({ id }))).toBe('INSUFFICIENT_ROLE');
    const asked = await as.author.backtests.cancel({ id });
    expect(asked.status).toBe('running');
    expect(asked.cancelRequestedAt).not.toBeNull();
    // The runner sees the request at its next checkpoint and ends the job, keeping its counts.
    const next = await store.checkpoint(id, 'runner-a', {
      eventsScanned: 600,
      cursor: { scans: { 'raw:k8s_audit': { time: '2026-12-01 11:00:00+00', id: '60' } } },
      result: partial(600),
      runMs: 200,
      samples: [],
    });
    expect(next).toEqual({ lost: false, cancelRequested: true });
    await store.finish(id, 'runner-a', {
      eventsScanned: 600,
      cursor: { scans: { 'raw:k8s_audit': { time: '2026-12-01 11:00:00+00', id: '60' } } },
      result: partial(600),
      runMs: 0,
      samples: [],
      status: 'cancelled',
    });
    const cancelled = await as.viewer.backtests.get({ id });
    expect(cancelled).toMatchObject({ status: 'cancelled', eventsScanned: 600, runMs: 1000 });
    expect(cancelled.result?.tally.events).toBe(600);
    expect(cancelled.finishedAt).not.toBeNull();
  });

  it('cancels a queued job at once, and refuses to cancel a finished one', async () => {
    const queued = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    expect(await as.author.backtests.cancel({ id: queued.id })).toMatchObject({ status: 'cancelled' });
    const finished = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    await claim('runner-a', finished.id);
    await store.finish(finished.id, 'runner-a', {
      eventsScanned: 10,
      cursor: { scans: { 'raw:k8s_audit': 'done' } },
      result: partial(10),
      runMs: 5,
      samples: [],
      status: 'done',
    });
    expect(await appCodeOf(as.author.backtests.cancel({ id: finished.id }))).toBe('CONFLICT');
    expect(await as.viewer.backtests.get({ id: finished.id })).toMatchObject({
      status: 'done',
      result: partial(10),
    });
  });

  it('reports a job whose collector stopped as stalled until another collector resumes it', async () => {
    const { id } = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    await claim('runner-a', id);
    await store.checkpoint(id, 'runner-a', {
      eventsScanned: 300,
      cursor: { scans: { 'raw:k8s_audit': { time: '2026-12-01 10:00:00+00', id: '30' } } },
      result: partial(300),
      runMs: 100,
      samples: [],
    });
    // runner-a is killed: its heartbeat stops.
    await getDb(databaseUrl).prisma.backtestJob.update({
      where: { id },
      data: { heartbeatAt: new Date(Date.now() - 120_000) },
    });
    expect(await as.viewer.backtests.get({ id })).toMatchObject({
      status: 'running',
      stalled: true,
      eventsScanned: 300,
    });
    const resumed = await claim('runner-b', id);
    expect(resumed).toMatchObject({ attempts: 2, eventsScanned: 300 });
    expect(await as.viewer.backtests.get({ id })).toMatchObject({
      status: 'running',
      stalled: false,
      attempts: 2,
    });
  });
});

describe('the audit log', () => {
  it('records who started and who cancelled a backtest, as every change is recorded', async () => {
    const { id } = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: ['k8s_audit'],
      ...RANGE,
    });
    await as.author.backtests.cancel({ id });
    // A second request changes nothing and is not recorded again.
    await as.author.backtests.cancel({ id });
    const { entries } = await as.admin.audit.list({ filter: { targetType: 'backtest', targetId: id } });
    expect(entries.map((e) => e.action).reverse()).toEqual(['backtest.start', 'backtest.cancel']);
    for (const e of entries) expect(e.actor).toMatchObject({ kind: 'user', name: 'Backtests author' });
    const started = entries.find((e) => e.action === 'backtest.start');
    expect(started?.after).toMatchObject({
      draftVersionId: v2,
      baselineVersionId: v1,
      environmentId: production,
      sources: ['k8s_audit'],
      from: '2026-12-01T00:00:00.000Z',
    });
    expect(entries.find((e) => e.action === 'backtest.cancel')).toMatchObject({
      before: { status: 'queued' },
      after: { status: 'cancelled' },
    });
    // The action family filters like any other.
    const family = await as.admin.audit.list({ filter: { action: 'backtest.' } });
    expect(family.entries.filter((e) => e.targetId === id)).toHaveLength(2);
  });

  it('records nothing for a refused start or cancel', async () => {
    const before = await getDb(databaseUrl).prisma.auditLog.count({ where: { targetType: 'backtest' } });
    await expect(
      as.author.backtests.start({ versionId: broken, environmentId: production, sources: [], ...RANGE }),
    ).rejects.toThrow(/does not compile/);
    const { id } = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    expect(await appCodeOf(as.otherAdmin.backtests.cancel({ id }))).toBe('NOT_FOUND');
    expect(await appCodeOf(as.viewer.backtests.cancel({ id }))).toBe('INSUFFICIENT_ROLE');
    // Only the one start that went through.
    expect(await getDb(databaseUrl).prisma.auditLog.count({ where: { targetType: 'backtest' } })).toBe(
      before + 1,
    );
  });
});

describe('the latest backtest of a version in an environment', () => {
  it('is the newest one there, with its counts; none elsewhere or for another organisation', async () => {
    const older = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: [],
      ...RANGE,
    });
    const newer = await as.author.backtests.start({
      versionId: v2,
      environmentId: production,
      sources: ['k8s_audit'],
      ...RANGE,
    });
    // Another environment's backtest of the same version does not count here.
    const elsewhere = await as.author.backtests.start({
      versionId: v2,
      environmentId: staging,
      sources: [],
      ...RANGE,
    });
    await claim('runner-latest', newer.id);
    await store.finish(newer.id, 'runner-latest', {
      eventsScanned: 12,
      cursor: { scans: { 'raw:k8s_audit': 'done' } },
      result: partial(12),
      runMs: 7,
      samples: [],
      status: 'done',
    });
    const latest = await as.viewer.backtests.latest({ versionId: v2, environmentId: production });
    expect(latest).toMatchObject({ id: newer.id, status: 'done', result: partial(12) });
    expect(latest?.id).not.toBe(older.id);
    expect((await as.viewer.backtests.latest({ versionId: v2, environmentId: staging }))?.id).toBe(
      elsewhere.id,
    );
    expect(await as.viewer.backtests.latest({ versionId: v1, environmentId: production })).toBeNull();
    expect(await as.otherAdmin.backtests.latest({ versionId: v2, environmentId: production })).toBeNull();
  });
});

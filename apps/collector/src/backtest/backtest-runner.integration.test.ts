import {
  type BacktestJobDto,
  cancelBacktestJob,
  createBacktestJob,
  createBacktestStore,
  createRuleSetVersion,
  getBacktestJob,
  listBacktestSamples,
} from '@peregrine/db';
import { BacktestTally, builtinSources, load, type RuleSet } from '@peregrine/engine';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KNOWN_SOURCES } from '../pipeline/rules-engine.js';
import { ensureBuilt, startCollectorProcess } from '../testing/processes.js';
import { createWorld, type World } from '../testing/world.js';
import type { BacktestResult } from '@peregrine/protocol';
import { BacktestRunner, type BacktestRunnerOptions } from './backtest-runner.js';

const rule = (name: string, source: string, condition: string, output: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${output}\n  priority: WARNING\n  source: ${source}\n`;

const SHELLS = 'Shell spawned (proc.name=%proc.name evt.type=%evt.type)';
/** What the environment runs. */
const ACTIVE =
  rule(
    'Secret read',
    'k8s_audit',
    'ka.verb in (get, list) and ka.target.resource = secrets',
    'read by %ka.user.name',
  ) +
  rule('Pod deleted', 'k8s_audit', 'ka.verb = delete and ka.target.resource = pods', 'pod %ka.target.name') +
  rule('Shell spawned', 'syscall', 'evt.type = execve and proc.name in (bash, sh)', SHELLS);
/** The draft: ignores system users' secret reads, adds config map changes, counts zsh as a shell. */
const DRAFT =
  rule(
    'Secret read',
    'k8s_audit',
    'ka.verb in (get, list) and ka.target.resource = secrets and not ka.user.name startswith "system:"',
    'read by %ka.user.name',
  ) +
  rule('Pod deleted', 'k8s_audit', 'ka.verb = delete and ka.target.resource = pods', 'pod %ka.target.name') +
  rule(
    'Config map changed',
    'k8s_audit',
    'ka.verb in (patch, update) and ka.target.resource = configmaps',
    'cm %ka.target.name',
  ) +
  rule('Shell spawned', 'syscall', 'evt.type = execve and proc.name in (bash, sh, zsh)', SHELLS);

const BASE = Date.parse('2026-12-01T00:00:00Z');
const VERBS = ['get', 'list', 'delete', 'patch', 'update', 'create'];
const RESOURCES = ['secrets', 'pods', 'configmaps', 'deployments'];

/** A k8s audit event in the collector's plugin envelope, as raw_events keeps it. */
function auditEvent(i: number) {
  const t = BASE + i * 10;
  return {
    ts: (BigInt(t) * 1_000_000n).toString(),
    payload: {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: `a-${i}`,
      stage: 'ResponseComplete',
      verb: VERBS[i % VERBS.length],
      user: { username: i % 3 === 0 ? 'system:serviceaccount:kube-system:ctl' : `user-${i % 7}` },
      objectRef: { resource: RESOURCES[(i >> 1) % RESOURCES.length], namespace: 'default', name: `obj-${i}` },
      responseStatus: { code: 200 },
      stageTimestamp: new Date(t).toISOString(),
    },
  };
}

/** The output fields a stored sensor alert of the active Shell rule carries. */
const shellFields = (name: string) => ({ 'proc.name': name, 'evt.type': 'execve', 'evt.time': 1 });

/** Fastify's logger when logging is off: every level a no-op. */
const silent = Fastify({ logger: false }).log;

describe('backtest runner (real Postgres)', () => {
  let world: World;
  let draftVersionId: string;
  let baselineVersionId: string;
  let active: RuleSet;
  let draft: RuleSet;
  const EVENTS = 30_000;
  const ALERTS = 40;

  const runner = (over: Partial<BacktestRunnerOptions> = {}) =>
    new BacktestRunner(createBacktestStore(world.url), {
      pollMs: 50,
      leaseMs: 30_000,
      pageRows: 500,
      checkpointMs: 0,
      knownSources: [...KNOWN_SOURCES],
      log: silent,
      ...over,
    });
  const queue = (over: { sources?: string[]; draft?: string } = {}) =>
    createBacktestJob(
      world.db,
      {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        ruleSetId: world.ruleSetId,
        draftVersionId: over.draft ?? draftVersionId,
        baselineVersionId,
        overrides: { lists: {}, macros: {} },
        sources: over.sources ?? [],
        from: new Date(BASE),
        to: new Date(BASE + 86_400_000),
        createdById: null,
        createdByApiKeyId: null,
      },
      {},
    );
  const job = async (id: string) =>
    (await getBacktestJob(world.db, world.organizationId, id)) as BacktestJobDto;
  const resultOf = (j: BacktestJobDto) => j.result as BacktestResult;

  /** The counts a tally gives over every stored event at once: what every run must end with. */
  let expected: ReturnType<BacktestTally['state']>;

  beforeAll(async () => {
    world = await createWorld('backtest_runner', ACTIVE);
    baselineVersionId = (
      await world.db.prisma.activation.findFirstOrThrow({ where: { environmentId: world.environmentId } })
    ).versionId;
    draftVersionId = (
      await createRuleSetVersion(
        world.db,
        {
          ruleSetId: world.ruleSetId,
          files: [{ name: 'rules.yaml', content: DRAFT }],
          message: 'draft',
          authorId: null,
          status: 'valid',
          diagnostics: [],
          summary: {},
        },
        { userId: null },
      )
    ).id;
    const events = Array.from({ length: EVENTS }, (_, i) => auditEvent(i));
    await world.db.prisma.$executeRaw`
      INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey")
      SELECT ${world.organizationId}::uuid, ${world.environmentId}::uuid, 'k8s_audit',
             to_timestamp(((e->>'ts')::numeric) / 1e9), e, e->'payload'->>'auditID'
      FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) e`;
    // Sensor alerts (no raw event kept): bash, sh and zsh shells; and one Falco alert of a rule the
    // rule set does not have.
    const names = ['bash', 'sh', 'zsh', 'fish'];
    for (let i = 0; i < ALERTS; i++) {
      await world.db.prisma.alert.create({
        data: {
          organizationId: world.organizationId,
          environmentId: world.environmentId,
          rule: 'Shell spawned',
          priority: 'warning',
          source: 'syscall',
          output: 'Shell spawned',
          outputFields: shellFields(names[i % names.length] as string),
          tags: [],
          hostname: 'node-1',
          eventTime: new Date(BASE + i * 1000),
          dedupKey: `d${i}`,
          ingestKey: `batch/${i}`,
        },
      });
    }
    // The engine's answer over the same events, straight from memory.
    const sources = builtinSources();
    active = load([{ name: 'r.yaml', content: ACTIVE }], { sources }).ruleset;
    draft = load([{ name: 'r.yaml', content: DRAFT }], { sources }).ruleset;
    const tally = new BacktestTally(active, draft);
    for (const [i, e] of events.entries()) tally.add(`raw:${i}`, e, 'k8s_audit');
    for (let i = 0; i < ALERTS; i++) {
      tally.add(
        `alert:${i}`,
        { ...shellFields(names[i % names.length] as string), 'evt.hostname': 'node-1' },
        'syscall',
      );
    }
    expected = tally.state();
    // The data is worth testing: every kind of change appears.
    const byRule = Object.fromEntries(expected.rules.map((r) => [r.rule, r]));
    expect(byRule['Secret read']).toMatchObject({
      removed: expect.any(Number),
      unchanged: expect.any(Number),
    });
    expect(byRule['Secret read']?.removed).toBeGreaterThan(0);
    expect(byRule['Config map changed']?.added).toBeGreaterThan(0);
    expect(byRule['Pod deleted']).toMatchObject({ added: 0, removed: 0 });
    expect(byRule['Shell spawned']).toMatchObject({ added: ALERTS / 4, unchanged: ALERTS / 2 });
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it('runs a queued job to the end: counts per rule as the engine gives them, totals, samples', async () => {
    const id = await queue();
    const r = runner();
    expect(await r.runQueued()).toBe(1);
    const done = await job(id);
    expect(done).toMatchObject({
      status: 'done',
      attempts: 1,
      eventsTotal: EVENTS + ALERTS,
      eventsScanned: EVENTS + ALERTS,
    });
    const result = resultOf(done);
    expect(result.tally).toEqual(expected);
    expect(result).toMatchObject({
      raw: { events: EVENTS },
      // Every stored bash and sh alert is raised again by the active version from its output fields.
      alerts: { events: ALERTS, alerts: ALERTS, comparable: ALERTS, reproduced: ALERTS / 2 },
      skipped: { events: 0 },
      sources: ['k8s_audit', 'syscall'],
      rules: { active: 3, draft: 4, distinctConditions: 6 },
    });
    const samples = await listBacktestSamples(world.db, world.organizationId, { jobId: id, limit: 100 });
    const kinds = samples.map((s) => `${s.rule}/${s.change}`);
    expect(kinds.filter((k) => k === 'Secret read/removed')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'Config map changed/added')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'Shell spawned/added')).toHaveLength(5);
    expect(kinds.some((k) => k.startsWith('Pod deleted'))).toBe(false);
    const removed = samples.find((s) => s.rule === 'Secret read');
    expect(removed?.ref).toMatch(/^raw:\d+$/);
    expect(removed?.event).toMatchObject({
      payload: { user: { username: expect.stringMatching(/^system:/) } },
    });
    expect(removed?.activeAlerts).toMatchObject([
      { rule: 'Secret read', output: expect.stringContaining('read by system:') },
    ]);
    expect(removed?.draftAlerts).toEqual([]);
    const zsh = samples.find((s) => s.rule === 'Shell spawned');
    expect(zsh).toMatchObject({ ref: expect.stringMatching(/^alert:\d+$/), event: { 'proc.name': 'zsh' } });
    expect(zsh?.draftAlerts).toMatchObject([
      { rule: 'Shell spawned', output_fields: { 'proc.name': 'zsh' } },
    ]);
    await r.stop();
  });

  it('shows progress while it runs and stops on cancel, keeping what it counted', async () => {
    const id = await queue();
    const r = runner({ pageRows: 100 });
    const run = r.runQueued();
    await vi.waitFor(async () => expect((await job(id)).eventsScanned).toBeGreaterThan(0), {
      timeout: 20_000,
      interval: 10,
    });
    const midway = await job(id);
    expect(midway.status).toBe('running');
    expect(midway.eventsTotal).toBe(EVENTS + ALERTS);
    expect(resultOf(midway).tally.events).toBe(midway.eventsScanned);
    await cancelBacktestJob(world.db, world.organizationId, id, {});
    await run;
    const cancelled = await job(id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.eventsScanned).toBeGreaterThan(0);
    expect(cancelled.eventsScanned).toBeLessThan(EVENTS + ALERTS);
    expect(cancelled.finishedAt).toBeInstanceOf(Date);
    await r.stop();
  });

  it('puts a job back in the queue when its collector shuts down, and the next one finishes it', async () => {
    const id = await queue();
    const first = runner({ pageRows: 100 });
    first.start();
    await vi.waitFor(async () => expect((await job(id)).eventsScanned).toBeGreaterThan(0), {
      timeout: 20_000,
      interval: 10,
    });
    await first.stop();
    const released = await job(id);
    expect(released).toMatchObject({ status: 'queued', attempts: 0 });
    expect(released.eventsScanned).toBeLessThan(EVENTS + ALERTS);
    const second = runner();
    expect(await second.runQueued()).toBe(1);
    const done = await job(id);
    expect(done).toMatchObject({ status: 'done', attempts: 1, eventsScanned: EVENTS + ALERTS });
    expect(resultOf(done).tally).toEqual(expected);
    await second.stop();
  });

  it('resumes the job of a collector killed mid-run, from its checkpoint, to the same result', async () => {
    ensureBuilt();
    const id = await queue();
    const collector = await startCollectorProcess({
      DATABASE_URL: world.url,
      PEREGRINE_SECRET_KEY: 'backtest-test-secret-0123456789',
      BACKTEST_POLL_MS: '50',
      BACKTEST_LEASE_SECONDS: '1',
    });
    try {
      await vi.waitFor(async () => expect((await job(id)).eventsScanned).toBeGreaterThan(0), {
        timeout: 30_000,
        interval: 10,
      });
      collector.child.kill('SIGKILL');
      await new Promise((resolve) => collector.child.once('exit', resolve));
    } finally {
      await collector.stop();
    }
    const orphan = await job(id);
    // Killed mid-run: still "running" in the table, with a heartbeat that is no longer renewed.
    expect(orphan.status).toBe('running');
    expect(orphan.eventsScanned).toBeLessThan(EVENTS + ALERTS);
    const next = runner({ leaseMs: 1000 });
    await vi.waitFor(async () => expect(await next.runQueued()).toBe(1), { timeout: 10_000, interval: 200 });
    const done = await job(id);
    expect(done).toMatchObject({ status: 'done', attempts: 2, eventsScanned: EVENTS + ALERTS });
    expect(resultOf(done).tally).toEqual(expected);
    // Samples of the killed run's checkpoints and of the resumed run together stay within bounds.
    const samples = await listBacktestSamples(world.db, world.organizationId, { jobId: id, limit: 100 });
    expect(samples.filter((s) => s.rule === 'Secret read')).toHaveLength(5);
    await next.stop();
    // A collector process starting and scanning: 90 s was passed at a load average of 19 on 2 cores.
  }, 240_000);

  it('fails a job whose draft does not compile, and skips sources no rule reads', async () => {
    const broken = (
      await createRuleSetVersion(
        world.db,
        {
          ruleSetId: world.ruleSetId,
          files: [{ name: 'rules.yaml', content: rule('Bad', 'syscall', 'proc.nam = x', 'x') }],
          message: 'broken',
          authorId: null,
          status: 'draft',
          diagnostics: [],
          summary: {},
        },
        { userId: null },
      )
    ).id;
    const failing = await queue({ draft: broken });
    const okta = await queue({ sources: ['okta', 'k8s_audit'] });
    const r = runner();
    expect(await r.runQueued()).toBe(2);
    const failed = await job(failing);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/draft does not compile.*rules\.yaml:\d+/);
    const skipped = await job(okta);
    expect(skipped).toMatchObject({ status: 'done', eventsScanned: EVENTS });
    expect(resultOf(skipped)).toMatchObject({ sources: ['k8s_audit'], skipped: { sources: ['okta'] } });
    await r.stop();
  });
  it('prunes finished jobs past the retention while it runs, never a queued or running one', async () => {
    const DAY = 86_400_000;
    const old = new Date(Date.now() - 40 * DAY);
    const holder = createBacktestStore(world.url);
    const r = runner({ retentionMs: 30 * DAY, pruneEveryMs: 100 });
    try {
      // A job another collector runs (fresh heartbeat), asked for 40 days ago: never pruned.
      const running = await queue();
      expect((await holder.claim('other-collector', { staleMs: 3_600_000, maxAttempts: 3 }))?.id).toBe(
        running,
      );
      await world.db.prisma.backtestJob.update({
        where: { id: running },
        data: { createdAt: old, startedAt: old },
      });
      r.start();
      // Finished jobs of the earlier tests (with samples): one ended 40 days ago, one just now.
      const finished = await world.db.prisma.backtestJob.findMany({
        where: { status: { in: ['done', 'failed', 'cancelled'] } },
        orderBy: { createdAt: 'asc' },
        select: { id: true, _count: { select: { samples: true } } },
      });
      const withSamples = finished.find((j) => j._count.samples > 0);
      const recent = finished.find((j) => j.id !== withSamples?.id);
      expect(withSamples && recent).toBeTruthy();
      // Aged after the runner started: its periodic passes find it (not only the one at start).
      await world.db.prisma.backtestJob.update({
        where: { id: withSamples?.id as string },
        data: { finishedAt: old },
      });
      await vi.waitFor(
        async () =>
          expect(await world.db.prisma.backtestJob.count({ where: { id: withSamples?.id as string } })).toBe(
            0,
          ),
        { timeout: 15_000, interval: 50 },
      );
      expect(
        await world.db.prisma.backtestSample.count({ where: { jobId: withSamples?.id as string } }),
      ).toBe(0);
      expect(await job(recent?.id as string)).toMatchObject({ id: recent?.id });
      expect(await job(running)).toMatchObject({ status: 'running' });
      // Its pass is over: the queued-or-running job is still there after several more passes.
      const passes = await r.prune();
      expect(passes).toEqual({ jobs: 0, samples: 0 });
      expect(await job(running)).toMatchObject({ status: 'running' });
    } finally {
      await r.stop();
      await holder.close();
    }
  });
});

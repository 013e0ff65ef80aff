import {
  type BacktestJobDto,
  type BacktestStore,
  createBacktestJob,
  createBacktestStore,
  createRuleSetVersion,
  getBacktestJob,
  listBacktestSamples,
  rawEventMembers,
} from '@peregrine/db';
import { builtinSources, load, storedEventSkip } from '@peregrine/engine';
import type { BacktestResult } from '@peregrine/protocol';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_SOURCES } from '../pipeline/rules-engine.js';
import { createWorld, type World } from '../testing/world.js';
import { BacktestRunner } from './backtest-runner.js';

/**
 * Raw events that no rule of either version can act on stay in Postgres (storedEventSkip): the
 * result must be exactly what evaluating every stored event gives. Both runs here use the real
 * store over the same database; the full one only drops the skip it is handed.
 */

const rule = (name: string, source: string, condition: string, output: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${output}\n  priority: WARNING\n  source: ${source}\n`;

const SHELLS = 'Shell spawned (proc.name=%proc.name)';
/**
 * Active: k8s rules indexed by ka.verb, CloudTrail by ct.name, Okta by okta.evt.type, no GitHub
 * rule. The draft indexes k8s by ka.target.resource instead, adds a CloudTrail rule, an Okta rule
 * no value rules out (so Okta is read in full) and GitHub rules.
 */
const ACTIVE = [
  rule(
    'Secret read',
    'k8s_audit',
    'ka.verb in (get, list) and ka.target.resource = secrets',
    'by %ka.user.name',
  ),
  rule('Pod deleted', 'k8s_audit', 'ka.verb = delete and ka.uri contains "/pods/"', 'pod %ka.target.name'),
  // Upstream shapes no value index rules out: a user prefix, a subresource, the envelope's time.
  rule(
    'Disallowed user',
    'k8s_audit',
    'jevt.value[/stage] in (ResponseComplete) and not ka.user.name startswith "system:" and not ka.user.name in (alice, bob)',
    'user %ka.user.name',
  ),
  rule('Port forward', 'k8s_audit', 'ka.target.subresource in (portforward) and not jevt.rawtime = 0', 'pf'),
  rule('All events', 'k8s_audit', 'jevt.value[/stage] in (ResponseComplete) and jevt.rawtime = 0', 'all'),
  rule('Run', 'aws_cloudtrail', 'ct.name = RunInstances and ct.region = "us-east-1"', 'run %ct.user'),
  rule('Login', 'aws_cloudtrail', 'ct.name = ConsoleLogin', 'login %ct.user'),
  rule('Lock', 'okta', 'okta.evt.type = user.account.lock', 'lock %okta.actor.name'),
  rule(
    'Reset',
    'okta',
    'okta.evt.type in (user.account.reset_password, user.mfa.factor.deactivate)',
    'reset',
  ),
  rule('Shell spawned', 'syscall', 'evt.type = execve and proc.name in (bash, sh)', SHELLS),
].join('');
const DRAFT = [
  rule(
    'Secret read',
    'k8s_audit',
    'ka.verb in (get, list) and ka.target.resource = secrets and not ka.user.name startswith "system:"',
    'by %ka.user.name',
  ),
  rule('Pod deleted', 'k8s_audit', 'ka.verb = delete and ka.target.resource = pods', 'pod %ka.target.name'),
  rule(
    'Disallowed user',
    'k8s_audit',
    'jevt.value[/stage] in (ResponseComplete) and not ka.user.name startswith "system:" and not ka.user.name in (alice)',
    'user %ka.user.name',
  ),
  rule('Port forward', 'k8s_audit', 'ka.target.subresource in (portforward) and not jevt.rawtime = 0', 'pf'),
  rule(
    'Exec',
    'k8s_audit',
    'jevt.value[/stage] = ResponseStarted and ka.target.subresource exists and ka.target.subresource endswith "ec"',
    'exec',
  ),
  // A member that is no text (5, null) is still there: the field exists.
  rule('Watched subresource', 'k8s_audit', 'ka.verb = watch and ka.target.subresource exists', 'sub'),
  rule(
    'Config map changed',
    'k8s_audit',
    'ka.verb in (patch, update) and ka.target.resource = configmaps',
    'cm',
  ),
  rule('Run', 'aws_cloudtrail', 'ct.name = RunInstances and ct.region != "us-east-1"', 'run %ct.user'),
  rule('Login', 'aws_cloudtrail', 'ct.name = ConsoleLogin', 'login %ct.user'),
  rule('Users', 'aws_cloudtrail', 'ct.name in (CreateUser, DeleteUser)', 'user %ct.user'),
  rule('Lock', 'okta', 'okta.evt.type = user.account.lock', 'lock %okta.actor.name'),
  rule(
    'Reset',
    'okta',
    'okta.evt.type in (user.account.reset_password, user.mfa.factor.deactivate)',
    'reset',
  ),
  rule('Warned', 'okta', 'okta.severity = WARN', 'warn %okta.evt.type'),
  rule('Denied', 'okta', 'okta.mfa.deny.countlast[300] >= 2', 'denied'),
  rule('Push', 'github', 'github.type = push and github.user = mallory', 'push'),
  rule('Member', 'github', 'github.type = member and github.action = added', 'member'),
  rule('Shell spawned', 'syscall', 'evt.type = execve and proc.name in (bash, sh, zsh)', SHELLS),
].join('');

const BASE = Date.parse('2026-12-01T00:00:00Z');
const PER_SOURCE = 2500;
const ALERTS = 20;

/** A small deterministic generator (the same events every run). */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T;
}

/** The record of event i of `source`, its indexed members sometimes odd (numbers, null, missing). */
function record(source: string, i: number, pick: ReturnType<typeof random>): Record<string, unknown> {
  const odd = (v: string) => pick([v, v, v, v, v, v, v, v, 5, null, undefined]);
  switch (source) {
    case 'k8s_audit': {
      const resource = odd(pick(['secrets', 'pods', 'configmaps', 'deployments', 'nodes']));
      return {
        kind: 'Event',
        auditID: `a-${i}`,
        stage: odd(pick(['ResponseComplete', 'ResponseComplete', 'ResponseStarted'])),
        verb: odd(pick(['get', 'list', 'watch', 'delete', 'patch', 'update', 'create'])),
        // Mostly the resource's own path: the two versions' Pod deleted rules disagree on the rest.
        requestURI: `/api/v1/namespaces/default/${String(pick([resource, resource, 'pods']))}/obj-${i}`,
        user: {
          username: odd(pick(['system:node:n1', 'system:kube-scheduler', 'alice', 'bob', 'System:x', 'ü'])),
        },
        objectRef: {
          resource,
          namespace: 'default',
          name: `obj-${i}`,
          ...(pick([0, 0, 0, 1]) ? { subresource: odd(pick(['exec', 'portforward', 'status'])) } : {}),
        },
      };
    }
    case 'aws_cloudtrail':
      return {
        eventName: odd(
          pick(['RunInstances', 'ConsoleLogin', 'CreateUser', 'GetObject', 'DescribeInstances']),
        ),
        awsRegion: pick(['us-east-1', 'eu-west-1']),
        userIdentity: { type: 'IAMUser', userName: `u${i % 9}` },
      };
    case 'okta':
      return {
        eventType: odd(
          pick([
            'user.account.lock',
            'user.session.start',
            'user.mfa.factor.deactivate',
            'policy.evaluate',
            'user.mfa.okta_verify.deny_push',
          ]),
        ),
        severity: pick(['INFO', 'INFO', 'WARN']),
        actor: { displayName: `User ${i % 11}`, id: `u${i % 3}` },
      };
    default:
      return {
        webhook_type: odd(pick(['push', 'push', 'member', 'issues', 'ping'])),
        action: pick(['added', 'removed']),
        sender: { login: pick(['dev', 'mallory']) },
      };
  }
}

/** Flat maps that fire a rule of both versions. */
const FIRING: Record<string, Record<string, string>> = {
  k8s_audit: { 'ka.verb': 'get', 'ka.target.resource': 'secrets', 'ka.user.name': 'alice' },
  aws_cloudtrail: { 'ct.name': 'ConsoleLogin' },
  okta: { 'okta.evt.type': 'user.account.lock' },
  github: { 'github.type': 'member', 'github.action': 'added' },
};

/** The stored event: mostly the collector's envelope, sometimes a bare record or a flat map. */
function stored(source: string, i: number, pick: ReturnType<typeof random>): unknown {
  const r = record(source, i, pick);
  const ts = (BigInt(BASE + i * 10) * 1_000_000n).toString();
  const flatKey = {
    k8s_audit: 'ka.verb',
    aws_cloudtrail: 'ct.name',
    okta: 'okta.evt.type',
    github: 'github.type',
  }[source] as string;
  switch (
    pick(['envelope', 'envelope', 'envelope', 'envelope', 'host', 'bare', 'num', 'flat', 'extra', 'zero'])
  ) {
    case 'zero':
      // `jevt.rawtime = 0` holds.
      return { ts: '0', payload: r };
    case 'host':
      return { ts, payload: r, hostname: 'collector-1', num: i };
    case 'bare':
      return r;
    case 'num':
      return { num: i, payload: r };
    case 'flat':
      return {
        [flatKey]: pick(['delete', 'RunInstances', 'user.account.lock', 'member', 'x']),
        'evt.num': i,
      };
    case 'extra':
      // Flat-map keys beside an envelope: read as a flat map (one that fires), never left out.
      return { ts, payload: r, ...FIRING[source] };
    default:
      return { ts, payload: r };
  }
}

const silent = Fastify({ logger: false }).log;

/**
 * Alerts of an event read without a time of its own (no envelope `ts`, or read as a flat map)
 * carry the time they were evaluated at: that part differs between any two runs.
 */
function untimed(event: unknown, alerts: unknown): unknown {
  const ts = (event as { ts?: unknown } | null)?.ts;
  if (!Array.isArray(alerts)) return alerts;
  return alerts.map((a: { output: string; output_fields: Record<string, unknown> }) =>
    a.output_fields['evt.time'] === ts
      ? a
      : {
          ...a,
          time: 'now',
          output: a.output.replace(/^\S+/, 'now'),
          output_fields: { ...a.output_fields, 'evt.time': 'now' },
        },
  );
}

describe('backtest leaving out events no rule can match (real Postgres)', () => {
  let world: World;
  let draftVersionId: string;
  let baselineVersionId: string;

  /** The real store; `full` hands every rawEvents call no skip, `counted` adds up what was left out. */
  const store = (mode: 'full' | 'counted', skipped: Map<string, number>): BacktestStore => {
    const real = createBacktestStore(world.url);
    return {
      ...real,
      rawEvents: async (scope, source, after, limit, skip) => {
        const page = await real.rawEvents(scope, source, after, limit, mode === 'full' ? undefined : skip);
        skipped.set(source, (skipped.get(source) ?? 0) + page.skipped);
        return page;
      },
    };
  };

  const run = async (mode: 'full' | 'counted') => {
    const id = await createBacktestJob(
      world.db,
      {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        ruleSetId: world.ruleSetId,
        draftVersionId,
        baselineVersionId,
        overrides: { lists: {}, macros: {} },
        sources: [],
        from: new Date(BASE),
        to: new Date(BASE + 86_400_000),
        createdById: null,
        createdByApiKeyId: null,
      },
      {},
    );
    const skipped = new Map<string, number>();
    const s = store(mode, skipped);
    const runner = new BacktestRunner(s, {
      pollMs: 50,
      leaseMs: 30_000,
      pageRows: 150,
      checkpointMs: 0,
      knownSources: [...KNOWN_SOURCES],
      log: silent,
    });
    expect(await runner.runQueued()).toBe(1);
    await runner.stop();
    await s.close();
    const job = (await getBacktestJob(world.db, world.organizationId, id)) as BacktestJobDto;
    const samples = await listBacktestSamples(world.db, world.organizationId, { jobId: id, limit: 1000 });
    return {
      job: {
        status: job.status,
        eventsTotal: job.eventsTotal,
        eventsScanned: job.eventsScanned,
        result: job.result as BacktestResult,
      },
      samples: samples
        .map(({ rule, change, ref, source, eventTime, event, activeAlerts, draftAlerts }) => ({
          rule,
          change,
          ref,
          source,
          eventTime,
          event,
          activeAlerts: untimed(event, activeAlerts),
          draftAlerts: untimed(event, draftAlerts),
        }))
        .sort((a, b) => `${a.rule}/${a.change}/${a.ref}`.localeCompare(`${b.rule}/${b.change}/${b.ref}`)),
      skipped,
    };
  };

  beforeAll(async () => {
    world = await createWorld('backtest_skip', ACTIVE);
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
    for (const [n, source] of ['k8s_audit', 'aws_cloudtrail', 'okta', 'github'].entries()) {
      const pick = random(n + 1);
      // Every other row with the members ingest writes beside the payload (the others as rows
      // stored before them): the skip reads the column where it can, the payload elsewhere.
      const events = Array.from({ length: PER_SOURCE }, (_, i) => {
        const e = stored(source, i, pick);
        return { e, m: i % 2 === 0 ? rawEventMembers(e) : null };
      });
      await world.db.prisma.$executeRaw`
        INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey", members)
        SELECT ${world.organizationId}::uuid, ${world.environmentId}::uuid, ${source},
               ${new Date(BASE)}::timestamptz + (i * interval '10 milliseconds'), x -> 'e', ${source} || '/' || i,
               CASE WHEN jsonb_typeof(x -> 'm') = 'array'
                    THEN ARRAY(SELECT jsonb_array_elements_text(x -> 'm')) END
        FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) WITH ORDINALITY AS t(x, i)`;
    }
    for (let i = 0; i < ALERTS; i++) {
      await world.db.prisma.alert.create({
        data: {
          organizationId: world.organizationId,
          environmentId: world.environmentId,
          rule: 'Shell spawned',
          priority: 'warning',
          source: 'syscall',
          output: 'Shell spawned',
          outputFields: { 'proc.name': ['bash', 'zsh'][i % 2] as string, 'evt.type': 'execve' },
          tags: [],
          hostname: 'node-1',
          eventTime: new Date(BASE + i * 1000),
          dedupKey: `d${i}`,
          ingestKey: `batch/${i}`,
        },
      });
    }
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it('describes what each source lets Postgres leave out', () => {
    const sources = builtinSources();
    const active = load([{ name: 'a.yaml', content: ACTIVE }], { sources }).ruleset;
    const draft = load([{ name: 'd.yaml', content: DRAFT }], { sources }).ruleset;
    const skips = (source: string) => storedEventSkip([active, draft], source) !== undefined;
    for (const source of ['k8s_audit', 'aws_cloudtrail', 'github']) expect(skips(source), source).toBe(true);
    // The draft's Warned rule reads a field with no declared member, and Denied a stateful one:
    // every Okta event is read.
    expect(skips('okta')).toBe(false);
    expect(skips('syscall')).toBe(false);
  });

  it('ends with exactly the result of evaluating every stored event: counts, rules, samples', async () => {
    const full = await run('full');
    const skipping = await run('counted');
    expect(full.job.status).toBe('done');
    expect(skipping.job).toEqual(full.job);
    expect(skipping.samples).toEqual(full.samples);
    // The comparison is worth making: every source fires, rules change, and rows were left out
    // where the rules allow it (and only there).
    const r = full.job.result;
    expect(r.raw.events).toBe(4 * PER_SOURCE);
    expect(r.alerts.events).toBe(ALERTS);
    expect(r.tally.failed).toBe(0);
    const changed = Object.fromEntries(r.tally.rules.map((c) => [c.rule, c.added + c.removed]));
    for (const name of [
      'Secret read',
      'Pod deleted',
      'Config map changed',
      'Run',
      'Users',
      'Warned',
      'Denied',
      'Disallowed user',
      'Exec',
      'Watched subresource',
      'Push',
      'Member',
    ])
      expect(changed[name], name).toBeGreaterThan(0);
    expect(r.tally.rules.find((c) => c.rule === 'Login')?.unchanged).toBeGreaterThan(0);
    for (const name of ['Port forward', 'All events'])
      expect(
        r.tally.rules
          .filter((c) => c.rule === name)
          .reduce((n, c) => n + c.added + c.removed + c.unchanged, 0),
        name,
      ).toBeGreaterThan(0);
    expect(full.samples.length).toBeGreaterThan(30);
    expect([...full.skipped.values()].every((n) => n === 0)).toBe(true);
    expect(skipping.skipped.get('okta')).toBe(0);
    for (const source of ['k8s_audit', 'aws_cloudtrail', 'github'])
      expect(skipping.skipped.get(source), source).toBeGreaterThan(PER_SOURCE / 25);
    // Both kinds of row were there: with the members column (most of them envelopes) and without.
    const kinds = await world.db.prisma.$queryRaw<{ with: number; without: number }[]>`
      SELECT count(*) FILTER (WHERE members[1] IS NOT NULL)::int AS with,
             count(*) FILTER (WHERE members IS NULL)::int AS without FROM raw_events`;
    expect(kinds[0]?.with).toBeGreaterThan(PER_SOURCE);
    expect(kinds[0]?.without).toBeGreaterThanOrEqual(2 * PER_SOURCE);
  }, 120_000);
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import {
  type BacktestCheckpoint,
  type BacktestStore,
  createBacktestStore,
  type RawEventSkip,
} from './backtest-store.js';
import { rawEventMembers } from './raw-event-members.js';
import { createRuleSetVersion } from './rule-sets.js';
import { seedDemo } from './seed.js';
import {
  cancelBacktestJob,
  createBacktestJob,
  getBacktestJob,
  getLatestBacktestJob,
  listBacktestJobs,
  listBacktestSamples,
} from './web-backtests.js';

const FILES = [{ name: 'rules.yaml', content: '- list: shells\n  items: [bash]\n' }];
const LEASE = { staleMs: 60_000, maxAttempts: 3 };
const DAY = 86_400_000;

const checkpoint = (over: Partial<BacktestCheckpoint> = {}): BacktestCheckpoint => ({
  eventsScanned: 0,
  cursor: { scans: {} },
  result: { events: 0 },
  runMs: 0,
  samples: [],
  ...over,
});

describe('backtest jobs and the events they replay (real Postgres)', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  let store: BacktestStore;
  let org: string;
  let otherOrg: string;
  let env: string;
  let ruleSetId: string;
  let v1: string;
  let v2: string;

  const newJob = (over: { from?: Date; to?: Date; sources?: string[] } = {}) =>
    createBacktestJob(
      db,
      {
        organizationId: org,
        environmentId: env,
        ruleSetId,
        draftVersionId: v2,
        baselineVersionId: v1,
        overrides: { lists: { shells: ['zsh'] }, macros: {} },
        sources: over.sources ?? ['k8s_audit'],
        from: over.from ?? new Date(Date.now() - DAY),
        to: over.to ?? new Date(Date.now() + DAY),
        createdById: null,
        createdByApiKeyId: null,
      },
      {},
    );
  /** Makes every running job look as if its runner stopped an hour ago. */
  const silenceRunners = () =>
    db.prisma.backtestJob.updateMany({
      where: { status: 'running' },
      data: { heartbeatAt: new Date(Date.now() - 3_600_000) },
    });
  /** Claims until the given job comes up (earlier tests may leave others queued). */
  const claimJob = async (runner: string, id: string) => {
    for (;;) {
      const job = await store.claim(runner, LEASE);
      if (!job || job.id === id) return job;
      await store.finish(job.id, runner, { ...checkpoint(), status: 'failed', error: 'not this test' });
    }
  };

  beforeAll(async () => {
    handle = await createMigratedTestDatabase('backtests');
    db = createDb(handle.url);
    store = createBacktestStore(handle.url);
    const seeded = await seedDemo(db, {
      ruleSetName: 'Rules',
      ruleSetDescription: '',
      files: FILES,
      status: 'valid',
      diagnostics: [],
      summary: {},
    });
    org = seeded.organizationId;
    env = seeded.environments.production as string;
    ruleSetId = seeded.ruleSetId;
    v1 = (await db.prisma.ruleSetVersion.findFirstOrThrow({ where: { ruleSetId } })).id;
    v2 = (
      await createRuleSetVersion(
        db,
        {
          ruleSetId,
          files: [{ name: 'rules.yaml', content: '- list: shells\n  items: [zsh]\n' }],
          message: 'draft',
          authorId: null,
          status: 'valid',
          diagnostics: [],
          summary: {},
        },
        { userId: null },
      )
    ).id;
    otherOrg = (await db.prisma.organization.create({ data: { name: 'Other', slug: 'other' } })).id;
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    await handle.drop();
  });

  it('queues a job that only its organisation sees, and a runner claims it with its versions', async () => {
    const id = await newJob();
    const queued = await getBacktestJob(db, org, id);
    expect(queued).toMatchObject({
      status: 'queued',
      ruleSet: { id: ruleSetId, name: 'Rules' },
      environment: { id: env, name: 'production' },
      draft: { versionId: v2, number: 2 },
      baseline: { versionId: v1, number: 1 },
      sources: ['k8s_audit'],
      attempts: 0,
      eventsScanned: 0,
    });
    expect(await getBacktestJob(db, otherOrg, id)).toBeNull();
    expect(await listBacktestJobs(db, otherOrg, { limit: 10 })).toEqual([]);
    expect((await listBacktestJobs(db, org, { versionId: v2, limit: 10 })).map((j) => j.id)).toContain(id);

    const job = await claimJob('runner-a', id);
    expect(job).toMatchObject({
      id,
      attempts: 1,
      draftFiles: [{ name: 'rules.yaml', content: '- list: shells\n  items: [zsh]\n' }],
      baselineFiles: FILES,
      overrides: { lists: { shells: ['zsh'] }, macros: {} },
      sources: ['k8s_audit'],
      cursor: null,
    });
    // Nobody else gets a job that is running with a live heartbeat.
    expect(await store.claim('runner-b', LEASE)).toBeNull();
    expect(await getBacktestJob(db, org, id)).toMatchObject({ status: 'running' });
    await store.finish(id, 'runner-a', { ...checkpoint(), status: 'done' });
  });

  it('checkpoints progress and samples in one go, and keeps nanosecond integers exact', async () => {
    const id = await newJob();
    await claimJob('runner-a', id);
    expect(await store.setTotal(id, 'runner-a', 1234)).toBe(true);
    const ns = 1795428000234567891n;
    const sample = {
      rule: 'Shell',
      change: 'added' as const,
      ref: 'raw:7',
      source: 'k8s_audit',
      eventTime: new Date('2026-12-01T10:00:00Z'),
      event: { ts: '1795428000234567891', payload: { verb: 'create' } },
      activeAlerts: [],
      draftAlerts: [{ rule: 'Shell', output_fields: { 'evt.time': ns } }],
    };
    const answer = await store.checkpoint(
      id,
      'runner-a',
      checkpoint({ eventsScanned: 600, result: { events: 600 }, runMs: 250, samples: [sample] }),
    );
    expect(answer).toEqual({ lost: false, cancelRequested: false });
    expect(await getBacktestJob(db, org, id)).toMatchObject({
      status: 'running',
      eventsTotal: 1234,
      eventsScanned: 600,
      runMs: 250,
      result: { events: 600 },
    });
    const samples = await listBacktestSamples(db, org, { jobId: id, limit: 10 });
    expect(samples).toMatchObject([
      {
        rule: 'Shell',
        change: 'added',
        ref: 'raw:7',
        event: sample.event,
        draftAlerts: [{ rule: 'Shell', output_fields: { 'evt.time': ns.toString() } }],
      },
    ]);
    expect(await listBacktestSamples(db, org, { jobId: id, change: 'removed', limit: 10 })).toEqual([]);
    expect(await listBacktestSamples(db, otherOrg, { jobId: id, limit: 10 })).toEqual([]);

    expect(await store.finish(id, 'runner-a', { ...checkpoint({ runMs: 100 }), status: 'done' })).toBe(true);
    const done = await getBacktestJob(db, org, id);
    expect(done).toMatchObject({ status: 'done', runMs: 350 });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    // A finished job is nobody's: a late checkpoint of its runner writes nothing.
    expect(await store.checkpoint(id, 'runner-a', checkpoint({ eventsScanned: 1 }))).toEqual({
      lost: true,
      cancelRequested: false,
    });
  });

  it('cancels a queued job at once and asks a running one to stop at its next checkpoint', async () => {
    const queued = await newJob();
    expect(await cancelBacktestJob(db, otherOrg, queued, {})).toBeNull();
    expect(await cancelBacktestJob(db, org, queued, {})).toMatchObject({ status: 'cancelled' });

    const running = await newJob();
    await claimJob('runner-a', running);
    const asked = await cancelBacktestJob(db, org, running, {});
    expect(asked?.status).toBe('running');
    expect(asked?.cancelRequestedAt).toBeInstanceOf(Date);
    expect(await store.checkpoint(running, 'runner-a', checkpoint({ eventsScanned: 10 }))).toEqual({
      lost: false,
      cancelRequested: true,
    });
    await store.finish(running, 'runner-a', { ...checkpoint({ eventsScanned: 10 }), status: 'cancelled' });
    expect(await getBacktestJob(db, org, running)).toMatchObject({ status: 'cancelled', eventsScanned: 10 });
  });

  it('hands a silent runner’s job to another runner, with its checkpoint; the old runner has lost it', async () => {
    const id = await newJob();
    await claimJob('runner-a', id);
    const cursor = { scans: { 'raw:k8s_audit': { time: '2026-12-01 10:00:00+00', id: '42' } } };
    await store.checkpoint(id, 'runner-a', checkpoint({ eventsScanned: 42, cursor, result: { events: 42 } }));
    await silenceRunners();
    const taken = await claimJob('runner-b', id);
    expect(taken).toMatchObject({ id, attempts: 2, eventsScanned: 42, cursor, result: { events: 42 } });
    expect(await store.checkpoint(id, 'runner-a', checkpoint())).toMatchObject({ lost: true });
    expect(await store.finish(id, 'runner-a', { ...checkpoint(), status: 'done' })).toBe(false);
    expect(await store.finish(id, 'runner-b', { ...checkpoint({ eventsScanned: 50 }), status: 'done' })).toBe(
      true,
    );
  });

  it('fails a job that keeps stopping its runners, and cancels a silent one that was asked to stop', async () => {
    const crashing = await newJob();
    for (const runner of ['r1', 'r2', 'r3']) {
      expect((await claimJob(runner, crashing))?.id).toBe(crashing);
      await silenceRunners();
    }
    expect(await claimJob('r4', crashing)).toBeNull();
    const failed = await getBacktestJob(db, org, crashing);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed?.error).toMatch(/stopped 3 times/);

    const abandoned = await newJob();
    await claimJob('r1', abandoned);
    await cancelBacktestJob(db, org, abandoned, {});
    await silenceRunners();
    expect(await claimJob('r2', abandoned)).toBeNull();
    expect(await getBacktestJob(db, org, abandoned)).toMatchObject({ status: 'cancelled' });
  });

  it('puts a job back in the queue when its runner shuts down, without counting an attempt', async () => {
    const id = await newJob();
    await claimJob('runner-a', id);
    const cursor = {
      scans: { 'raw:k8s_audit': 'done' as const, alerts: { time: '2026-12-01 10:00:00+00', id: '9' } },
    };
    expect(await store.release(id, 'runner-a', checkpoint({ eventsScanned: 9, cursor }))).toBe(true);
    expect(await getBacktestJob(db, org, id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      eventsScanned: 9,
    });
    expect(await claimJob('runner-b', id)).toMatchObject({ attempts: 1, cursor, eventsScanned: 9 });
    await store.finish(id, 'runner-b', { ...checkpoint(), status: 'done' });
  });

  it('survives its connections being terminated mid-claim, and claims again after', async () => {
    // A job another runner holds: every claim below goes through its transaction and finds nothing.
    const held = await newJob();
    await claimJob('holder', held);
    const admin = new pg.Client({ connectionString: handle.url });
    await admin.connect();
    const dbName = new URL(handle.url).pathname.slice(1);
    let stop = false;
    let failures = 0;
    const claiming = (async () => {
      while (!stop) {
        await store.claim('runner-t', { staleMs: 3_600_000, maxAttempts: 3 }).catch(() => failures++);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      for (let burst = 0; burst < 15; burst++) {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
          [dbName],
        );
        // Pacing, not waiting for a condition: terminations land at every step of the claims.
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      stop = true;
      await claiming;
      await admin.end();
    }
    expect(failures).toBeGreaterThan(0);
    await store.finish(held, 'holder', { ...checkpoint(), status: 'done' });
    // A lost connection is one failed claim (the caller retries), never an uncaught exception.
    const id = await newJob();
    expect((await claimJob('runner-t', id))?.id).toBe(id);
    await store.finish(id, 'runner-t', { ...checkpoint(), status: 'done' });
  });

  describe('scans', () => {
    const base = Date.parse('2026-12-01T10:00:00Z');
    const scope = () => ({ environmentId: env, from: new Date(base), to: new Date(base + 3_600_000) });

    beforeAll(async () => {
      // 25 k8s events, five per microsecond-precise instant (ties across pages), one outside the
      // range on each side, and one GitHub event; two alerts of one event whose raw event is gone,
      // one of an event that is kept, and one of an event of a source not scanned.
      await db.prisma.$executeRaw`
        INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey")
        SELECT ${org}::uuid, ${env}::uuid, 'k8s_audit',
               ${new Date(base)}::timestamptz + ((i / 5) * interval '1.000001 second'),
               jsonb_build_object('ts', i::text, 'payload', jsonb_build_object('n', i)), 'k/' || i
        FROM generate_series(0, 24) i`;
      await db.prisma.$executeRaw`
        INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey") VALUES
          (${org}::uuid, ${env}::uuid, 'k8s_audit', ${new Date(base - 1)}, '{"n":"before"}', 'k/before'),
          (${org}::uuid, ${env}::uuid, 'k8s_audit', ${new Date(base + 3_600_000)}, '{"n":"after"}', 'k/after'),
          (${org}::uuid, ${env}::uuid, 'github', ${new Date(base + 5)}, '{"n":"gh"}', 'g/1')`;
      const alert = (id: number, rule: string, source: string, key: string, at: number) =>
        db.prisma.alert.create({
          data: {
            id: BigInt(id),
            organizationId: org,
            environmentId: env,
            rule,
            priority: 'warning',
            source,
            output: rule,
            outputFields: { 'proc.name': rule, 'evt.time': 1795428000234567891n.toString() },
            tags: [],
            hostname: 'node-1',
            eventTime: new Date(at),
            dedupKey: rule,
            ingestKey: key,
          },
        });
      await alert(1001, 'A', 'syscall', 'batch/1', base + 1000);
      await alert(1002, 'B', 'syscall', 'batch/1', base + 1000);
      await alert(1003, 'C', 'k8s_audit', 'k/3', base + 1000);
      await alert(1004, 'D', 'syscall', 'batch/2', base + 2000);
      await alert(1005, 'E', 'okta', 'o/1', base + 2000);
    });

    it('counts what is in scope: raw events per source, alerts without a raw event', async () => {
      const counts = await store.countEvents(scope(), ['k8s_audit', 'github', 'syscall']);
      expect(Object.fromEntries(counts.raw)).toEqual({ k8s_audit: 25, github: 1 });
      expect(Object.fromEntries(counts.alerts)).toEqual({ syscall: 3 });
    });

    it('pages raw events of one source in time order, each once, ties on time across pages included', async () => {
      const seen: unknown[] = [];
      let after: { time: string; id: string } | null = null;
      let pages = 0;
      do {
        const page = await store.rawEvents(scope(), 'k8s_audit', after, 4);
        seen.push(...page.rows.map((r) => (r.payload as { payload: { n: number } }).payload.n));
        after = page.after;
        pages++;
      } while (after);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
      expect(pages).toBe(7);
    });

    it('leaves out the raw events that fit a skip, counting them, and sends every other one', async () => {
      // [payload, sent]: only envelopes (ts text, payload object, no other key) whose eventName is
      // a text outside both lists are left out.
      const cases: [unknown, boolean][] = [
        [{ ts: '1', payload: { eventName: 'GetObject' } }, false],
        [{ ts: '2', payload: { eventName: 'RunInstances' } }, true],
        [{ ts: '3', payload: { eventName: 'ConsoleLogin' } }, true],
        [{ ts: '4', payload: { eventName: 5 } }, true],
        [{ ts: '5', payload: { eventName: null } }, true],
        [{ ts: '6', payload: { other: 'GetObject' } }, false],
        [{ ts: '7', payload: { eventName: 'GetObject' }, hostname: 'h', num: 7, org: 'o' }, false],
        [{ ts: '8', payload: { eventName: 'GetObject' }, 'ct.name': 'RunInstances' }, true],
        [{ num: 9, payload: { eventName: 'GetObject' } }, true],
        [{ ts: 10, payload: { eventName: 'GetObject' } }, true],
        [{ ts: '11', payload: [{ eventName: 'GetObject' }] }, true],
        [{ ts: '12', payload: { eventName: 'Get"Obj\\ü\n' } }, false],
        [{ ts: '13', payload: { eventName: 'runinstances' } }, false],
        ['GetObject', true],
        [[{ ts: '15' }], true],
      ];
      for (const [i, [payload]] of cases.entries())
        await db.prisma.$executeRaw`
          INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey")
          VALUES (${org}::uuid, ${env}::uuid, 'aws_cloudtrail', ${new Date(base + 10 * i)},
                  ${JSON.stringify(payload)}::jsonb, ${`ct/${i}`})`;
      const skip = {
        keys: ['ts', 'payload', 'num', 'hostname', 'org'],
        types: [
          { path: ['ts'], type: 'string' as const },
          { path: ['payload'], type: 'object' as const },
        ],
        // Read when eventName is there and no text outside the rules' values.
        may: {
          kind: 'and' as const,
          parts: [
            { kind: 'has' as const, path: ['payload', 'eventName'] },
            {
              kind: 'not' as const,
              part: {
                kind: 'and' as const,
                parts: [
                  { kind: 'text' as const, path: ['payload', 'eventName'] },
                  {
                    kind: 'not' as const,
                    part: {
                      kind: 'in' as const,
                      path: ['payload', 'eventName'],
                      values: ['RunInstances', 'CreateUser', 'ConsoleLogin'],
                    },
                  },
                ],
              },
            },
          ],
        },
      };
      const scan = async (withSkip: boolean) => {
        const sent: unknown[] = [];
        let skipped = 0;
        let after: { time: string; id: string } | null = null;
        do {
          const page = await store.rawEvents(
            scope(),
            'aws_cloudtrail',
            after,
            4,
            withSkip ? skip : undefined,
          );
          sent.push(...page.rows.map((r) => r.payload));
          skipped += page.skipped;
          after = page.after;
        } while (after);
        return { sent, skipped };
      };
      expect(await scan(true)).toEqual({
        sent: cases.filter(([, s]) => s).map(([p]) => p),
        skipped: cases.filter(([, s]) => !s).length,
      });
      expect(await scan(false)).toEqual({ sent: cases.map(([p]) => p), skipped: 0 });
      // Nothing may act: every envelope (ts text, payload object, no other key) is left out: 1-7, 12, 13.
      const all = await store.rawEvents(scope(), 'aws_cloudtrail', null, 100, { ...skip, may: false });
      expect(all.skipped).toBe(9);
      expect(all.rows.map((r) => r.payload)).toEqual([
        cases[7]?.[0],
        cases[8]?.[0],
        cases[9]?.[0],
        cases[10]?.[0],
        cases[13]?.[0],
        cases[14]?.[0],
      ]);
    });

    it('computes every kind of test of a skip as the engine reads the JSON, over payload shapes', async () => {
      const payloads: unknown[] = [];
      const values: unknown[] = [
        'create',
        'CREATE',
        'system:anonymous',
        'System:x',
        'system:',
        '',
        'ü-日本',
        'a"b\\c\n',
        '😀x',
        'x😀',
        '"create',
        '"',
        5,
        0,
        null,
        true,
        [],
        ['create'],
        { verb: 'create' },
        undefined,
      ];
      for (const [i, v] of values.entries()) {
        const record: Record<string, unknown> = { auditID: 'a' };
        if (v !== undefined) record.verb = v;
        record.user = i % 3 === 0 ? v : { username: v };
        if (i % 2 === 0) record.note = v;
        if (i % 4 === 0) delete record.auditID;
        payloads.push({ ts: String(i), payload: record });
      }
      payloads.push({ ts: '90', payload: { user: [{ username: 'create' }], verb: ['create'] } });
      payloads.push({ ts: '91', payload: { user: 'create', verb: { '0': 'create' } } });
      for (const [i, payload] of payloads.entries())
        await db.prisma.$executeRaw`
          INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey")
          VALUES (${org}::uuid, ${env}::uuid, 'okta', ${new Date(base + 10 * i)},
                  ${JSON.stringify(payload)}::jsonb, ${`okta/${i}`})`;
      const verb = ['payload', 'verb'];
      const user = ['payload', 'user', 'username'];
      type T = NonNullable<Parameters<typeof store.rawEvents>[4]>['may'];
      const tests: T[] = [
        { kind: 'text', path: verb },
        { kind: 'has', path: verb },
        { kind: 'has', path: ['payload', 'auditID'] },
        { kind: 'in', path: verb, values: ['create'] },
        { kind: 'in', path: verb, values: ['CREATE', 'ü-日本', ''] },
        { kind: 'startswith', path: user, value: 'system:' },
        { kind: 'startswith', path: user, value: '' },
        { kind: 'startswith', path: verb, value: '😀' },
        { kind: 'endswith', path: verb, value: '😀' },
        { kind: 'endswith', path: user, value: ':x' },
        { kind: 'endswith', path: verb, value: 'a"b\\c\n' },
        { kind: 'contains', path: verb, value: '本' },
        { kind: 'contains', path: user, value: 'Y' },
        { kind: 'not', part: { kind: 'in', path: user, values: ['create', 'system:'] } },
        // Edges of the members column's `"` prefix, a member it keeps only the presence of, one
        // it does not keep, and the envelope's time.
        { kind: 'startswith', path: verb, value: '"' },
        { kind: 'endswith', path: verb, value: '"create' },
        { kind: 'endswith', path: verb, value: '' },
        { kind: 'contains', path: verb, value: '"' },
        { kind: 'in', path: verb, values: ['"create', 'o'] },
        { kind: 'in', path: ['payload', 'auditID'], values: ['a'] },
        { kind: 'text', path: ['payload', 'auditID'] },
        { kind: 'in', path: ['payload', 'note'], values: ['create', ''] },
        { kind: 'has', path: ['payload', 'note'] },
        { kind: 'contains', path: ['payload', 'note'], value: 'e' },
        { kind: 'in', path: ['ts'], values: ['3', '4'] },
        {
          kind: 'or',
          parts: [
            {
              kind: 'and',
              parts: [
                { kind: 'has', path: verb },
                { kind: 'not', part: { kind: 'text', path: verb } },
              ],
            },
            {
              kind: 'and',
              parts: [
                { kind: 'has', path: ['payload', 'auditID'] },
                { kind: 'in', path: verb, values: ['create'] },
              ],
            },
          ],
        },
        true,
        false,
      ];
      // The engine's reading: object members only; text tests hold for JSON strings.
      const at = (e: unknown, path: readonly string[]) => {
        let cur = e;
        for (const k of path) {
          if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k))
            return undefined;
          cur = (cur as Record<string, unknown>)[k];
        }
        return cur;
      };
      const holds = (t: T, e: unknown): boolean => {
        if (typeof t === 'boolean') return t;
        if ('parts' in t)
          return t.kind === 'and' ? t.parts.every((p) => holds(p, e)) : t.parts.some((p) => holds(p, e));
        if (t.kind === 'not') return !holds(t.part, e);
        const v = at(e, t.path);
        if (t.kind === 'has') return v !== undefined;
        if (typeof v !== 'string') return false;
        if (t.kind === 'text') return true;
        if (t.kind === 'in') return t.values.includes(v);
        if (t.kind === 'startswith') return v.startsWith(t.value);
        if (t.kind === 'endswith') return v.endsWith(t.value);
        return v.includes(t.value);
      };
      const check = async (what: string, envelope: Pick<RawEventSkip, 'keys' | 'types'>) => {
        for (const may of tests) {
          const page = await store.rawEvents(scope(), 'okta', null, 1000, { ...envelope, may });
          const label = `${what}: ${JSON.stringify(may)}`;
          expect(
            page.rows.map((r) => r.payload),
            label,
          ).toEqual(payloads.filter((p) => holds(may, p)));
          expect(page.skipped, label).toBe(payloads.filter((p) => !holds(may, p)).length);
        }
      };
      // Another envelope than the members column was written for: read from the payload.
      await check('payload', { keys: ['ts', 'payload'], types: [{ path: ['payload'], type: 'object' }] });
      // The collector's envelope: rows without members (written before them), with members (as
      // ingest writes them), with another layout version, and a mix, all alike.
      const envelope: Pick<RawEventSkip, 'keys' | 'types'> = {
        keys: ['ts', 'payload', 'num', 'hostname', 'org'],
        types: [
          { path: ['ts'], type: 'string' },
          { path: ['payload'], type: 'object' },
        ],
      };
      const setMembers = async (which: (i: number) => 'none' | 'current' | 'other') => {
        for (const [i, payload] of payloads.entries()) {
          const kind = which(i);
          const m = kind === 'none' ? null : rawEventMembers(payload);
          if (kind !== 'none') expect(m).not.toBeNull();
          // Another version's layout: what it holds must not be read as this one's.
          const members = kind === 'other' && m ? ['0', ...m.slice(1).map(() => '"create')] : m;
          await db.prisma.$executeRaw`
            UPDATE raw_events SET members = ${members}::text[]
            WHERE "environmentId" = ${env}::uuid AND "ingestKey" = ${`okta/${i}`}`;
        }
      };
      await check('no members', envelope);
      await setMembers(() => 'current');
      await check('members', envelope);
      await setMembers((i) => (i % 3 === 0 ? 'none' : i % 3 === 1 ? 'current' : 'other'));
      await check('mixed', envelope);
    });

    it('pages alerts whose event was not kept, never splitting the alerts of one event', async () => {
      const pages = async (limit: number) => {
        const out: string[][] = [];
        let after: { time: string; id: string } | null = null;
        do {
          const page = await store.alertEvents(scope(), ['syscall', 'k8s_audit'], after, limit);
          out.push(page.rows.map((r) => r.id));
          after = page.after;
        } while (after);
        return out;
      };
      // 1003's event is kept raw and 1005 is of a source not asked for: neither comes back, at
      // any page size; 1001 and 1002 (one event) share a page whenever a page can hold both.
      for (const limit of [2, 3, 10]) {
        const all = await pages(limit);
        expect(all.flat(), `pages of ${limit}`).toEqual(['1001', '1002', '1004']);
        expect(all[0]?.slice(0, 2), `pages of ${limit}`).toEqual(['1001', '1002']);
      }
      // A page too small for one event's alerts still moves on.
      expect((await pages(1)).flat()).toEqual(['1001', '1002', '1004']);
      const [first] = (await store.alertEvents(scope(), ['syscall'], null, 10)).rows;
      expect(first).toMatchObject({ rule: 'A', ingestKey: 'batch/1', hostname: 'node-1' });
      expect(first?.outputFields).toMatchObject({ 'proc.name': 'A' });
    });
  });
  it('audits who started and who cancelled a job, once per change', async () => {
    const user = await db.prisma.user.create({
      data: { id: 'backtest-auditor', name: 'Auditor', email: 'auditor@example.test' },
    });
    const actor = { userId: user.id, ip: '192.0.2.7', userAgent: 'vitest' };
    const id = await createBacktestJob(
      db,
      {
        organizationId: org,
        environmentId: env,
        ruleSetId,
        draftVersionId: v2,
        baselineVersionId: v1,
        overrides: { lists: {}, macros: {} },
        sources: [],
        from: new Date('2026-12-01T00:00:00Z'),
        to: new Date('2026-12-02T00:00:00Z'),
        createdById: user.id,
        createdByApiKeyId: null,
      },
      actor,
    );
    const entries = () =>
      db.prisma.auditLog.findMany({
        where: { targetType: 'backtest', targetId: id },
        orderBy: { createdAt: 'asc' },
      });
    expect(await entries()).toMatchObject([
      {
        organizationId: org,
        action: 'backtest.start',
        actorUserId: user.id,
        ip: '192.0.2.7',
        after: {
          draftVersionId: v2,
          baselineVersionId: v1,
          environmentId: env,
          from: '2026-12-01T00:00:00.000Z',
        },
      },
    ]);
    // Another organisation's cancel changes nothing and records nothing.
    expect(await cancelBacktestJob(db, otherOrg, id, actor)).toBeNull();
    expect(await entries()).toHaveLength(1);
    await cancelBacktestJob(db, org, id, actor);
    await cancelBacktestJob(db, org, id, actor);
    const all = await entries();
    expect(all.map((e) => e.action)).toEqual(['backtest.start', 'backtest.cancel']);
    expect(all[1]).toMatchObject({ before: { status: 'queued' }, after: { status: 'cancelled' } });

    // A running job's cancel is a request; it is audited as one too.
    const running = await newJob();
    await claimJob('runner-audit', running);
    await cancelBacktestJob(db, org, running, actor);
    await cancelBacktestJob(db, org, running, actor);
    const asked = await db.prisma.auditLog.findMany({
      where: { targetId: running, action: 'backtest.cancel' },
    });
    expect(asked).toMatchObject([{ before: { status: 'running' }, after: { status: 'running' } }]);
    await store.finish(running, 'runner-audit', { ...checkpoint(), status: 'cancelled' });
  });

  it('finds the newest backtest of a version in an environment, with its counts', async () => {
    const older = await newJob();
    const newer = await newJob();
    await claimJob('runner-latest', newer);
    await store.finish(newer, 'runner-latest', {
      ...checkpoint({ eventsScanned: 5, result: { events: 5 } }),
      status: 'done',
    });
    const latest = await getLatestBacktestJob(db, org, { versionId: v2, environmentId: env });
    expect(latest).toMatchObject({ id: newer, status: 'done', result: { events: 5 } });
    expect(latest?.id).not.toBe(older);
    expect(await getLatestBacktestJob(db, otherOrg, { versionId: v2, environmentId: env })).toBeNull();
    expect(await getLatestBacktestJob(db, org, { versionId: v1, environmentId: env })).toBeNull();
    await cancelBacktestJob(db, org, older, {});
  });

  it('prunes finished jobs older than the retention with their samples, never queued or running ones', async () => {
    // Whatever earlier tests left is finished now: out of the way of this test's counts.
    await db.prisma.backtestJob.updateMany({
      where: { status: { in: ['queued', 'running'] } },
      data: { status: 'cancelled', finishedAt: new Date(), runnerId: null },
    });
    const old = new Date(Date.now() - 40 * DAY);
    const sample = {
      rule: 'A',
      change: 'added' as const,
      ref: 'raw:1',
      source: 'k8s_audit',
      eventTime: new Date(),
      event: {},
      activeAlerts: [],
      draftAlerts: [],
    };
    const finished = async (status: 'done' | 'failed' | 'cancelled') => {
      const id = await newJob();
      await claimJob(`runner-${status}`, id);
      await store.finish(id, `runner-${status}`, {
        ...checkpoint({ samples: [sample, { ...sample, ref: 'raw:2' }] }),
        status,
      });
      return id;
    };
    const oldDone = await finished('done');
    const oldFailed = await finished('failed');
    const oldCancelled = await finished('cancelled');
    const recentDone = await finished('done');
    await db.prisma.backtestJob.updateMany({
      where: { id: { in: [oldDone, oldFailed, oldCancelled] } },
      data: { finishedAt: old, createdAt: old },
    });
    // Queued and running jobs asked for long ago (their runner may be slow or gone): kept.
    const oldQueued = await newJob();
    const oldRunning = await newJob();
    await claimJob('runner-slow', oldRunning);
    await db.prisma.backtestJob.updateMany({
      where: { id: { in: [oldQueued, oldRunning] } },
      data: { createdAt: old, startedAt: old },
    });
    const before = new Date(Date.now() - 30 * DAY);
    const samplesOf = (ids: string[]) => db.prisma.backtestSample.count({ where: { jobId: { in: ids } } });
    expect(await samplesOf([oldDone, oldFailed, oldCancelled])).toBe(6);

    // Bounded passes: two, then the last one, then nothing.
    expect(await store.prune(before, 2)).toEqual({ jobs: 2, samples: 4 });
    expect(await store.prune(before, 2)).toEqual({ jobs: 1, samples: 2 });
    expect(await store.prune(before, 2)).toEqual({ jobs: 0, samples: 0 });

    const left = await db.prisma.backtestJob.findMany({
      where: { id: { in: [oldDone, oldFailed, oldCancelled, recentDone, oldQueued, oldRunning] } },
      select: { id: true, status: true },
    });
    expect(left.map((j) => j.id).sort()).toEqual([recentDone, oldQueued, oldRunning].sort());
    expect(await samplesOf([oldDone, oldFailed, oldCancelled])).toBe(0);
    expect(await samplesOf([recentDone])).toBe(2);
    expect(await getBacktestJob(db, org, oldDone)).toBeNull();
    await store.finish(oldRunning, 'runner-slow', { ...checkpoint(), status: 'done' });
    await cancelBacktestJob(db, org, oldQueued, {});
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const url = await provisionTestDatabase();
process.env.PEREGRINE_SECRET_KEY = 'realtime-secret-for-tests-0123456789';
process.env.PEREGRINE_COLLECTOR_URL = 'http://collector.test:2801/';
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb } = await import('@peregrine/db');
const { STATUSES } = await import('./alert-filter.schema');
const { verifyRealtimeToken } = await import('@peregrine/protocol');

const { prisma } = getDb(url);

type Org = Awaited<ReturnType<typeof createOrganization>>;
type User = Awaited<ReturnType<typeof createUser>>;
let orgA: Org;
let orgB: Org;
let envs: Record<string, string>;
let admin: User;
let triager: User;
let viewer: User;
let outsider: User;

interface Seed {
  rule?: string;
  priority?: 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'informational' | 'debug';
  source?: string;
  output?: string;
  outputFields?: Record<string, unknown>;
  tags?: string[];
  hostname?: string | null;
  eventTime?: string;
  env?: string;
  org?: Org;
  dedupKey?: string;
}

/** Inserts alerts the way the collector stores them: a group per dedup key, counted. */
async function insertAlerts(seeds: Seed[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of seeds) {
    const org = s.org ?? orgA;
    const environmentId =
      org === orgA
        ? (envs[s.env ?? 'production'] as string)
        : (
            await prisma.environment.findFirstOrThrow({
              where: { organizationId: org.id, name: 'production' },
            })
          ).id;
    const rule = s.rule ?? 'Terminal shell in container';
    const dedupKey = s.dedupKey ?? `${rule}|${s.hostname ?? 'node-1'}`;
    const eventTime = new Date(s.eventTime ?? Date.now());
    const group = await prisma.alertGroup.upsert({
      where: { environmentId_dedupKey: { environmentId, dedupKey } },
      create: {
        organizationId: org.id,
        environmentId,
        dedupKey,
        rule,
        priority: s.priority ?? 'warning',
        source: s.source ?? 'syscall',
        count: 1,
        firstSeenAt: eventTime,
        lastSeenAt: eventTime,
        lastOutput: s.output ?? 'shell spawned',
      },
      update: { count: { increment: 1 }, lastSeenAt: eventTime },
    });
    const alert = await prisma.alert.create({
      data: {
        organizationId: org.id,
        environmentId,
        rule,
        priority: s.priority ?? 'warning',
        source: s.source ?? 'syscall',
        output: s.output ?? 'shell spawned',
        outputFields: (s.outputFields ?? { 'proc.name': 'bash' }) as object,
        tags: s.tags ?? ['container', 'shell'],
        hostname: s.hostname === undefined ? 'node-1' : s.hostname,
        eventTime,
        dedupKey,
        groupId: group.id,
      },
      select: { id: true },
    });
    ids.push(alert.id.toString());
  }
  return ids;
}

const as = (user: User, org: Org = orgA) => createCaller(contextFor(user, org.id));
const hour = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

beforeAll(async () => {
  orgA = await createOrganization('Alerts A');
  orgB = await createOrganization('Alerts B');
  const rows = await prisma.environment.findMany({ where: { organizationId: orgA.id } });
  envs = Object.fromEntries(rows.map((e) => [e.name, e.id]));
  admin = await createUser('Alert Admin');
  triager = await createUser('Alert Triager');
  viewer = await createUser('Alert Viewer');
  outsider = await createUser('Alert Outsider');
  await addMember(orgA.id, admin.id, 'admin');
  await addMember(orgA.id, triager.id, 'triager');
  await addMember(orgA.id, viewer.id, 'viewer');
  await addMember(orgB.id, outsider.id, 'admin');
});

describe('alerts.list', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    const [shell, write, k8s, staging, old, pct, other] = await insertAlerts([
      { rule: 'Terminal shell in container', priority: 'notice', eventTime: ago(1 * hour) },
      {
        rule: 'Write below etc',
        priority: 'error',
        output: 'File below /etc opened for writing (file=/etc/shadow)',
        outputFields: { 'fd.name': '/etc/shadow', 'proc.pid': 4242 },
        tags: ['filesystem'],
        hostname: 'node-2',
        eventTime: ago(2 * hour),
      },
      {
        rule: 'K8s secret read',
        priority: 'critical',
        source: 'k8s_audit',
        outputFields: { 'k8s.ns.name': 'prod', 'ka.user.name': 'eve' },
        tags: ['k8s'],
        hostname: null,
        eventTime: ago(3 * hour),
      },
      { env: 'staging', priority: 'emergency', eventTime: ago(4 * hour) },
      { priority: 'debug', eventTime: ago(40 * 24 * hour) },
      { output: 'cmdline=cp 100%_done /tmp', eventTime: ago(5 * hour) },
      { org: orgB, priority: 'emergency', eventTime: ago(1 * hour) },
    ]);
    ids = { shell, write, k8s, staging, old, pct, other } as Record<string, string>;
  });

  const list = async (filter: Record<string, unknown>, user: User = viewer) =>
    (await as(user).alerts.list({ filter })).rows.map((r) => r.id);

  it("returns the organisation's alerts newest first, never another organisation's", async () => {
    expect(await list({})).toEqual([ids.shell, ids.write, ids.k8s, ids.staging, ids.pct, ids.old]);
  });

  it('filters by environment, priority (at least / exact), rule, source, tags, host', async () => {
    expect(await list({ environment: 'staging' })).toEqual([ids.staging]);
    expect(await list({ priority: { op: 'gte', value: 'error' } })).toEqual([
      ids.write,
      ids.k8s,
      ids.staging,
    ]);
    expect(await list({ priority: { op: 'eq', value: 'error' } })).toEqual([ids.write]);
    expect(await list({ rules: ['Write below etc', 'K8s secret read'] })).toEqual([ids.write, ids.k8s]);
    expect(await list({ sources: ['k8s_audit'] })).toEqual([ids.k8s]);
    expect(await list({ tags: ['container', 'shell'] })).toEqual([ids.shell, ids.staging, ids.pct, ids.old]);
    expect(await list({ tags: ['k8s', 'shell'] })).toEqual([]);
    expect(await list({ hostnames: ['node-2'] })).toEqual([ids.write]);
  });

  it('filters by time range, free text (wildcards literal) and output fields of any JSON type', async () => {
    expect(await list({ range: '24h' })).not.toContain(ids.old);
    expect(await list({ from: ago(2.5 * hour), to: ago(0.5 * hour) })).toEqual([ids.shell, ids.write]);
    expect(await list({ text: 'ETC/SHADOW' })).toEqual([ids.write]);
    expect(await list({ text: '100%_' })).toEqual([ids.pct]);
    expect(await list({ text: '%' })).toEqual([ids.pct]);
    expect(await list({ fields: [{ key: 'k8s.ns.name', value: 'prod' }] })).toEqual([ids.k8s]);
    expect(await list({ fields: [{ key: 'proc.pid', value: '4242' }] })).toEqual([ids.write]);
    expect(
      await list({
        fields: [
          { key: 'k8s.ns.name', value: 'prod' },
          { key: 'ka.user.name', value: 'mallory' },
        ],
      }),
    ).toEqual([]);
  });

  it('rejects an environment of another organisation by name', async () => {
    expect(await appCodeOf(as(viewer).alerts.list({ filter: { environment: 'nope' } }))).toBe('NOT_FOUND');
  });

  it('paginates by keyset without skipping rows that share a microsecond-precise time', async () => {
    const same = '2026-01-01T00:00:00.123456Z';
    const group = await insertAlerts(
      Array.from({ length: 5 }, () => ({ env: 'staging', rule: 'Same time', eventTime: same })),
    );
    // Prisma truncates to milliseconds; store the microseconds the collector would keep.
    await prisma.$executeRawUnsafe(
      `UPDATE alerts SET "eventTime" = '${same}'::timestamptz WHERE rule = 'Same time'`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { rows: { id: string }[]; nextCursor: string | null } = await as(viewer).alerts.list({
        filter: { rules: ['Same time'] },
        limit: 2,
        cursor,
      });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...group].sort((a, b) => Number(b) - Number(a)));
  });

  it('pages field, tag and text filters across every time window in order', async () => {
    const ages = [0.5 * hour, 2 * hour, 30 * hour, 3 * 24 * hour, 10 * 24 * hour, 45 * 24 * hour];
    const made = await insertAlerts(
      ages.map((age) => ({
        rule: 'Windowed',
        output: `window probe ${age}`,
        outputFields: { 'k8s.ns.name': 'windowed' },
        tags: ['windowed'],
        eventTime: ago(age),
      })),
    );
    for (const filter of [
      { fields: [{ key: 'k8s.ns.name', value: 'windowed' }] },
      { tags: ['windowed'] },
      { text: 'window probe' },
    ]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { rows: { id: string }[]; nextCursor: string | null } = await as(viewer).alerts.list({
          filter,
          limit: 2,
          cursor,
        });
        seen.push(...page.rows.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(made);
    }
  });

  it('treats a cursor it did not issue as the first page', async () => {
    const page = await as(viewer).alerts.list({ filter: {}, cursor: 'garbage' });
    expect(page.rows.length).toBeGreaterThan(0);
  });
});

describe('triage', () => {
  it('sets status and assignee on a selection, with activity and a before/after audit entry', async () => {
    const [a, b] = await insertAlerts([{ rule: 'Triage me' }, { rule: 'Triage me' }]);
    const result = await as(triager).alerts.triage({
      target: { ids: [a as string, b as string] },
      status: 'acknowledged',
      assigneeId: triager.id,
    });
    expect(result).toEqual({ updated: 2, unchanged: 0 });
    const again = await as(triager).alerts.triage({ target: { ids: [a as string] }, status: 'acknowledged' });
    expect(again).toEqual({ updated: 0, unchanged: 1 });
    const detail = await as(viewer).alerts.get({ id: a as string });
    expect(detail.alert).toMatchObject({
      status: 'acknowledged',
      assigneeId: triager.id,
      assigneeName: 'Alert Triager',
    });
    expect(detail.alert.activities).toEqual([
      expect.objectContaining({
        action: 'triaged',
        actorName: 'Alert Triager',
        before: { status: 'open', assigneeId: null },
        after: { status: 'acknowledged', assigneeId: triager.id },
      }),
    ]);
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { organizationId: orgA.id, action: 'alert.triaged' },
      orderBy: { id: 'desc' },
    });
    expect(audit).toMatchObject({ actorUserId: triager.id, targetType: 'alert' });
    expect(audit.before).toEqual({
      alerts: expect.arrayContaining([{ id: a, before: { status: 'open', assigneeId: null } }]),
    });
    expect(audit.after).toEqual({ status: 'acknowledged', assigneeId: triager.id, count: 2 });
  });

  it('refuses an assignee outside the organisation and alerts of another organisation', async () => {
    const [a] = await insertAlerts([{ rule: 'Assign me' }]);
    expect(
      await appCodeOf(as(triager).alerts.triage({ target: { ids: [a as string] }, assigneeId: outsider.id })),
    ).toBe('INVALID_INPUT');
    const [theirs] = await insertAlerts([{ org: orgB, rule: 'Not yours' }]);
    expect(
      await as(triager).alerts.triage({ target: { ids: [theirs as string] }, status: 'resolved' }),
    ).toEqual({
      updated: 0,
      unchanged: 0,
    });
    expect((await prisma.alert.findFirstOrThrow({ where: { id: BigInt(theirs as string) } })).status).toBe(
      'open',
    );
  });

  it('applies to everything matching a filter in batches, up to the confirmed id only', async () => {
    const env = envs.staging as string;
    // 2 500 alerts (more than two batches) in one statement.
    await prisma.$executeRawUnsafe(`
      INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
        hostname, "eventTime", "dedupKey")
      SELECT '${orgA.id}'::uuid, '${env}'::uuid, 'Bulk rule', 'notice', 'syscall', 'bulk ' || g, '{"k8s.ns.name":"bulk"}',
        ARRAY['bulk'], 'bulk-host', now() - g * interval '1 second', 'bulk'
      FROM generate_series(1, 2500) g`);
    const filter = { fields: [{ key: 'k8s.ns.name', value: 'bulk' }], statuses: ['open' as const] };
    const counted = await as(viewer).alerts.count({ filter });
    expect(counted.count).toBe(2500);
    // Arrives after the user confirmed: must stay untouched.
    const [late] = await insertAlerts([
      { env: 'staging', rule: 'Bulk rule', outputFields: { 'k8s.ns.name': 'bulk' } },
    ]);
    const result = await as(triager).alerts.triage({
      target: { filter, maxId: counted.maxId as string },
      status: 'false_positive',
    });
    expect(result).toEqual({ updated: 2500, unchanged: 0 });
    expect((await as(viewer).alerts.count({ filter })).count).toBe(1);
    expect((await prisma.alert.findFirstOrThrow({ where: { id: BigInt(late as string) } })).status).toBe(
      'open',
    );
    const entries = await prisma.auditLog.count({
      where: { organizationId: orgA.id, action: 'alert.status_changed' },
    });
    expect(entries).toBe(3);
    expect(await prisma.alertActivity.count({ where: { action: 'status_changed' } })).toBe(2500);
  });

  it('needs the triager role: viewers may read but not triage or write notes', async () => {
    const [a] = await insertAlerts([{ rule: 'Viewer tries' }]);
    expect(
      await appCodeOf(as(viewer).alerts.triage({ target: { ids: [a as string] }, status: 'resolved' })),
    ).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(as(viewer).alerts.addNote({ alertId: a as string, body: 'hi' }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    await expect(
      as(admin).alerts.triage({ target: { ids: [a as string] }, status: 'resolved' }),
    ).resolves.toEqual({
      updated: 1,
      unchanged: 0,
    });
  });
});

describe('alerts.get and notes', () => {
  it('returns every field, the group, notes, activities and related alerts', async () => {
    const base = Date.now() - 10 * hour;
    const [first, second, sameHost, sameRuleOtherHost] = await insertAlerts([
      {
        rule: 'Detail rule',
        hostname: 'web-1',
        eventTime: new Date(base - 60_000).toISOString(),
        dedupKey: 'd1',
      },
      {
        rule: 'Detail rule',
        hostname: 'web-1',
        eventTime: new Date(base).toISOString(),
        dedupKey: 'd1',
        outputFields: { 'proc.cmdline': '<script>alert(1)</script>', 'proc.pid': 7 },
      },
      { rule: 'Other rule', hostname: 'web-1', eventTime: new Date(base - 120_000).toISOString() },
      { rule: 'Detail rule', hostname: 'web-9', eventTime: new Date(base + 120_000).toISOString() },
    ]);
    await as(triager).alerts.addNote({ alertId: second as string, body: 'Looked at it' });
    const { alert, related } = await as(viewer).alerts.get({ id: second as string });
    expect(alert.outputFields).toEqual({ 'proc.cmdline': '<script>alert(1)</script>', 'proc.pid': 7 });
    expect(alert).toMatchObject({ environmentName: 'production', group: { count: 2 } });
    expect(alert.notes).toEqual([
      expect.objectContaining({ body: 'Looked at it', authorName: 'Alert Triager' }),
    ]);
    expect(alert.activities.map((a) => a.action)).toEqual(['note_added']);
    expect(related.sameGroup.map((r) => r.id)).toEqual([first]);
    expect(related.sameHost.map((r) => r.id)).toEqual([first, sameHost]);
    expect(related.sameRule.map((r) => r.id)).toEqual([sameRuleOtherHost, first]);
    expect(
      await prisma.auditLog.count({ where: { action: 'alert.note_added', targetId: second as string } }),
    ).toBe(1);
  });

  it("hides another organisation's alert", async () => {
    const [theirs] = await insertAlerts([{ org: orgB }]);
    expect(await appCodeOf(as(viewer).alerts.get({ id: theirs as string }))).toBe('NOT_FOUND');
    expect(await appCodeOf(as(triager).alerts.addNote({ alertId: theirs as string, body: 'x' }))).toBe(
      'NOT_FOUND',
    );
  });
});

describe('groups, facets, dashboard', () => {
  it('lists groups with count, first and last seen', async () => {
    await insertAlerts([
      { rule: 'Grouped', dedupKey: 'g1', eventTime: ago(3 * hour) },
      { rule: 'Grouped', dedupKey: 'g1', eventTime: ago(1 * hour) },
    ]);
    const { rows } = await as(viewer).alerts.listGroups({ filter: { rules: ['Grouped'] } });
    expect(rows).toEqual([expect.objectContaining({ rule: 'Grouped', count: 2, openCount: 2 })]);
    const group = rows[0];
    expect(Date.parse(group?.lastSeenAt ?? '') - Date.parse(group?.firstSeenAt ?? '')).toBeGreaterThan(hour);
  });

  it('offers facets from the organisation only', async () => {
    const facets = await as(viewer).alerts.facets({ environment: null });
    expect(facets.rules).toContain('Grouped');
    expect(facets.rules).not.toContain('Not yours');
    expect(facets.sources).toEqual(expect.arrayContaining(['k8s_audit', 'syscall']));
  });

  it('aggregates over time by priority, rules, sources, hosts, namespaces', async () => {
    const dash = await as(viewer).dashboard.getAlerts({
      filter: { range: '24h', environment: 'production' },
    });
    const listed = await as(viewer).alerts.count({ filter: { range: '24h', environment: 'production' } });
    expect(dash.total).toBe(listed.count);
    expect(dash.overTime.reduce((n, b) => n + b.count, 0)).toBe(dash.total);
    expect(dash.byNamespace).toContainEqual({ key: 'prod', count: 1 });
    expect(dash.bySource.map((s) => s.key)).toContain('k8s_audit');
    expect(dash.topRules[0]?.count).toBeGreaterThanOrEqual(dash.topRules.at(-1)?.count ?? 0);
    expect(dash.bucketSeconds).toBe(3600);
    // Filters beyond environment and time aggregate alerts directly; they must agree.
    const direct = await as(viewer).dashboard.getAlerts({
      filter: { range: '24h', environment: 'production', priority: { op: 'gte', value: 'debug' } },
    });
    expect(direct.total).toBe(dash.total);
    expect(direct.byStatus).toEqual(dash.byStatus);
    expect(direct.topRules).toEqual(dash.topRules);
  });
});

describe('hourly rollups behind the dashboard', () => {
  it('follow inserts, triage and deletes, and agree with counting alerts over 30 days', async () => {
    const filter = { range: '30d' as const, environment: 'staging' };
    const before = await as(viewer).dashboard.getAlerts({ filter });
    const [a, b] = await insertAlerts([
      {
        env: 'staging',
        rule: 'Rollup rule',
        outputFields: { 'k8s.ns.name': 'rollup-ns' },
        eventTime: ago(5 * hour),
      },
      {
        env: 'staging',
        rule: 'Rollup rule',
        outputFields: { 'k8s.ns.name': 'rollup-ns' },
        eventTime: ago(50 * hour),
      },
    ]);
    await as(triager).alerts.triage({ target: { ids: [a as string, b as string] }, status: 'resolved' });
    const after = await as(viewer).dashboard.getAlerts({ filter });
    expect(after.total).toBe(before.total + 2);
    const resolved = (d: typeof after) => d.byStatus.find((s) => s.key === 'resolved')?.count ?? 0;
    expect(resolved(after)).toBe(resolved(before) + 2);
    expect(after.byNamespace).toContainEqual({ key: 'rollup-ns', count: 2 });
    const direct = await as(viewer).dashboard.getAlerts({ filter: { ...filter, statuses: [...STATUSES] } });
    expect(direct.total).toBe(after.total);
    expect(direct.byStatus).toEqual(after.byStatus);
    await prisma.alert.deleteMany({ where: { id: { in: [BigInt(a as string), BigInt(b as string)] } } });
    const deleted = await as(viewer).dashboard.getAlerts({ filter });
    expect(deleted.total).toBe(before.total);
    expect(deleted.byNamespace.find((n) => n.key === 'rollup-ns')).toBeUndefined();
  });

  it('do not stand in the way of deleting an organisation', async () => {
    const doomed = await createOrganization('Doomed');
    await insertAlerts([{ org: doomed }, { org: doomed }]);
    await prisma.organization.delete({ where: { id: doomed.id } });
    expect(
      await prisma.$queryRaw<
        unknown[]
      >`SELECT 1 FROM alert_rollups WHERE "organizationId" = ${doomed.id}::uuid`,
    ).toEqual([]);
  });
});

describe('saved views', () => {
  it('keeps private views private, shares shared ones, and guards deletion', async () => {
    const mine = await as(viewer).views.create({
      name: 'Prod criticals',
      query: { env: 'production', prio: 'gte:critical' },
    });
    const shared = await as(triager).views.create({ name: 'Team', query: { status: 'open' }, shared: true });
    expect(await appCodeOf(as(viewer).views.create({ name: 'Prod criticals', query: {} }))).toBe('CONFLICT');
    expect((await as(viewer).views.list()).map((v) => v.name)).toEqual(['Prod criticals', 'Team']);
    expect((await as(triager).views.list()).map((v) => v.name)).toEqual(['Team']);
    expect((await as(outsider, orgB).views.list()).map((v) => v.name)).toEqual([]);
    expect(await appCodeOf(as(triager).views.delete({ id: mine.id }))).toBe('NOT_FOUND');
    expect(await appCodeOf(as(viewer).views.delete({ id: shared.id }))).toBe('INSUFFICIENT_ROLE');
    expect(await appCodeOf(as(outsider, orgB).views.delete({ id: shared.id }))).toBe('NOT_FOUND');
    await expect(as(admin).views.delete({ id: shared.id })).resolves.toEqual({ deleted: true });
    await expect(as(viewer).views.delete({ id: mine.id })).resolves.toEqual({ deleted: true });
    expect(await prisma.auditLog.count({ where: { targetType: 'saved_view' } })).toBe(4);
  });
});

describe('alerts.realtimeToken', () => {
  it("grants the organisation's environments (or one) and verifies with the shared secret", async () => {
    const all = await as(viewer).alerts.realtimeToken({ environment: null });
    expect(all.url).toBe('http://collector.test:2801');
    const claims = await verifyRealtimeToken(all.token, process.env.PEREGRINE_SECRET_KEY as string);
    expect(claims).toMatchObject({ organizationId: orgA.id, userId: viewer.id });
    expect(new Set(claims.environmentIds)).toEqual(new Set(Object.values(envs)));
    const one = await as(viewer).alerts.realtimeToken({ environment: 'staging' });
    expect(one.environmentIds).toEqual([envs.staging]);
  });
});

describe('another organisation', () => {
  it('is denied every alerts, dashboard and views procedure on org A', async () => {
    const caller = createCaller(contextFor(outsider, orgA.id));
    // Thunks: a rejected promise created before it is awaited would be reported as unhandled.
    const calls: (() => Promise<unknown>)[] = [
      () => caller.alerts.list({ filter: {} }),
      () => caller.alerts.count({ filter: {} }),
      () => caller.alerts.get({ id: '1' }),
      () => caller.alerts.triage({ target: { ids: ['1'] }, status: 'resolved' }),
      () => caller.alerts.addNote({ alertId: '1', body: 'x' }),
      () => caller.alerts.listGroups({ filter: {} }),
      () => caller.alerts.facets({ environment: null }),
      () => caller.alerts.realtimeToken({ environment: null }),
      () => caller.dashboard.getAlerts({ filter: {} }),
      () => caller.views.list(),
      () => caller.views.create({ name: 'x', query: {} }),
      () => caller.views.delete({ id: '00000000-0000-0000-0000-000000000000' }),
    ];
    for (const call of calls) expect(await appCodeOf(call())).toBe('NOT_A_MEMBER');
  });
});

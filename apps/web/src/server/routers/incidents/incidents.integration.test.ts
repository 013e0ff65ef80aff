import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * The incident procedures over incidents the correlator made from alerts stored by the
 * collector's store statement: list and detail (timeline with the raw event that explains the
 * alerts), triage, notes, merge and split (with activity and audit entries), and the environment
 * permission checks (a viewer in production triages nothing there; another organisation sees
 * nothing).
 */
const url = await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb, createCollectorStore, correlateQueuedAlerts } = await import('@peregrine/db');
const engine = await import('@peregrine/engine');
const pg = (await import('pg')).default;

const { prisma } = getDb(url);

type Org = Awaited<ReturnType<typeof createOrganization>>;
type User = Awaited<ReturnType<typeof createUser>>;
let org: Org;
let other: Org;
let prod: string;
let staging: string;
let triager: User;
let prodViewer: User;
let viewer: User;
let outsider: User;
const as = (user: User, o: Org = org) => createCaller(contextFor(user, o.id));

const T0 = Date.parse('2026-12-06T10:00:00Z');
let n = 0;

/** Stores alerts (and raw events) through the collector's store statement, then correlates. */
async function store(
  environmentId: string,
  alerts: {
    source: string;
    rule: string;
    fields: Record<string, unknown>;
    at: number;
    tags?: string[];
    hostname?: string;
  }[],
  raw: { source: string; payload: unknown; at: number }[] = [],
): Promise<string[]> {
  const s = createCollectorStore(url, { max: 1 });
  const r = await s.storeBatch({
    organizationId: org.id,
    environmentId,
    eventCount: alerts.length,
    alerts: alerts.map((a) => ({
      rule: a.rule,
      priority: 'warning',
      source: a.source,
      output: a.rule,
      outputFields: a.fields,
      tags: a.tags ?? [],
      hostname: a.hostname ?? null,
      eventTime: new Date(a.at),
      dedupKey: `${a.rule}:${++n}`,
      ingestKey: `k${n}`,
      entities: engine.alertEntities(a.source, a.fields, a.hostname ?? null),
    })),
    rawEvents: raw.map((e) => ({
      source: e.source,
      eventTime: new Date(e.at),
      payload: e.payload,
      ingestKey: `r${++n}`,
      entities: engine.rawEventEntities(e.source, e.payload),
    })),
  });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await correlateQueuedAlerts(pool, engine.defaultIncidentPolicy(2 * 3_600_000));
  await pool.end();
  await s.close();
  if (r.duplicate) throw new Error('duplicate');
  return r.stored.map((a) => a.id);
}

const shell = (pod: string, at: number) => ({
  source: 'syscall',
  rule: 'Terminal shell in container',
  fields: { 'container.id': `c-${pod}`, 'k8s.ns.name': 'prod', 'k8s.pod.name': pod, 'proc.pid': 7 },
  at,
  tags: ['mitre_execution'],
  hostname: 'node-1',
});
const exec = (pod: string, at: number, user = 'alice@example.com') => ({
  source: 'k8s_audit',
  rule: 'Exec or Attach into Pod',
  fields: {
    'ka.user.name': user,
    'ka.target.resource': 'pods',
    'ka.target.namespace': 'prod',
    'ka.target.name': pod,
  },
  at,
  tags: ['mitre_execution', 'mitre_discovery'],
});
const execRaw = (pod: string, at: number) => ({
  source: 'k8s_audit',
  at,
  payload: {
    kind: 'Event',
    verb: 'create',
    user: { username: 'alice@example.com' },
    objectRef: { resource: 'pods', namespace: 'prod', name: pod, subresource: 'exec' },
  },
});

beforeAll(async () => {
  org = await createOrganization('Incidents A');
  other = await createOrganization('Incidents B');
  const rows = await prisma.environment.findMany({ where: { organizationId: org.id } });
  prod = rows.find((e) => e.name === 'production')!.id;
  staging = rows.find((e) => e.name === 'staging')!.id;
  triager = await createUser('Incident Triager');
  prodViewer = await createUser('Incident Prod Viewer');
  viewer = await createUser('Incident Viewer');
  outsider = await createUser('Incident Outsider');
  await addMember(org.id, triager.id, 'triager');
  await addMember(org.id, prodViewer.id, 'triager');
  await addMember(org.id, viewer.id, 'viewer');
  await addMember(other.id, outsider.id, 'admin');
  // A triager who is only a viewer in production.
  const m = await prisma.membership.findFirstOrThrow({
    where: { organizationId: org.id, userId: prodViewer.id },
  });
  await prisma.environmentGrant.create({ data: { membershipId: m.id, environmentId: prod, role: 'viewer' } });
});

describe('incidents procedures', () => {
  it('lists the incident and shows its timeline across sources with the raw event behind it', async () => {
    const [e, s] = await store(
      prod,
      [exec('payments-7f9c', T0), shell('payments-7f9c', T0 + 2000)],
      [execRaw('payments-7f9c', T0 - 100)],
    );
    const list = await as(viewer).incidents.list({});
    expect(list.items).toHaveLength(1);
    const item = list.items[0]!;
    expect(item).toMatchObject({
      environmentName: 'production',
      status: 'open',
      alertCount: 2,
      sources: ['k8s_audit', 'syscall'],
      tactics: ['TA0002', 'TA0007'],
    });
    expect(item.entities.map((x) => `${x.kind}:${x.value}`)).toContain('pod:prod/payments-7f9c');
    const detail = await as(viewer).incidents.get({ id: item.id });
    expect(detail.timeline.map((t) => [t.ref, t.source, t.ref === 'alert' ? t.id : t.raw?.summary])).toEqual([
      ['raw', 'k8s_audit', 'create pods exec payments-7f9c'],
      ['alert', 'k8s_audit', e],
      ['alert', 'syscall', s],
    ]);
    const pod = detail.entities.find((x) => x.kind === 'pod')!;
    expect(detail.timeline.every((t) => t.entityIds.includes(pod.id))).toBe(true);
    // Each alert names its incident (the alert page's link), with status and score.
    expect(await as(viewer).incidents.ofAlert({ alertId: s! })).toEqual([
      {
        id: item.id,
        title: item.title,
        status: 'open',
        score: item.score,
        priority: item.priority,
        alertCount: 2,
      },
    ]);
    // Another organisation: not there.
    expect(await as(outsider, other).incidents.ofAlert({ alertId: s! })).toEqual([]);
    expect((await as(outsider, other).incidents.list({})).items).toEqual([]);
    expect(await appCodeOf(as(outsider, other).incidents.get({ id: item.id }))).toBe('NOT_FOUND');
  });

  it('triages, notes, splits and merges with activity and audit; refuses who may not', async () => {
    const [a, b] = await store(prod, [
      exec('web-1', T0 + 10 * 60_000, 'bob@example.com'),
      shell('web-1', T0 + 10 * 60_000 + 500),
    ]);
    const { items } = await as(viewer).incidents.list({});
    const inc = items.find((i) => i.title.includes('web-1'))!;
    // Viewers, and triagers who are viewers in production, change nothing there.
    expect(await appCodeOf(as(viewer).incidents.update({ id: inc.id, status: 'acknowledged' }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    expect(await appCodeOf(as(prodViewer).incidents.addNote({ id: inc.id, body: 'x' }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    expect(await appCodeOf(as(prodViewer).incidents.split({ id: inc.id, alertIds: [b!] }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    await as(triager).incidents.update({ id: inc.id, status: 'acknowledged', assigneeId: triager.id });
    await as(triager).incidents.addNote({ id: inc.id, body: 'Alice says it was her' });
    const split = await as(triager).incidents.split({ id: inc.id, alertIds: [b!] });
    let left = await as(viewer).incidents.get({ id: inc.id });
    const right = await as(viewer).incidents.get({ id: split.id });
    expect(left.timeline.filter((t) => t.ref === 'alert').map((t) => t.id)).toEqual([a]);
    expect(right.timeline.filter((t) => t.ref === 'alert').map((t) => t.id)).toEqual([b]);
    expect(right.sources).toEqual(['syscall']);
    expect(left.activities.map((x) => x.kind)).toEqual(['created', 'status', 'assignee', 'note', 'split']);
    expect(left.activities[3]).toMatchObject({
      detail: { body: 'Alice says it was her' },
      actor: 'Incident Triager',
    });
    // Splitting everything out is refused; merging back restores one incident.
    expect(await appCodeOf(as(triager).incidents.split({ id: split.id, alertIds: [b!] }))).toBe(
      'INVALID_INPUT',
    );
    const merged = await as(triager).incidents.merge({ targetId: inc.id, sourceIds: [split.id] });
    expect(merged.moved).toBe(1);
    left = await as(viewer).incidents.get({ id: inc.id });
    expect(left.alertCount).toBe(2);
    expect(left.sources).toEqual(['k8s_audit', 'syscall']);
    expect((await as(viewer).incidents.list({})).items.map((i) => i.id)).not.toContain(split.id);
    const audit = await prisma.auditLog.findMany({
      where: { organizationId: org.id, targetType: 'incident' },
      orderBy: { id: 'asc' },
      select: { action: true },
    });
    expect(audit.map((x) => x.action)).toEqual([
      'incident.update',
      'incident.note',
      'incident.split',
      'incident.merge',
    ]);
    // Incidents of two environments never merge.
    await store(staging, [shell('api-1', T0)]);
    const stagingInc = (await as(viewer).incidents.list({ environmentId: staging })).items[0]!;
    expect(
      await appCodeOf(as(triager).incidents.merge({ targetId: inc.id, sourceIds: [stagingInc.id] })),
    ).toBe('INVALID_INPUT');
  });
});

describe('incident list paging', () => {
  it('pages through more than 100 incidents by last activity and id, filters kept, none skipped or repeated', async () => {
    const paged = await createOrganization('Incidents C');
    const reader = await createUser('Incident Pager');
    await addMember(paged.id, reader.id, 'viewer');
    const envs = await prisma.environment.findMany({ where: { organizationId: paged.id } });
    const [p, s] = [
      envs.find((e) => e.name === 'production')!.id,
      envs.find((e) => e.name === 'staging')!.id,
    ];
    // 240 incidents; last activity at microsecond precision (what a JS Date would truncate), in
    // runs of four sharing one instant (the id breaks the tie); a third resolved, a quarter in staging.
    await prisma.$executeRawUnsafe(
      `INSERT INTO incidents ("organizationId", "environmentId", title, status, priority, tactics, sources,
                              "alertCount", score, "firstSeenAt", "lastSeenAt")
       SELECT $1::uuid, CASE WHEN g % 4 = 0 THEN $3::uuid ELSE $2::uuid END, 'paged ' || g,
              (CASE WHEN g % 3 = 0 THEN 'resolved' ELSE 'open' END)::"IncidentStatus", 'warning', '{}', '{syscall}',
              1, 10, $4::timestamptz, $4::timestamptz + (g / 4) * interval '1.000007 second'
       FROM generate_series(1, 240) g`,
      paged.id,
      p,
      s,
      new Date(T0),
    );
    const truth = async (where: string) =>
      (
        await prisma.$queryRawUnsafe<{ id: string }[]>(
          `SELECT id::text AS id FROM incidents WHERE "organizationId" = $1::uuid AND ${where}
           ORDER BY "lastSeenAt" DESC, id DESC`,
          paged.id,
        )
      ).map((r) => r.id);
    const walk = async (input: {
      environmentId?: string;
      status?: ('open' | 'resolved')[];
      limit?: number;
    }) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: { id: string }[]; nextCursor: string | null } = await as(
          reader,
          paged,
        ).incidents.list({ ...input, cursor });
        ids.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      return { ids, pages };
    };
    const all = await walk({});
    expect(all.ids).toEqual(await truth('true'));
    expect(all.ids).toHaveLength(240);
    expect(all.pages).toBe(5);
    const open = await walk({ status: ['open'], limit: 30 });
    expect(open.ids).toEqual(await truth(`status = 'open'`));
    expect(open.ids).toHaveLength(160);
    // 160 is a multiple of 30 plus 10: the last page is short and says it is the last.
    expect(open.pages).toBe(6);
    const stagingOpen = await walk({ environmentId: s, status: ['open'], limit: 7 });
    expect(stagingOpen.ids).toEqual(await truth(`status = 'open' AND "environmentId" = '${s}'`));
    // Exactly one page's worth: no empty page after it.
    const exact = await walk({ environmentId: s, status: ['resolved'], limit: 20 });
    expect(exact.ids).toHaveLength(20);
    expect(exact.pages).toBe(1);
    expect(await appCodeOf(as(reader, paged).incidents.list({ cursor: 'not-a-cursor' }))).toBe(
      'INVALID_INPUT',
    );
  });
});

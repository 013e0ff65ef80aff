import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * The ATT&CK matrix's incident counts over incidents the correlator made from alerts stored by
 * the collector's store statement: per technique and tactic, the incidents with at least one alert
 * in the range whose tags name it, compared with a direct count for a few ranges; and the incident
 * list's ATT&CK filter listing exactly those incidents.
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

let org: Awaited<ReturnType<typeof createOrganization>>;
let viewer: ReturnType<typeof createCaller>;
let prod: string;
let staging: string;
const hour = 3_600_000;
const day = 24 * hour;
const now = Date.now();
let n = 0;

/** Stores alerts through the collector's store statement, then correlates them into incidents. */
async function store(
  environmentId: string,
  alerts: { pod: string; rule: string; tags: string[]; at: number }[],
): Promise<void> {
  const s = createCollectorStore(url, { max: 1 });
  await s.storeBatch({
    organizationId: org.id,
    environmentId,
    eventCount: alerts.length,
    alerts: alerts.map((a) => {
      const fields = { 'container.id': `c-${a.pod}`, 'k8s.ns.name': 'prod', 'k8s.pod.name': a.pod };
      return {
        rule: a.rule,
        priority: 'warning',
        source: 'syscall',
        output: a.rule,
        outputFields: fields,
        tags: a.tags,
        hostname: 'node-1',
        eventTime: new Date(a.at),
        dedupKey: `${a.rule}:${++n}`,
        ingestKey: `k${n}`,
        entities: engine.alertEntities('syscall', fields, 'node-1'),
      };
    }),
    rawEvents: [],
  });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await correlateQueuedAlerts(pool, engine.defaultIncidentPolicy(2 * hour));
  await pool.end();
  await s.close();
}

const SHELL = ['container', 'mitre_execution', 'T1059', 'T1059.004'];
const SHADOW = ['host', 'mitre_credential_access', 'T1003.008'];

/** Incidents of prod with an alert in [from, to) carrying one of `tags`, counted straight in SQL. */
async function directCount(environmentId: string, tags: string[], from: Date, to: Date): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(DISTINCT ia."incidentId")::int AS n FROM incident_alerts ia
     JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
     JOIN incidents i ON i.id = ia."incidentId"
     WHERE i."environmentId" = $1::uuid AND a.tags && $2::text[]
       AND a."eventTime" >= $3 AND a."eventTime" < $4`,
    environmentId,
    tags,
    from,
    to,
  );
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  org = await createOrganization('Attack incidents');
  const [a, v] = await Promise.all([createUser('AI Admin'), createUser('AI Viewer')]);
  await addMember(org.id, a.id, 'admin');
  await addMember(org.id, v.id, 'viewer');
  viewer = createCaller(contextFor(v));
  const envs = await createCaller(contextFor(a)).environment.list();
  prod = envs.find((e) => e.name === 'production')!.id;
  staging = envs.find((e) => e.name === 'staging')!.id;
  // Three incidents in prod (one pod each, days apart so the correlator keeps them apart):
  // pod-a: two shells an hour ago; pod-b: a shell 3 days ago and a shadow read 3 days ago;
  // pod-c: a shadow read 12 days ago and a shell 10 days ago. And one in staging an hour ago.
  await store(prod, [
    { pod: 'pod-c', rule: 'Read shadow', tags: SHADOW, at: now - 12 * day },
    { pod: 'pod-c', rule: 'Shell', tags: SHELL, at: now - 12 * day + 30 * 60_000 },
  ]);
  await store(prod, [
    { pod: 'pod-b', rule: 'Shell', tags: SHELL, at: now - 3 * day },
    { pod: 'pod-b', rule: 'Read shadow', tags: SHADOW, at: now - 3 * day + 60_000 },
  ]);
  await store(prod, [
    { pod: 'pod-a', rule: 'Shell', tags: SHELL, at: now - 2 * hour },
    { pod: 'pod-a', rule: 'Shell', tags: ['mitre_execution', 'T1059'], at: now - hour },
  ]);
  await store(staging, [{ pod: 'pod-s', rule: 'Shell', tags: SHELL, at: now - hour }]);
  expect(await prisma.incident.count({ where: { organizationId: org.id } })).toBe(4);
});

const RANGES = [
  { range: '24h' as const },
  { range: '7d' as const },
  { range: '30d' as const },
  { range: null, from: new Date(now - 13 * day).toISOString(), to: new Date(now - 2 * day).toISOString() },
  {
    range: null,
    from: new Date(now - 12 * day + 10 * 60_000).toISOString(),
    to: new Date(now - hour).toISOString(),
  },
];
/** A cell's id and the tags that name it, for the direct count. */
const CELLS: [string, string[]][] = [
  ['T1059', ['T1059', 'T1059.004']],
  ['T1059.004', ['T1059.004']],
  ['T1003', ['T1003.008']],
  ['T1003.008', ['T1003.008']],
  ['TA0002', ['mitre_execution']],
  ['TA0006', ['mitre_credential_access']],
];

describe('attack.getMatrix incidents', () => {
  it('counts per technique and tactic the incidents with an alert of the range naming it', async () => {
    const expected: Record<string, Record<string, number>> = {};
    for (const input of RANGES) {
      const m = await viewer.attack.getMatrix({ environmentId: prod, ...input });
      const key = input.range ?? `${input.from}..${input.to}`;
      expected[key] = {};
      for (const [id, tags] of CELLS) {
        const c = [...m.techniques, ...m.tactics].find((x) => x.id === id);
        const direct = await directCount(prod, tags, new Date(m.from), new Date(m.to));
        expect(c?.incidents ?? 0, `${key} ${id}`).toBe(direct);
        expected[key][id] = direct;
      }
    }
    // The direct counts are the story above, so the comparison is not of zeros.
    expect(expected['24h']).toMatchObject({ T1059: 1, 'T1059.004': 1, T1003: 0, TA0002: 1 });
    expect(expected['7d']).toMatchObject({ T1059: 2, T1003: 1, TA0006: 1 });
    expect(expected['30d']).toMatchObject({ T1059: 3, T1003: 2, 'T1003.008': 2, TA0002: 3 });
    // From just after pod-c's shadow read: pod-c counts for its later shell only.
    expect(Object.values(expected).at(-1)).toMatchObject({ T1059: 3, T1003: 1 });
    // The alert counts are unchanged beside them.
    const month = await viewer.attack.getMatrix({ environmentId: prod, range: '30d' });
    expect(month.techniques.find((c) => c.id === 'T1059')).toMatchObject({ alerts: 4, incidents: 3 });
    const stage = await viewer.attack.getMatrix({ environmentId: staging, range: '24h' });
    expect(stage.techniques.find((c) => c.id === 'T1059')).toMatchObject({ alerts: 1, incidents: 1 });
  });

  it('lists exactly the counted incidents when the incident list filters by technique or tactic', async () => {
    const m = await viewer.attack.getMatrix({ environmentId: prod, range: '7d' });
    for (const id of ['T1059', 'T1003', 'TA0002', 'TA0006', 'T1611']) {
      const count = [...m.techniques, ...m.tactics].find((c) => c.id === id)?.incidents ?? 0;
      const listed = await viewer.incidents.list({
        environmentId: prod,
        attack: { id, from: m.from, to: m.to },
        limit: 50,
      });
      expect(listed.items.length, id).toBe(count);
      for (const i of listed.items) expect(i.environmentId).toBe(prod);
    }
    const shadow = await viewer.incidents.list({
      environmentId: prod,
      attack: { id: 'T1003', from: m.from, to: m.to },
      limit: 50,
    });
    expect(shadow.items.map((i) => i.entities.map((e) => e.value).join())).toEqual([
      expect.stringContaining('pod-b'),
    ]);
    expect(await appCodeOf(viewer.incidents.list({ attack: { id: 'T1059', from: m.from, to: m.to } }))).toBe(
      'INVALID_INPUT',
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import { Prisma } from '../generated/prisma/client.js';
import { type AlertFilter, findContentHashes } from './web-alerts-filter.js';
import { listAlerts, newestByContentIndex } from './web-alerts-list.js';

/**
 * The alert list with content conditions (text, output fields, tags) over 30 000 alerts whose
 * conditions range from common to rare, so the listing fills its page from the newest rows it
 * checks, walks on along the time index, or reads the rare contents' alerts by hash. Whatever the
 * path, every page must be exactly the next rows of a plain "all matches, newest first" query.
 */
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let organizationId: string;
let production: string;

const TOTAL = 30_000;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_list');
  db = createDb(handle.url, { max: 2 });
  organizationId = (await db.prisma.organization.create({ data: { name: 'L', slug: 'l' } })).id;
  production = (
    await db.prisma.environment.create({ data: { organizationId, name: 'production', displayName: 'P' } })
  ).id;
  const staging = (
    await db.prisma.environment.create({ data: { organizationId, name: 'staging', displayName: 'S' } })
  ).id;
  // One alert a minute back from now, in a shuffled physical order (as a bulk load leaves them).
  // Every 10th carries tag `common`, every 250th the word `medium`, every 3 000th `/etc/shadow`
  // and namespace `rare`; a tenth are in staging; some share a time to test the id tie-break.
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                        "eventTime", "dedupKey")
    SELECT '${organizationId}'::uuid,
           CASE WHEN g % 10 = 7 THEN '${staging}'::uuid ELSE '${production}'::uuid END,
           'R', CASE WHEN g % 7 < 3 THEN 'error' ELSE 'notice' END::"Priority", 'syscall',
           '12:00:00.000000000: opened ' || CASE WHEN g % 3000 = 11 THEN '/etc/shadow'
                                                 WHEN g % 250 = 3 THEN 'medium file'
                                                 ELSE 'file' END || ' ' || g,
           jsonb_build_object('k8s.ns.name', CASE WHEN g % 3000 = 11 THEN 'rare' ELSE 'ns-' || (g % 7) END,
                              'proc.pid', g),
           CASE WHEN g % 10 = 1 THEN ARRAY['common'] ELSE ARRAY['other'] END,
           now() - (g / 2) * interval '1 minute', 'k'
    FROM (SELECT g FROM generate_series(1, ${TOTAL}) g ORDER BY random()) s`);
  await db.prisma.$executeRawUnsafe('ANALYZE alerts');
  await db.prisma.$executeRawUnsafe('ANALYZE alert_contents');
}, 120_000);

afterAll(async () => {
  await db?.close();
  await handle?.drop();
});

/** Every match newest first, by the most direct query there is. */
async function reference(where: string): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT a.id::text AS id FROM alerts a WHERE a."organizationId" = '${organizationId}'::uuid AND ${where}
     ORDER BY a."eventTime" DESC, a.id DESC`,
  );
  return rows.map((r) => r.id);
}

/** Every page of the list, followed by cursor. */
async function pages(filter: Omit<AlertFilter, 'organizationId'>, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let guard = 0;
  do {
    const page = await listAlerts(db, { organizationId, ...filter }, { limit, cursor });
    seen.push(...page.rows.map((r) => r.id));
    cursor = page.nextCursor;
    guard++;
  } while (cursor && guard < 1000);
  return seen;
}

describe('listing alerts by content', () => {
  const cases: [string, Omit<AlertFilter, 'organizationId'>, string, number][] = [
    ['a common tag', { tags: ['common'] }, `a.tags @> ARRAY['common']`, 100],
    ['any of two tags', { anyTags: ['common', 'absent'] }, `a.tags && ARRAY['common', 'absent']`, 100],
    [
      'any of two tags with a rarer word',
      { anyTags: ['absent', 'other'], text: 'medium' },
      `a.tags && ARRAY['absent', 'other'] AND a.output ILIKE '%medium%'`,
      20,
    ],
    ['a less common word', { text: 'medium' }, `a.output ILIKE '%medium%'`, 50],
    [
      'a rare text with a priority',
      { text: '/etc/shadow', priority: { op: 'gte', value: 'error' } },
      `a.output ILIKE '%/etc/shadow%' AND a.priority <= 'error'`,
      3,
    ],
    [
      'a rare output field',
      { fields: [{ key: 'k8s.ns.name', value: 'rare' }] },
      `a."outputFields" @> '{"k8s.ns.name":"rare"}'`,
      2,
    ],
    ['text that matches nothing', { text: 'no-such-thing' }, 'false', 50],
    // The time prefix is not part of the message.
    ['the time prefix', { text: '12:00:00' }, 'false', 50],
  ];

  it.each(cases)('pages %s exactly like the reference query', async (_name, filter, where, limit) => {
    const expected = await reference(where);
    expect(await pages(filter, limit)).toEqual(expected);
  });

  it('holds the densities that lead to each path (the data is not vacuous)', async () => {
    expect((await reference(`a.tags @> ARRAY['common']`)).length).toBe(TOTAL / 10);
    expect((await reference(`a.output ILIKE '%medium%'`)).length).toBe(TOTAL / 250);
    expect((await reference(`a.output ILIKE '%/etc/shadow%'`)).length).toBe(TOTAL / 3000);
  });

  it('pages within one environment and from a cursor taken on any path', async () => {
    const filter = { environmentIds: [production], text: 'medium' };
    const expected = await reference(
      `a."environmentId" = '${production}'::uuid AND a.output ILIKE '%medium%'`,
    );
    expect(await pages(filter, 7)).toEqual(expected);
    const first = await listAlerts(db, { organizationId, ...filter }, { limit: 30 });
    const second = await listAlerts(
      db,
      { organizationId, ...filter },
      { limit: 30, cursor: first.nextCursor },
    );
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(expected.slice(0, 60));
  });
});

/**
 * The rare-content path's reader for scopes the (contentHash, environmentId, eventTime, id) index
 * holds (`newestByContentIndex`): contents that repeat, each shared by many alerts at interleaved
 * and tied times. Whatever the page size, scope and cursor, the rows must be exactly the first of
 * the reference query's, also when a candidate fails the row's own check.
 */
describe('the newest alerts of repeated contents, from the index', () => {
  let org: string;
  let prod: string;
  let stage: string;

  beforeAll(async () => {
    org = (await db.prisma.organization.create({ data: { name: 'R', slug: 'r' } })).id;
    prod = (
      await db.prisma.environment.create({
        data: { organizationId: org, name: 'production', displayName: 'P' },
      })
    ).id;
    stage = (
      await db.prisma.environment.create({ data: { organizationId: org, name: 'staging', displayName: 'S' } })
    ).id;
    // 600 alerts of 40 contents (15 each: worker-0 .. worker-39, the namespace and tag follow the
    // worker), every time shared by three alerts, environments varying within a content; and
    // 2 000 alerts of other contents. Inserted in random order, over three weeks or more (the
    // reader goes week by week), some in weeks without a partition (the default one).
    await db.prisma.$executeRawUnsafe(`
      INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                          "eventTime", "dedupKey")
      SELECT '${org}'::uuid,
             CASE WHEN g % 4 = 0 THEN '${stage}'::uuid ELSE '${prod}'::uuid END,
             'R', 'notice'::"Priority", 'syscall',
             CASE WHEN g <= 600 THEN '12:00:00.000000000: opened /etc/gshadow by worker-' || (g % 40)
                  ELSE '12:00:00.000000000: opened file ' || g END,
             CASE WHEN g <= 600 THEN jsonb_build_object('k8s.ns.name', 'ns-' || ((g % 40) % 3))
                  ELSE jsonb_build_object('proc.pid', g) END,
             CASE WHEN g <= 600 AND (g % 40) % 2 = 0 THEN ARRAY['even'] ELSE ARRAY['other'] END,
             now() - (g % 200) * interval '7 minutes' - ((g % 200) % 3) * interval '6 days', 'k'
      FROM (SELECT g FROM generate_series(1, 2600) g ORDER BY random()) s`);
    await db.prisma.$executeRawUnsafe('VACUUM ANALYZE alerts');
  }, 120_000);

  async function referenceIn(where: string): Promise<{ id: string; t: string }[]> {
    return db.prisma.$queryRawUnsafe<{ id: string; t: string }[]>(
      `SELECT a.id::text AS id, a."eventTime"::text AS t FROM alerts a
       WHERE a."organizationId" = '${org}'::uuid AND ${where} ORDER BY a."eventTime" DESC, a.id DESC`,
    );
  }

  const hour = 3_600_000;
  const cases: [string, (f: { prod: string }) => Omit<AlertFilter, 'organizationId'>, string][] = [
    ['every environment', () => ({ text: 'gshadow' }), `a.output ILIKE '%gshadow%'`],
    [
      'one environment',
      ({ prod }) => ({ text: 'gshadow', environmentIds: [prod] }),
      `a.output ILIKE '%gshadow%' AND a."environmentId" = $PROD`,
    ],
    [
      'a time range',
      () => ({
        text: 'gshadow',
        from: new Date(Date.now() - 12 * hour),
        to: new Date(Date.now() - 3 * hour),
      }),
      `a.output ILIKE '%gshadow%' AND a."eventTime" >= now() - interval '12 hours' AND a."eventTime" < now() - interval '3 hours'`,
    ],
    [
      'a tag and a namespace',
      () => ({ tags: ['even'], fields: [{ key: 'k8s.ns.name', value: 'ns-1' }] }),
      `a.tags @> ARRAY['even'] AND a."outputFields" @> '{"k8s.ns.name":"ns-1"}'`,
    ],
  ];

  it('spans several weekly partitions and the default one', async () => {
    const [weeks] = await db.prisma.$queryRawUnsafe<{ n: number; d: number }[]>(
      `SELECT count(DISTINCT date_trunc('week', "eventTime" AT TIME ZONE 'UTC'))::int AS n,
              (SELECT count(*)::int FROM alerts_default WHERE "organizationId" = '${org}'::uuid) AS d
       FROM alerts WHERE "organizationId" = '${org}'::uuid`,
    );
    expect(weeks?.n).toBeGreaterThanOrEqual(3);
    expect(weeks?.d).toBeGreaterThan(0);
  });

  it.each(cases)(
    'reads %s exactly like the reference query, at every page size and from a cursor',
    async (name, make, where) => {
      const filter: AlertFilter = { organizationId: org, ...make({ prod }) };
      const expected = await referenceIn(where.replace('$PROD', `'${prod}'::uuid`));
      expect(expected.length).toBeGreaterThan(40);
      const contents = await findContentHashes(db, filter, 20_000);
      if (contents.kind !== 'hashes') throw new Error(`expected content hashes, got ${contents.kind}`);
      for (const want of [1, 2, 7, 30, 51, 1000]) {
        // Week by week (the default: every week of the data), and with the rest read at once after
        // none or one week.
        for (const weeksOneByOne of [undefined, 0, 1]) {
          const rows = await newestByContentIndex(db, filter, Prisma.empty, contents.hashes, want, {
            ...(weeksOneByOne === undefined ? {} : { weeksOneByOne }),
          });
          expect([name, want, weeksOneByOne, rows.map((r) => r.id)]).toEqual([
            name,
            want,
            weeksOneByOne,
            expected.slice(0, want).map((r) => r.id),
          ]);
        }
      }
      // From a cursor on a time shared by several alerts.
      const at = expected[20]!;
      const keyset = Prisma.sql`AND (a."eventTime", a.id) < (${at.t}::timestamptz, ${at.id}::bigint)`;
      const rows = await newestByContentIndex(db, filter, keyset, contents.hashes, 15);
      expect(rows.map((r) => r.id)).toEqual(expected.slice(21, 36).map((r) => r.id));
    },
  );

  it('leaves out candidates whose row fails the filter (as a hash collision would) and reads on', async () => {
    // The hashes of worker-1's contents stand in for colliding ones: their alerts are candidates
    // from the index, but their rows do not hold the text.
    const filter: AlertFilter = { organizationId: org, text: 'worker-2' };
    const wanted = await findContentHashes(db, filter, 20_000);
    const other = await findContentHashes(db, { organizationId: org, text: 'worker-1' }, 20_000);
    if (wanted.kind !== 'hashes' || other.kind !== 'hashes') throw new Error('expected content hashes');
    // worker-2, worker-20 .. worker-29: 11 contents; worker-1, worker-10 .. worker-19: 11 more.
    const expected = await referenceIn(`a.output ~ 'worker-2[0-9]?$'`);
    expect(expected.length).toBe(165);
    for (const want of [1, 10, 100, 165, 500]) {
      const rows = await newestByContentIndex(
        db,
        filter,
        Prisma.empty,
        [...other.hashes, ...wanted.hashes],
        want,
      );
      expect([want, rows.map((r) => r.id)]).toEqual([want, expected.slice(0, want).map((r) => r.id)]);
    }
  });
});

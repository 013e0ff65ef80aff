import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import type { AlertFilter } from './web-alerts-filter.js';
import { listAlerts } from './web-alerts-list.js';

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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import { createMigratedTestDatabase } from '../testing.js';
import { type AlertFilter, type ContentMatch, alertWhere, findContentHashes } from './web-alerts-filter.js';
import { listAlerts } from './web-alerts-list.js';

let handle: { url: string; drop(): Promise<void> };
let db: Db;
let organizationId: string;
let otherOrganizationId: string;
let environmentId: string;

async function insert(
  org: string,
  env: string,
  rows: { output: string; fields?: Record<string, unknown> | string; tags?: string[]; minutesAgo?: number }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const inserted = await db.prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                          "eventTime", "dedupKey")
      VALUES (${org}::uuid, ${env}::uuid, 'R', 'warning', 'syscall', ${r.output},
              ${typeof r.fields === 'string' ? r.fields : JSON.stringify(r.fields ?? {})}::jsonb,
              ${r.tags ?? []}::text[], now() - make_interval(mins => ${r.minutesAgo ?? 0}), 'k')
      RETURNING id::text`;
    ids.push(inserted[0]!.id);
  }
  return ids;
}

const ids = async (filter: Omit<AlertFilter, 'organizationId'>, contents: ContentMatch) => {
  const rows = await db.prisma.$queryRaw<{ id: string }[]>`
    SELECT a.id::text FROM alerts a WHERE ${alertWhere({ organizationId, ...filter }, contents)}
    ORDER BY a."eventTime" DESC, a.id DESC`;
  return rows.map((r) => r.id);
};

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_contents');
  db = createDb(handle.url, { max: 2 });
  const org = await db.prisma.organization.create({ data: { name: 'C', slug: 'c' } });
  const other = await db.prisma.organization.create({ data: { name: 'O', slug: 'o' } });
  organizationId = org.id;
  otherOrganizationId = other.id;
  environmentId = (
    await db.prisma.environment.create({ data: { organizationId, name: 'prod', displayName: 'Prod' } })
  ).id;
});

afterAll(async () => {
  await db?.close();
  await handle?.drop();
});

describe('alert contents', () => {
  it('stores one content per distinct message, fields and tags, whatever the time prefix', async () => {
    const fields = { 'proc.name': 'cat', 'fd.name': '/etc/shadow' };
    const [a, b, c, d] = await insert(organizationId, environmentId, [
      { output: '10:00:00.000000001: Warning read /etc/shadow (cat)', fields, tags: ['t1'] },
      { output: '11:22:33.123456789: Warning read /etc/shadow (cat)', fields, tags: ['t1'] },
      { output: '2026-11-23T11:22:33.123456789+0000: Warning read /etc/shadow (cat)', fields, tags: ['t1'] },
      // Same message, other fields: another content.
      {
        output: '12:00:00.000000000: Warning read /etc/shadow (cat)',
        fields: { ...fields, 'proc.name': 'dd' },
      },
    ]);
    const hashes = await db.prisma.$queryRaw<{ id: string; h: string }[]>`
      SELECT id::text, "contentHash"::text AS h FROM alerts WHERE id = ANY(${[a, b, c, d]}::bigint[]) ORDER BY id`;
    expect(new Set(hashes.slice(0, 3).map((r) => r.h)).size).toBe(1);
    expect(hashes[3]!.h).not.toBe(hashes[0]!.h);
    const contents = await db.prisma.$queryRaw<{ message: string; tags: string[] }[]>`
      SELECT message, tags FROM alert_contents WHERE "organizationId" = ${organizationId}::uuid AND hash = ${hashes[0]!.h}::uuid`;
    expect(contents).toEqual([{ message: 'Warning read /etc/shadow (cat)', tags: ['t1'] }]);
    // Contents belong to an organisation: the same alert elsewhere gets its own row.
    await insert(
      otherOrganizationId,
      (
        await db.prisma.environment.create({
          data: { organizationId: otherOrganizationId, name: 'prod', displayName: 'Prod' },
        })
      ).id,
      [{ output: '10:00:00.000000001: Warning read /etc/shadow (cat)', fields, tags: ['t1'] }],
    );
    const perOrg = await db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM alert_contents WHERE hash = ${hashes[0]!.h}::uuid`;
    expect(Number(perOrg[0]!.n)).toBe(2);
  });

  it("stores one content for alerts that differ only by their line's time in the output fields", async () => {
    // What the engine and Falco put in every alert: the line's time, its own per alert (JSON text:
    // nanoseconds are beyond a double).
    const fields = (ns: string) => `{"evt.time":${ns},"proc.name":"nc","fd.name":"/tmp/x"}`;
    const [a, b, c] = await insert(organizationId, environmentId, [
      {
        output: '10:00:00.000000001: Notice line time 1',
        fields: fields('1796554678786990001'),
        minutesAgo: 9,
      },
      {
        output: '10:00:00.000000002: Notice line time 1',
        fields: fields('1796554678786990002'),
        minutesAgo: 8,
      },
      {
        output: '2026-11-23T10:00:00.000000003+0000: Notice line time 1',
        fields: {
          'evt.time.iso8601': '2026-11-23T10:00:00.000000003+0000',
          'proc.name': 'nc',
          'fd.name': '/tmp/x',
        },
        minutesAgo: 7,
      },
    ]);
    const hashes = await db.prisma.$queryRaw<{ h: string }[]>`
      SELECT "contentHash"::text AS h FROM alerts WHERE id = ANY(${[a, b, c]}::bigint[]) ORDER BY id`;
    expect(new Set(hashes.map((r) => r.h)).size).toBe(1);
    const contents = await db.prisma.$queryRaw<{ f: unknown }[]>`
      SELECT "outputFields" AS f FROM alert_contents WHERE hash = ${hashes[0]!.h}::uuid`;
    expect(contents).toEqual([{ f: { 'proc.name': 'nc', 'fd.name': '/tmp/x' } }]);
    // The alert rows keep the time, and a condition on it still finds exactly its alert, by
    // every lookup path, alone or with other content conditions.
    const kept = await db.prisma.$queryRaw<{ t: string }[]>`
      SELECT "outputFields"->>'evt.time' AS t FROM alerts WHERE id = ${b}::bigint`;
    expect(kept).toEqual([{ t: '1796554678786990002' }]);
    const filters: Omit<AlertFilter, 'organizationId'>[] = [
      { fields: [{ key: 'evt.time', value: '1796554678786990002' }] },
      { fields: [{ key: 'evt.time.iso8601', value: '2026-11-23T10:00:00.000000003+0000' }] },
      { fields: [{ key: 'evt.time', value: '1796554678786990001' }], text: 'line time 1' },
      {
        fields: [
          { key: 'evt.time', value: '1796554678786990001' },
          { key: 'proc.name', value: 'nc' },
        ],
      },
      {
        fields: [
          { key: 'evt.time', value: '1796554678786990001' },
          { key: 'proc.name', value: 'dd' },
        ],
      },
    ];
    const expected = [[b], [c], [a], [a], []];
    for (const [i, filter] of filters.entries()) {
      const found = await findContentHashes(db, { organizationId, ...filter });
      expect(await ids(filter, found), JSON.stringify(filter)).toEqual(expected[i]);
      expect(await ids(filter, { kind: 'subquery' }), JSON.stringify(filter)).toEqual(expected[i]);
      expect(await ids(filter, { kind: 'scan' }), JSON.stringify(filter)).toEqual(expected[i]);
      const listed = await listAlerts(db, { organizationId, ...filter }, { limit: 50 });
      expect(listed.rows.map((r) => r.id)).toEqual(expected[i]);
    }
  });

  it('finds the same alerts by every lookup path, and free text never matches the time prefix', async () => {
    await insert(organizationId, environmentId, [
      {
        output: '09:15:00.000000000: Notice shell in container web-1',
        fields: { 'k8s.ns.name': 'prod', 'proc.pid': 4242 },
        tags: ['shell', 'container'],
        minutesAgo: 5,
      },
      {
        output: '09:16:00.000000000: Notice shell in container web-2',
        fields: { 'k8s.ns.name': 'dev' },
        tags: ['shell'],
        minutesAgo: 4,
      },
      {
        output: '09:17:00.000000000: Notice 100%_ done',
        fields: { 'k8s.ns.name': 'prod' },
        tags: ['misc'],
        minutesAgo: 3,
      },
      { output: 'no time prefix at all: shell', fields: {}, tags: [], minutesAgo: 2 },
    ]);
    const filters: Omit<AlertFilter, 'organizationId'>[] = [
      { text: 'SHELL IN' },
      { text: '09:15' },
      { text: '100%_' },
      { text: 'no time prefix' },
      { fields: [{ key: 'k8s.ns.name', value: 'prod' }] },
      { fields: [{ key: 'proc.pid', value: '4242' }] },
      { tags: ['shell', 'container'] },
      { tags: ['shell'], text: 'web-2' },
      { text: 'nothing like this' },
    ];
    for (const filter of filters) {
      const found = await findContentHashes(db, { organizationId, ...filter });
      const bySubquery = await ids(filter, { kind: 'subquery' });
      expect(await ids(filter, found), JSON.stringify(filter)).toEqual(bySubquery);
      expect(await ids(filter, { kind: 'scan' }), JSON.stringify(filter)).toEqual(bySubquery);
      const listed = await listAlerts(db, { organizationId, ...filter }, { limit: 50 });
      expect(listed.rows.map((r) => r.id)).toEqual(bySubquery);
    }
    expect(await ids({ text: '09:15' }, { kind: 'subquery' })).toEqual([]);
    expect((await ids({ text: 'SHELL IN' }, { kind: 'subquery' })).length).toBe(2);
    expect((await ids({ text: 'no time prefix' }, { kind: 'subquery' })).length).toBe(1);
    expect((await ids({ fields: [{ key: 'proc.pid', value: '4242' }] }, { kind: 'subquery' })).length).toBe(
      1,
    );
  });

  it('checks the alert row itself, so a stale or foreign content row cannot widen a result', async () => {
    const [id] = await insert(organizationId, environmentId, [
      { output: '08:00:00.000000000: Notice unique marker alpha', fields: { k: 'v' }, minutesAgo: 1 },
    ]);
    const row = await db.prisma.$queryRaw<
      { h: string }[]
    >`SELECT "contentHash"::text AS h FROM alerts WHERE id = ${id}::bigint`;
    // A content row claiming other text for this hash (as a forged collision would).
    await db.prisma.$executeRaw`
      UPDATE alert_contents SET message = 'Notice something else beta' WHERE hash = ${row[0]!.h}::uuid`;
    expect(
      await ids({ text: 'beta' }, await findContentHashes(db, { organizationId, text: 'beta' })),
    ).toEqual([]);
    expect(await ids({ text: 'beta' }, { kind: 'subquery' })).toEqual([]);
    expect(
      await db.prisma.$queryRaw<{ n: bigint }[]>(
        Prisma.sql`SELECT count(*) AS n FROM alerts WHERE output LIKE '%beta%'`,
      ),
    ).toEqual([{ n: 0n }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import { exportAlerts } from './web-alerts-export.js';
import { listAlerts } from './web-alerts-list.js';

/**
 * The export's keyset walk over 2 500 alerts, many sharing an event time (the id breaks ties):
 * every matching alert once, in the list's order, and 64-bit output fields exact.
 */
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let organizationId: string;
let production: string;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_export');
  db = createDb(handle.url, { max: 2 });
  organizationId = (await db.prisma.organization.create({ data: { name: 'E', slug: 'e' } })).id;
  production = (
    await db.prisma.environment.create({ data: { organizationId, name: 'production', displayName: 'P' } })
  ).id;
  const staging = (
    await db.prisma.environment.create({ data: { organizationId, name: 'staging', displayName: 'S' } })
  ).id;
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                        "eventTime", "dedupKey")
    SELECT '${organizationId}'::uuid, CASE WHEN g % 10 = 3 THEN '${staging}'::uuid ELSE '${production}'::uuid END,
           'R', 'notice', 'syscall', 'out ' || g,
           jsonb_build_object('n', g, 'evt.time', 1700000000123456789::numeric + g), '{}',
           timestamp '2026-01-01 00:00:00.123456' + (g / 7) * interval '1 second', 'k'
    FROM (SELECT g FROM generate_series(1, 2500) g ORDER BY random()) s`);
}, 120_000);

afterAll(async () => {
  await db?.close();
  await handle?.drop();
});

describe('exportAlerts', () => {
  it('walks every matching alert once, newest first, in pages of the size asked', async () => {
    const filter = { organizationId, environmentIds: [production] };
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of exportAlerts(db, filter, 400)) {
      pages.push(page.length);
      ids.push(...page.map((r) => r.id));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(2250);
    expect(pages.every((n) => n <= 400)).toBe(true);
    // The same order as the list's keyset pages.
    const listed = await listAlerts(db, filter, { limit: 500 });
    expect(ids.slice(0, 500)).toEqual(listed.rows.map((r) => r.id));
  });

  it("keeps Falco's time and 64-bit output fields exact", async () => {
    const pages = exportAlerts(db, { organizationId, rules: ['R'] }, 10);
    const first = (await pages.next()).value?.[0];
    await pages.return(undefined);
    const n = Number(/"n": (\d+)/.exec(first?.outputFieldsJson ?? '')?.[1]);
    expect(first?.outputFieldsJson).toContain(`"evt.time": ${1700000000123456789n + BigInt(n)}`);
    expect(first?.time).toMatch(/^2026-01-01T00:0\d:\d{2}\.123456000Z$/);
  });
});

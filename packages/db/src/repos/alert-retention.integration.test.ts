import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase, createTestPool, lastFridayNoon } from '../testing.js';
import {
  alertWeekStart,
  deleteExpiredAlerts,
  dropExpiredAlertPartitions,
  enforceAlertLimits,
  ensureAlertPartitions,
  getAlertRetention,
  listAlertPartitions,
  setAlertRetention,
} from './alert-retention.js';
import { markOrganizationDeleting, purgeOrganization } from './web-organization-deletion.js';

/**
 * Partitioned alert storage and retention on the real server: partitions created ahead, the
 * default partition taking any time, weeks dropped whole only when every alert in them is past its
 * rule, the remainder deleted row by row, limits by count and size, and the rollups and notes
 * following the alerts whichever way they go.
 */
const DAY = 86_400_000;
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let pool: pg.Pool;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('alert_retention');
  db = createDb(handle.url, { max: 2 });
  pool = createTestPool(handle.url, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.close();
  await handle?.drop();
});

beforeEach(async () => {
  await pool.query('DELETE FROM organizations');
});

async function org(slug: string): Promise<{ id: string; production: string; staging: string }> {
  const o = await db.prisma.organization.create({ data: { name: slug, slug } });
  const env = (name: string) =>
    db.prisma.environment
      .create({ data: { organizationId: o.id, name, displayName: name } })
      .then((e) => e.id);
  return { id: o.id, production: await env('production'), staging: await env('staging') };
}

/** Stores one alert through the parent table (as the collector does); returns its id. */
async function alert(
  o: { id: string },
  environmentId: string,
  priority: string,
  eventTime: Date,
  label: string,
): Promise<string> {
  const r = await pool.query<{ id: string }>(
    `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
     VALUES ($1, $2, 'R', $3::"Priority", 'syscall', $4, $5, 'k') RETURNING id::text`,
    [o.id, environmentId, priority, label, eventTime],
  );
  return r.rows[0]!.id;
}

async function outputs(): Promise<string[]> {
  const r = await pool.query<{ output: string }>('SELECT output FROM alerts ORDER BY output');
  return r.rows.map((x) => x.output);
}

async function partitionOf(id: string): Promise<string> {
  const r = await pool.query<{ p: string }>(
    'SELECT tableoid::regclass::text AS p FROM alerts WHERE id = $1',
    [id],
  );
  return r.rows[0]!.p;
}

/** The rollups' priority counts must add up to the alerts stored, whatever removed some. */
async function expectRollupsMatch(): Promise<void> {
  const r = await pool.query<{ rolled: string; stored: string }>(
    `SELECT (SELECT coalesce(sum(count), 0) FROM alert_rollups WHERE dimension = 'priority')::text AS rolled,
            (SELECT count(*) FROM alerts)::text AS stored`,
  );
  expect(r.rows[0]!.rolled).toBe(r.rows[0]!.stored);
}

describe('partitions', () => {
  it('creates the coming weeks ahead, stores any time in the default partition, and moves it out when its week is created', async () => {
    const o = await org('parts');
    const now = Date.now();
    const far = alertWeekStart(now) + 20 * 7 * DAY + DAY;
    const ancient = await alert(o, o.production, 'notice', new Date('1990-01-01T00:00:00Z'), 'ancient');
    const future = await alert(o, o.production, 'notice', new Date('2200-01-01T00:00:00Z'), 'future');
    const later = await alert(o, o.production, 'notice', new Date(far), 'later');
    expect(await partitionOf(ancient)).toBe('alerts_default');
    expect(await partitionOf(future)).toBe('alerts_default');
    expect(await partitionOf(later)).toBe('alerts_default');

    const created = await ensureAlertPartitions(pool, now, 4);
    // The template's partitions reach four weeks past its creation: nothing before them is new.
    expect(
      created.every(
        (p) => p > `alerts_p${new Date(alertWeekStart(now)).toISOString().slice(0, 10).replace(/-/g, '')}`,
      ),
    ).toBe(true);
    const names = (await listAlertPartitions(pool)).map((p) => p.name);
    for (let i = 0; i <= 4; i++) {
      const w = new Date(alertWeekStart(now) + i * 7 * DAY).toISOString().slice(0, 10).replace(/-/g, '');
      expect(names).toContain(`alerts_p${w}`);
    }
    expect(await ensureAlertPartitions(pool, now, 4)).toEqual([]);

    // Twenty weeks on, that week is "this week": its partition is created and the row moves in.
    const moved = await ensureAlertPartitions(pool, far, 1);
    const week = new Date(alertWeekStart(far)).toISOString().slice(0, 10).replace(/-/g, '');
    expect(moved).toContain(`alerts_p${week}`);
    expect(await partitionOf(later)).toBe(`alerts_p${week}`);
    expect(await partitionOf(ancient)).toBe('alerts_default');
    // Same id, same rollups (moving is not storing twice), notes still found by alert id.
    await expectRollupsMatch();
    expect(await outputs()).toEqual(['ancient', 'future', 'later']);
  });

  it('refuses a day that is not a Monday, and a name that is not a week partition', async () => {
    await expect(pool.query(`SELECT alerts_ensure_partition('2026-12-08')`)).rejects.toThrow(/not a Monday/);
    await expect(pool.query(`SELECT alerts_drop_partition('alerts_default')`)).rejects.toThrow(
      /not a week partition/,
    );
  });
});

describe('retention', () => {
  it('drops a week only when all of it is past every rule, deletes the remainder by row, and keeps what the rules keep', async () => {
    // A Friday: the 10-day debug alert's week then ended under 7 days ago, so it is deleted by row.
    const now = lastFridayNoon();
    const ago = (days: number) => new Date(now - days * DAY);
    const a = await org('a');
    const b = await org('b');
    await setAlertRetention(db, {
      organizationId: a.id,
      storageLimitBytes: null,
      actor: {},
      rules: [
        { environmentId: null, priority: null, days: 30 },
        { environmentId: null, priority: 'debug', days: 7 },
        { environmentId: a.production, priority: 'critical', days: 365 },
      ],
    });
    // Org a: debug past 7 days goes, notice past 30 goes, critical in production is kept a year,
    // critical in staging follows the 30-day default. Org b has no rule: everything stays.
    const ids = {
      debugOld: await alert(a, a.staging, 'debug', ago(10), 'a debug 10d'),
      debugNew: await alert(a, a.staging, 'debug', ago(3), 'a debug 3d'),
      noticeNew: await alert(a, a.production, 'notice', ago(20), 'a notice 20d'),
      noticeOld: await alert(a, a.production, 'notice', ago(45), 'a notice 45d'),
      weekGone: await alert(a, a.staging, 'warning', ago(70), 'a warning 70d'),
      critProd: await alert(a, a.production, 'critical', ago(100), 'a critical prod 100d'),
      critStaging: await alert(a, a.staging, 'critical', ago(100), 'a critical staging 100d'),
      bOld: await alert(b, b.production, 'debug', ago(45), 'b debug 45d'),
    };
    for (const id of [ids.weekGone, ids.critStaging, ids.critProd]) {
      await pool.query(`INSERT INTO alert_notes ("alertId", body) VALUES ($1, 'note')`, [id]);
      await pool.query(`INSERT INTO alert_activities ("alertId", action) VALUES ($1, 'note_added')`, [id]);
    }
    // Their weeks get partitions (the rows move out of the default partition).
    await ensureAlertPartitions(pool, now, 1);
    const weekOf = (id: string) => partitionOf(id);
    const gonePartition = await weekOf(ids.weekGone);
    expect(gonePartition).toMatch(/^alerts_p\d{8}$/);

    const dropped = await dropExpiredAlertPartitions(pool, now);
    // The 70-day week holds only a 30-day alert; the 100-day week holds a 365-day one; the 45-day
    // week holds org b's alert, which no rule lets go.
    expect(dropped).toEqual([{ partition: gonePartition, alerts: 1 }]);
    expect((await listAlertPartitions(pool)).map((p) => p.name)).not.toContain(gonePartition);

    // The remainder row by row, in batches of one: every call deletes at most one per pair.
    let total = 0;
    for (;;) {
      const n = await deleteExpiredAlerts(pool, now, 1);
      total += n;
      if (n === 0) break;
    }
    expect(total).toBe(3);
    expect(await outputs()).toEqual(['a critical prod 100d', 'a debug 3d', 'a notice 20d', 'b debug 45d']);
    // Notes and triage history went with their alerts, whether dropped with the week or deleted.
    const notes = await pool.query<{ id: string }>('SELECT "alertId"::text AS id FROM alert_notes');
    expect(notes.rows.map((r) => r.id)).toEqual([ids.critProd]);
    const acts = await pool.query<{ id: string }>('SELECT "alertId"::text AS id FROM alert_activities');
    expect(acts.rows.map((r) => r.id)).toEqual([ids.critProd]);
    await expectRollupsMatch();

    // Nothing more to do: a second pass deletes nothing.
    // (Weeks emptied by the row deletes and ended go too: they hold nothing any rule keeps.)
    expect((await dropExpiredAlertPartitions(pool, now)).every((d) => d.alerts === 0)).toBe(true);
    expect(await deleteExpiredAlerts(pool, now, 100)).toBe(0);
  });

  it('keeps each organisation under the alerts quota and its size limit, oldest first', async () => {
    const now = Date.now();
    const a = await org('qa');
    const b = await org('qb');
    for (let i = 0; i < 8; i++)
      await alert(a, a.production, 'notice', new Date(now - (10 - i) * 60_000), `a${i}`);
    for (let i = 0; i < 3; i++) await alert(b, b.production, 'notice', new Date(now - i * 60_000), `b${i}`);
    let total = 0;
    for (;;) {
      const n = await enforceAlertLimits(pool, 5, 2);
      total += n;
      if (n === 0) break;
    }
    expect(total).toBe(3);
    expect(await outputs()).toEqual(['a3', 'a4', 'a5', 'a6', 'a7', 'b0', 'b1', 'b2']);
    await expectRollupsMatch();

    // Size: a limit of two and a half alerts' worth (at the estimate Settings shows) keeps two,
    // however many passes run (deleting leaves the tables' size as it was until reused).
    const before = await getAlertRetention(db, a.id);
    expect(before.usage.alerts).toBe(5);
    const bytes = Math.floor((before.usage.estimatedBytes / 5) * 2.5);
    await setAlertRetention(db, { organizationId: a.id, storageLimitBytes: bytes, rules: [], actor: {} });
    while ((await enforceAlertLimits(pool, 1_000, 10)) > 0);
    expect(await outputs()).toEqual(['a6', 'a7', 'b0', 'b1', 'b2']);

    const shown = await getAlertRetention(db, a.id);
    expect(shown.storageLimitBytes).toBe(bytes);
    expect(shown.usage.alerts).toBe(2);
    expect(shown.usage.oldestEventTime?.getTime()).toBe(now - 4 * 60_000);
    expect(shown.usage.estimatedBytes).toBeGreaterThan(0);
  });

  it("refuses two rules for one environment and priority, bad days, and another organisation's environment", async () => {
    const a = await org('ra');
    const b = await org('rb');
    const base = { organizationId: a.id, storageLimitBytes: null, actor: {} };
    await expect(
      setAlertRetention(db, {
        ...base,
        rules: [
          { environmentId: a.staging, priority: 'debug', days: 7 },
          { environmentId: a.staging, priority: 'debug', days: 9 },
        ],
      }),
    ).rejects.toThrow(/same environment and priority/);
    await expect(
      setAlertRetention(db, { ...base, rules: [{ environmentId: null, priority: null, days: 0 }] }),
    ).rejects.toThrow(/whole number/);
    await expect(
      setAlertRetention(db, { ...base, rules: [{ environmentId: b.staging, priority: null, days: 5 }] }),
    ).rejects.toThrow(/unknown environment/);
    expect((await getAlertRetention(db, a.id)).rules).toEqual([]);
  });

  it("purges a deleted organisation's alerts without touching another's in the same partitions", async () => {
    const a = await org('pa');
    const b = await org('pb');
    const now = Date.now();
    // One alert a week: org a's three are each first in their partition, and so are org b's
    // last three in theirs, at the same ctid as org a's.
    for (const [o, n] of [
      [a, 3],
      [b, 6],
    ] as const) {
      for (let i = 0; i < n; i++)
        await alert(o, o.production, 'notice', new Date(now - i * 8 * DAY), `${o === a ? 'a' : 'b'}${i}`);
    }
    await ensureAlertPartitions(pool, now, 1);
    await markOrganizationDeleting(db, { organizationId: a.id, confirmName: 'pa' }, {});
    await purgeOrganization(db, a.id, { batchSize: 2 });
    expect(await outputs()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
  });
});

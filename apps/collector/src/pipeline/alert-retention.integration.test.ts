import {
  type CollectorStore,
  createCollectorStore,
  createDb,
  type Db,
  setAlertRetention,
} from '@peregrine/db';
import { createMigratedTestDatabase, lastFridayNoon } from '@peregrine/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RetentionPruner } from './retention.js';

/**
 * The collector's retention pass over alerts on the real server: partitions created ahead, alerts
 * past their rule deleted in batches, the alerts quota (PEREGRINE_MAX_ALERTS_RETAINED) enforced,
 * and a pass cut short by a stop (SIGTERM) finished by the next process's pass.
 */
const DAY = 86_400_000;
const log = pino({ level: 'silent' });
let handle: { url: string; drop(): Promise<void> };
let db: Db;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('collector_alert_retention');
  db = createDb(handle.url, { max: 2 });
});

afterAll(async () => {
  await db?.close();
  await handle?.drop();
});

async function outputs(): Promise<string[]> {
  const rows = await db.prisma.alert.findMany({ select: { output: true }, orderBy: { output: 'asc' } });
  return rows.map((r) => r.output);
}

it('deletes what the rules let go in batches, resumes after a stop mid-pass, and enforces the quota', async () => {
  const o = await db.prisma.organization.create({ data: { name: 'R', slug: 'r' } });
  const env = await db.prisma.environment.create({
    data: { organizationId: o.id, name: 'production', displayName: 'P' },
  });
  await setAlertRetention(db, {
    organizationId: o.id,
    storageLimitBytes: null,
    actor: {},
    rules: [{ environmentId: null, priority: 'debug', days: 7 }],
  });
  // A Friday: the 9-day-old alerts' week ended under 7 days ago, so they go row by row in batches.
  const now = lastFridayNoon();
  await db.prisma.$executeRaw`
    INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
    SELECT ${o.id}::uuid, ${env.id}::uuid, 'R', 'debug', 'syscall', 'old ' || g, ${new Date(now - 9 * DAY)}::timestamptz + g * interval '1 minute', 'k'
    FROM generate_series(1, 5) g
    UNION ALL
    SELECT ${o.id}::uuid, ${env.id}::uuid, 'R', p::"Priority", 'syscall', 'kept ' || p, ${new Date(now - DAY)}::timestamptz + (p = 'notice')::int * interval '1 minute', 'k'
    FROM unnest(ARRAY['debug', 'notice']) p`;

  // First process: batches of one, and a SIGTERM arriving right after the first batch.
  const first: CollectorStore = createCollectorStore(handle.url, { max: 2 });
  const firstPruner: RetentionPruner = new RetentionPruner(
    {
      ...first,
      async deleteExpiredAlerts(at, batch) {
        const n = await first.deleteExpiredAlerts(at, batch);
        void firstPruner.stop();
        return n;
      },
    },
    {
      rawEventDays: 30,
      ingestBatchDays: 7,
      notificationDays: 30,
      intervalMs: 60_000,
      log,
      alerts: { maxAlertsRetained: 1_000, weeksAhead: 6, batchSize: 1 },
    },
  );
  const cut = await firstPruner.pruneOnce(now);
  await first.close();
  expect(cut.alertsExpired).toBe(1);
  const sixAhead = new Date(now + 6 * 7 * DAY);
  expect(cut.partitionsCreated.length).toBeGreaterThan(0);
  const partitions = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'alerts'::regclass AND c.relname <> 'alerts_default'
      AND ${sixAhead}::timestamptz >= to_date(substr(c.relname, 9), 'YYYYMMDD')
      AND ${sixAhead}::timestamptz < to_date(substr(c.relname, 9), 'YYYYMMDD') + 7`;
  expect(Number(partitions[0]?.n)).toBe(1);
  expect(await outputs()).toEqual(['kept debug', 'kept notice', 'old 2', 'old 3', 'old 4', 'old 5']);

  // The next process's pass finishes the job, and never touches what the rule keeps; its quota
  // of one keeps the newest alert only.
  const second = createCollectorStore(handle.url, { max: 2 });
  try {
    const pruner = new RetentionPruner(second, {
      rawEventDays: 30,
      ingestBatchDays: 7,
      notificationDays: 30,
      intervalMs: 60_000,
      log,
      alerts: { maxAlertsRetained: 1, weeksAhead: 6, batchSize: 2 },
    });
    const done = await pruner.pruneOnce(now);
    expect(done.alertsExpired).toBe(4);
    expect(done.alertsOverLimit).toBe(1);
    expect(await outputs()).toEqual(['kept notice']);
  } finally {
    await second.close();
  }
});

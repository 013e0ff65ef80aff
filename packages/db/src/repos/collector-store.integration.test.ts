import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import { registerSensor } from './collector-sensors.js';
import {
  type AlertInput,
  type CollectorStore,
  countRawEvents,
  createCollectorStore,
  getEnvironmentAlertStats,
  listEnvironmentAlerts,
} from './collector-store.js';

let handle: { url: string; drop(): Promise<void> };
let db: Db;
let store: CollectorStore;
let organizationId: string;
let environmentId: string;
let sensorId: string;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('collector_store');
  db = createDb(handle.url, { max: 2 });
  store = createCollectorStore(handle.url, { max: 8 });
  const org = await db.prisma.organization.create({ data: { name: 'Store', slug: 'store' } });
  const env = await db.prisma.environment.create({
    data: { organizationId: org.id, name: 'prod', displayName: 'Prod' },
  });
  organizationId = org.id;
  environmentId = env.id;
  sensorId = (await registerSensor(db, { environmentId, name: 's1' })).sensorId;
});

afterAll(async () => {
  await store?.close();
  await db?.close();
  await handle?.drop();
});

function alert(ingestKey: string, dedupKey: string, at: number, output = `out ${ingestKey}`): AlertInput {
  return {
    rule: 'Rule A',
    priority: 'warning',
    source: 'syscall',
    output,
    outputFields: { 'proc.name': 'bash', 'evt.time': at },
    tags: ['t1', 'has "quotes"'],
    hostname: 'h1',
    eventTime: new Date(at),
    dedupKey,
    ingestKey,
  };
}

describe('collector store', () => {
  it('stores a redelivered event once even when its time is its arrival (another time each delivery)', async () => {
    // A GitHub delivery has no event time of its own: each delivery is timed when it arrives. The
    // alerts table is partitioned by time, so its unique index includes the time; the identity
    // table (alert_ingest_keys) must still catch the redelivery, also when two arrive at once.
    // An environment of its own: the suite's other cases count the shared one's rows.
    const { id: env } = await db.prisma.environment.create({
      data: { organizationId, name: 'redelivery', displayName: 'Redelivery' },
    });
    const delivery = (at: number) => ({
      organizationId,
      environmentId: env,
      eventCount: 1,
      alerts: [{ ...alert('gh-delivery-1', 'gh-d', at), source: 'github' }],
      rawEvents: [{ source: 'github', eventTime: new Date(at), payload: { at }, ingestKey: 'gh-delivery-1' }],
    });
    const week = 7 * 86_400_000;
    const first = await store.storeBatch(delivery(Date.UTC(2026, 10, 2)));
    if (first.duplicate) throw new Error('unreachable');
    expect(first.stored).toHaveLength(1);
    const again = await Promise.all([
      store.storeBatch(delivery(Date.UTC(2026, 10, 2) + 5_000)),
      store.storeBatch(delivery(Date.UTC(2026, 10, 2) + week)),
    ]);
    for (const r of again) {
      if (r.duplicate) throw new Error('unreachable');
      expect(r.stored).toHaveLength(0);
    }
    expect(await db.prisma.alert.count({ where: { environmentId: env, ingestKey: 'gh-delivery-1' } })).toBe(
      1,
    );
    // Twice in one statement, at two times: once.
    const twice = await store.storeBatch({
      organizationId,
      environmentId: env,
      eventCount: 2,
      alerts: [alert('gh-delivery-2', 'gh-d', 1_000), alert('gh-delivery-2', 'gh-d', 2_000)],
    });
    if (twice.duplicate) throw new Error('unreachable');
    expect(await db.prisma.alert.count({ where: { environmentId: env, ingestKey: 'gh-delivery-2' } })).toBe(
      1,
    );
    // The age-pruning case below counts every raw event of the database.
    await db.prisma.rawEvent.deleteMany({ where: { environmentId: env } });
  });

  it('commits a batch once even when the same batch id arrives concurrently', async () => {
    const input = {
      organizationId,
      environmentId,
      sensorId,
      batchId: 'concurrent-1',
      eventCount: 3,
      alerts: [alert('k1', 'd1', 1_000), alert('k2', 'd1', 3_000, 'latest'), alert('k3', 'd2', 2_000)],
      rawEvents: [{ source: 'syscall', eventTime: new Date(1_000), payload: { a: 1 }, ingestKey: 'k1' }],
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => store.storeBatch(input)));
    const fresh = results.filter((r) => !r.duplicate);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ duplicate: false, skipped: 0 });
    if (!fresh[0] || fresh[0].duplicate) throw new Error('unreachable');
    expect(fresh[0].stored.map((a) => a.ingestKey)).toEqual(['k1', 'k2', 'k3']);
    expect(fresh[0].stored[0]!.groupId).toBe(fresh[0].stored[1]!.groupId);
    expect(await store.isBatchSeen(sensorId, 'concurrent-1')).toBe(true);
    expect(await store.isBatchSeen(sensorId, 'concurrent')).toBe(false);

    const stats = await getEnvironmentAlertStats(db, environmentId);
    expect(stats.alerts).toBe(3);
    expect(stats.groups.map((g) => g.count)).toEqual([2, 1]);
    expect(await countRawEvents(db, environmentId)).toBe(1);
    const group = await db.prisma.alertGroup.findFirst({ where: { dedupKey: 'd1' } });
    expect(group?.lastOutput).toBe('latest');
    expect(group?.firstSeenAt.getTime()).toBe(1_000);
    expect(group?.lastSeenAt.getTime()).toBe(3_000);
    const stored = await listEnvironmentAlerts(db, environmentId);
    expect(stored.find((a) => a.ingestKey === 'k1')?.outputFields).toEqual({
      'proc.name': 'bash',
      'evt.time': 1_000,
    });
    const tags = await db.prisma.alert.findFirst({ where: { ingestKey: 'k1' }, select: { tags: true } });
    expect(tags?.tags).toEqual(['t1', 'has "quotes"']);
  });

  it('skips re-delivered events without a batch id and never inflates their group', async () => {
    const base = { organizationId, environmentId, eventCount: 2 };
    const first = await store.storeBatch({
      ...base,
      alerts: [alert('c1', 'd3', 5_000), alert('c2', 'd3', 6_000)],
    });
    expect(first.duplicate).toBe(false);
    const again = await store.storeBatch({
      ...base,
      alerts: [alert('c2', 'd3', 6_000), alert('c3', 'd3', 7_000), alert('c3', 'd3', 7_000)],
    });
    if (again.duplicate) throw new Error('no batch id: never a duplicate batch');
    expect(again.stored.map((a) => a.ingestKey)).toEqual(['c3']);
    expect(again.skipped).toBe(2);
    const group = (await getEnvironmentAlertStats(db, environmentId)).groups.find((g) => g.dedupKey === 'd3');
    expect(group?.count).toBe(3);
  });

  it('stores a redelivered raw event once and counts it as a duplicate, also within one statement', async () => {
    const base = { organizationId, environmentId, eventCount: 2, alerts: [] };
    const raw = (ingestKey: string) => ({
      source: 'github',
      eventTime: new Date(10_000),
      payload: { delivery: ingestKey },
      ingestKey,
    });
    const first = await store.storeBatch({ ...base, rawEvents: [raw('gh-1'), raw('gh-2')] });
    expect(first).toMatchObject({ duplicate: false, rawDuplicates: 0 });
    const [again, mixed] = await store.storeBatches([
      { ...base, rawEvents: [raw('gh-2'), raw('gh-3')] },
      { ...base, rawEvents: [raw('gh-3'), raw('gh-1'), raw('gh-4')] },
    ]);
    expect(again).toMatchObject({ duplicate: false, rawDuplicates: 1 });
    expect(mixed).toMatchObject({ duplicate: false, rawDuplicates: 2 });
    const rows = await db.prisma.rawEvent.findMany({
      where: { environmentId, source: 'github' },
      select: { ingestKey: true },
      orderBy: { ingestKey: 'asc' },
    });
    expect(rows.map((r) => r.ingestKey)).toEqual(['gh-1', 'gh-2', 'gh-3', 'gh-4']);
  });

  it('stores several batches in one statement with per-batch duplicate verdicts', async () => {
    const base = { organizationId, environmentId, sensorId, eventCount: 1 };
    const results = await store.storeBatches([
      { ...base, batchId: 'multi-1', alerts: [alert('m1', 'd4', 8_000)] },
      { ...base, batchId: 'concurrent-1', alerts: [alert('k9', 'd4', 8_000)] },
      { ...base, batchId: 'multi-2', alerts: [alert('m2', 'd4', 9_000)] },
      { ...base, batchId: 'multi-1', alerts: [alert('m1', 'd4', 8_000)] },
      {
        organizationId,
        environmentId,
        eventCount: 1,
        alerts: [alert('m3', 'd4', 9_500), alert('c1', 'd4', 5_000)],
      },
    ]);
    expect(results.map((r) => (r.duplicate ? 'dup' : r.stored.map((a) => a.ingestKey).join(',')))).toEqual([
      'm1',
      'dup',
      'm2',
      'dup',
      'm3',
    ]);
    const last = results[4]!;
    expect(!last.duplicate && last.skipped).toBe(1);
    const group = (await getEnvironmentAlertStats(db, environmentId)).groups.find((g) => g.dedupKey === 'd4');
    expect(group?.count).toBe(3);
    expect(await store.isBatchSeen(sensorId, 'multi-2')).toBe(true);
    await expect(
      store.storeBatches([
        { ...base, batchId: 'x', alerts: [] },
        { ...base, environmentId: organizationId, batchId: 'y', alerts: [] },
      ]),
    ).rejects.toThrow(/one environment/);
  });

  it('prunes raw events and batch ids by age', async () => {
    expect(await store.pruneRawEvents(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.pruneRawEvents(new Date(Date.now() + 60_000))).toBe(5); // one syscall raw event, four GitHub deliveries
    expect(await store.pruneIngestBatches(new Date(Date.now() + 60_000))).toBe(3);
    expect(await store.isBatchSeen(sensorId, 'concurrent-1')).toBe(false);
  });
});

describe('collector store net', () => {
  it('stores documents holding NUL and lone surrogates with U+FFFD and reports it', async () => {
    const repaired: number[] = [];
    const netted = createCollectorStore(handle.url, { max: 1, onRepairedText: (n) => repaired.push(n) });
    try {
      const bad = alert('net-1', 'net-d1', 5_000, 'shell \u0000 in \ud800');
      bad.outputFields = { 'proc.name\u0000': 'x\udc00' };
      const result = await netted.storeBatch({
        organizationId,
        environmentId,
        eventCount: 2,
        alerts: [bad, alert('net-2', 'net-d1', 6_000)],
        rawEvents: [
          {
            source: 'okta',
            eventTime: new Date(5_000),
            payload: { actor: 'a\ud800', n: '\\u0000' },
            ingestKey: 'net-raw-1',
          },
        ],
      });
      expect(result).toMatchObject({ duplicate: false, skipped: 0 });
      expect(repaired).toEqual([5]);
      const row = await db.prisma.alert.findFirst({ where: { environmentId, ingestKey: 'net-1' } });
      expect(row?.output).toBe('shell \ufffd in \ufffd');
      expect(row?.outputFields).toEqual({ 'proc.name\ufffd': 'x\ufffd' });
      const raw = await db.prisma.rawEvent.findFirst({ where: { environmentId, source: 'okta' } });
      expect(raw?.payload).toEqual({ actor: 'a\ufffd', n: '\\u0000' });
    } finally {
      await netted.close();
    }
  });
});

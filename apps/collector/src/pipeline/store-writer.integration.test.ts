import {
  type AlertInput,
  type CollectorStore,
  createCollectorStore,
  getEnvironmentAlertStats,
  type StoreBatchInput,
} from '@peregrine/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../testing/world.js';
import { StoreWriter } from './store-writer.js';
import { StoreUnavailableError } from './types.js';

let world: World;
let store: CollectorStore;

beforeAll(async () => {
  world = await createWorld('store_writer');
  store = createCollectorStore(world.url, { max: 4 });
});

afterAll(async () => {
  await store?.close();
  await world?.close();
});

function alert(ingestKey: string, priority = 'warning'): AlertInput {
  return {
    rule: 'R',
    priority: priority as AlertInput['priority'],
    source: 'syscall',
    output: ingestKey,
    outputFields: {},
    tags: [],
    hostname: null,
    eventTime: new Date(),
    dedupKey: 'same-group',
    ingestKey,
  };
}

describe('StoreWriter', () => {
  it('groups concurrent batches of one environment into few statements', async () => {
    const calls: number[] = [];
    const writer = new StoreWriter({
      storeBatches: (inputs) => {
        calls.push(inputs.length);
        return store.storeBatches(inputs);
      },
    });
    const batch = (i: number): StoreBatchInput => ({
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      sensorId: world.sensor.sensorId,
      batchId: `w-${i}`,
      eventCount: 1,
      alerts: [alert(`w-${i}`)],
    });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => writer.submit(batch(i))));
    expect(results.every((r) => !r.duplicate && r.stored.length === 1)).toBe(true);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(30);
    // The first statement carries one batch; the rest arrived meanwhile and share the next one.
    expect(calls.length).toBeLessThan(30);
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).groups[0]?.count).toBe(30);
    // Re-submitted: all duplicates, in one go.
    const again = await Promise.all(Array.from({ length: 5 }, (_, i) => writer.submit(batch(i))));
    expect(again.every((r) => r.duplicate)).toBe(true);
  });

  it('stores the good batches of a group and the good events of a batch the database refused', async () => {
    const writer = new StoreWriter(store);
    const base = { organizationId: world.organizationId, environmentId: world.environmentId, eventCount: 1 };
    // An enum value Postgres refuses (22P02) stands for any value it refuses.
    const [good1, bad, good2] = await Promise.all([
      writer.submit({ ...base, alerts: [alert('g-1')] }),
      writer.submit({
        ...base,
        eventCount: 5,
        alerts: [alert('b-1'), alert('b-2'), alert('b-3', 'not-a-priority'), alert('b-4'), alert('b-5')],
      }),
      writer.submit({ ...base, alerts: [alert('g-2')] }),
    ]);
    for (const r of [good1, good2]) expect(r).toMatchObject({ duplicate: false, rejected: [] });
    if (bad.duplicate) throw new Error('not a duplicate');
    expect(bad.stored.map((a) => a.ingestKey).sort()).toEqual(['b-1', 'b-2', 'b-4', 'b-5']);
    expect(bad.rejected).toEqual([{ ingestKey: 'b-3', reason: expect.stringMatching(/^22P02 /) }]);
  });

  it('records every part of an isolated sensor batch, so a re-sent batch stays a duplicate', async () => {
    const writer = new StoreWriter(store);
    const batch: StoreBatchInput = {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      sensorId: world.sensor.sensorId,
      batchId: 'isolated-1',
      eventCount: 10,
      alerts: [alert('s-1'), alert('s-2', 'not-a-priority'), alert('s-3')],
    };
    const first = await writer.submit(batch);
    if (first.duplicate) throw new Error('not a duplicate');
    expect(first.stored.map((a) => a.ingestKey).sort()).toEqual(['s-1', 's-3']);
    expect(first.rejected.map((r) => r.ingestKey)).toEqual(['s-2']);
    expect(await store.isBatchSeen(world.sensor.sensorId, 'isolated-1')).toBe(true);
    const parts = await world.db.prisma.$queryRawUnsafe<{ batchId: string; eventCount: number }[]>(
      `SELECT "batchId", "eventCount" FROM ingest_batches WHERE "batchId" LIKE 'isolated-1%' ORDER BY 1`,
    );
    expect(parts.reduce((n, p) => n + p.eventCount, 0)).toBe(10);
    expect(parts.every((p) => p.batchId.startsWith('isolated-1/'))).toBe(true);
  });

  it('retries a statement whose connection was lost, then reports the database unavailable', async () => {
    let calls = 0;
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const flaky = new StoreWriter(
      {
        storeBatches: (inputs) => {
          calls++;
          return calls === 1 ? Promise.reject(lost) : store.storeBatches(inputs);
        },
      },
      { retryDelaysMs: [10] },
    );
    const base = { organizationId: world.organizationId, environmentId: world.environmentId, eventCount: 1 };
    expect(await flaky.submit({ ...base, alerts: [alert('r-1')] })).toMatchObject({ duplicate: false });
    expect(calls).toBe(2);
    // A real store on a port where no database listens.
    const unreachable = createCollectorStore('postgresql://postgres@127.0.0.1:1/postgres', { max: 1 });
    const down = new StoreWriter(unreachable, { retryDelaysMs: [1, 1] });
    try {
      await expect(down.submit({ ...base, alerts: [alert('r-2')] })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await unreachable.close();
    }
  });
});

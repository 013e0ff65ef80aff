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

  it('fails only the bad batch of a group', async () => {
    const writer = new StoreWriter(store);
    const base = { organizationId: world.organizationId, environmentId: world.environmentId, eventCount: 1 };
    const [good1, bad, good2] = await Promise.allSettled([
      writer.submit({ ...base, alerts: [alert('g-1')] }),
      writer.submit({ ...base, alerts: [alert('b-1', 'not-a-priority')] }),
      writer.submit({ ...base, alerts: [alert('g-2')] }),
    ]);
    expect(good1.status).toBe('fulfilled');
    expect(good2.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
  });
});

import { randomBytes } from 'node:crypto';
import { getEnvironmentAlertStats } from '@peregrine/db';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { createWorld, syscallEvent, type World } from '../testing/world.js';
import { NatsWorkQueue } from './nats.js';
import type { WorkItem } from './work.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const STREAM = `PEREGRINE_TEST_${randomBytes(4).toString('hex').toUpperCase()}`;

let world: World;
let collector: Collector;
let queue: NatsWorkQueue;

beforeAll(async () => {
  world = await createWorld('nats_redelivery');
  // A local-mode collector provides the real processor (rules, store, socket.io).
  collector = await world.collector();
  queue = new NatsWorkQueue({
    url: NATS_URL,
    stream: STREAM,
    consumer: 'collector',
    concurrency: 2,
    log: collector.app.log,
    metrics: collector.metrics,
  });
  await queue.connect();
});

afterAll(async () => {
  await queue?.close();
  const nc = await connect({ servers: NATS_URL });
  try {
    await (await jetstreamManager(nc)).streams.delete(STREAM);
  } catch {
    // already gone
  }
  await nc.close();
  await collector?.stop();
  await world?.close();
});

describe('JetStream work queue', () => {
  it('redelivers work whose acknowledgement was lost, and the database keeps it exactly once', async () => {
    const attempts = new Map<string, number>();
    let committed = 0;
    // Commits, then "crashes" before acknowledging on each item's first delivery.
    await queue.startConsuming({
      async process(item: WorkItem) {
        const key = item.kind === 'events' ? (item.batchId ?? '') : '';
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        const result = await collector.processor.process(item);
        committed += result.alerts;
        if (n === 1) throw new Error('crashed after commit');
        return result;
      },
    });
    const origin = {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      sensorId: world.sensor.sensorId,
    };
    for (let b = 0; b < 3; b++) {
      const item: WorkItem = {
        kind: 'events',
        origin,
        batchId: `nq-${b}`,
        storeRaw: false,
        receivedAt: Date.now(),
        events: [0, 1, 2, 3].map((i) => ({
          source: 'syscall',
          event: syscallEvent('execve', i % 2 ? 'bash' : 'ls'),
          ingestKey: `${world.sensor.sensorId}:nq-${b}:${i}`,
        })),
      };
      const published = await queue.publish(item);
      expect(published).toMatchObject({ accepted: 4, duplicates: 0, queued: true });
      // The same batch id again within the duplicate window: JetStream drops it.
      expect(await queue.publish(item)).toMatchObject({ accepted: 0, duplicates: 4 });
    }
    await vi.waitFor(
      () =>
        expect(
          [...attempts.values()].filter((n) => n >= 2),
          JSON.stringify([...attempts]),
        ).toHaveLength(3),
      { timeout: 30_000, interval: 100 },
    );
    const stats = await getEnvironmentAlertStats(world.db, world.environmentId);
    expect(stats.alerts).toBe(6);
    expect(committed).toBe(6);
    expect(stats.groups.reduce((n, g) => n + g.count, 0)).toBe(6);
  });
});

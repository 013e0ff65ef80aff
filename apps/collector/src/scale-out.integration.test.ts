import { randomBytes } from 'node:crypto';
import { getEnvironmentAlertStats, listEnvironmentAlerts } from '@peregrine/db';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CollectorProcess, ensureBuilt, startCollectorProcess } from './testing/processes.js';
import {
  connectConsole,
  createWorld,
  postBatch,
  syscallEvent,
  TEST_SECRET,
  type World,
} from './testing/world.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const STREAM = `PEREGRINE_TEST_${randomBytes(4).toString('hex').toUpperCase()}`;

let world: World;
const processes: CollectorProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  world = await createWorld('scale_out');
  const env = {
    DATABASE_URL: world.url,
    NATS_URL,
    NATS_STREAM: STREAM,
    REDIS_URL,
    PEREGRINE_SECRET_KEY: TEST_SECRET,
    COLLECTOR_CONCURRENCY: '2',
  };
  // One at a time: the first creates the stream and the durable consumer.
  processes.push(await startCollectorProcess(env));
  processes.push(await startCollectorProcess(env));
}, 120_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  const nc = await connect({ servers: NATS_URL });
  try {
    await (await jetstreamManager(nc)).streams.delete(STREAM);
  } catch {
    // already gone
  }
  await nc.close();
  await world?.close();
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

describe('scale-out over NATS JetStream and Redis', () => {
  it('stores every alert exactly once and pushes it to a client on the other process', async () => {
    const [ingest, push] = processes as [CollectorProcess, CollectorProcess];
    const client = await connectConsole(push.url, {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
    });
    const batches = Array.from({ length: 40 }, (_, i) => ({
      sensorId: 'machine-1',
      batchId: `so-${i}`,
      seq: i + 1,
      events: Array.from({ length: 10 }, (_, j) => syscallEvent('execve', j % 2 ? 'bash' : 'ls')),
    }));
    const answers = await Promise.all(batches.map((b) => postBatch(ingest.url, world.sensor.apiKey, b)));
    expect(answers.every((a) => a.status === 200 && a.body.accepted === 10)).toBe(true);
    // Re-send a few batches: at-least-once delivery must not produce second alerts.
    const resent = await Promise.all(
      batches.slice(0, 5).map((b) => postBatch(push.url, world.sensor.apiKey, b)),
    );
    // JetStream drops the resends at publish (same msg id within the duplicate window), so no work
    // is left behind them once the original batches' alerts are in: nothing to wait out below.
    expect(resent.map((a) => [a.status, a.body.duplicate])).toEqual(resent.map(() => [200, true]));

    const expected = 40 * 5;
    await client.waitFor(expected, 30_000);
    await vi.waitFor(
      async () =>
        expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(expected),
      { timeout: 10_000, interval: 100 },
    );
    const alerts = await listEnvironmentAlerts(world.db, world.environmentId, 10_000);
    expect(alerts).toHaveLength(expected);
    expect(new Set(alerts.map((a) => a.ingestKey)).size).toBe(expected);
    const stats = await getEnvironmentAlertStats(world.db, world.environmentId);
    expect(stats.groups.reduce((n, g) => n + g.count, 0)).toBe(expected);
    // Each alert reached the client once, whichever process committed it.
    const pushed = client.alerts.flatMap((p) => p.alerts.map((a) => a.id));
    expect(new Set(pushed).size).toBe(expected);
    expect(pushed).toHaveLength(expected);
    // Both processes consumed work: alerts committed on `ingest` reached the client via Redis.
    const storedOnIngest = await metric(ingest.url, 'peregrine_collector_alerts_stored_total');
    const storedOnPush = await metric(push.url, 'peregrine_collector_alerts_stored_total');
    expect(storedOnIngest + storedOnPush).toBe(expected);
    expect(storedOnIngest).toBeGreaterThan(0);
    client.socket.disconnect();
  }, 60_000);

  it('drains and exits cleanly on SIGTERM', async () => {
    for (const p of processes.splice(0)) expect(await p.stop()).toBe(0);
  }, 30_000);
});

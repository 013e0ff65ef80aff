import { REALTIME_EVENTS, signRealtimeToken } from '@peregrine/protocol';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../app.js';
import {
  connectConsole,
  createWorld,
  postBatch,
  syscallEvent,
  TEST_SECRET,
  type World,
} from '../testing/world.js';

let world: World;
let collector: Collector;
let base: string;

beforeAll(async () => {
  world = await createWorld('realtime');
  collector = await world.collector();
  base = await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await world?.close();
});

async function connectError(
  auth: Record<string, unknown>,
): Promise<{ message: string; data?: { code: string } }> {
  const socket = io(base, { auth, transports: ['websocket'], reconnection: false });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect_error', (err) => resolve(err as Error & { data?: { code: string } }));
      socket.once(REALTIME_EVENTS.ready, () => reject(new Error('connected')));
    });
  } finally {
    socket.disconnect();
  }
}

describe('realtime stream', () => {
  it('refuses missing, forged and expired tokens', async () => {
    const claims = {
      userId: 'u',
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
    };
    expect((await connectError({})).data?.code).toBe('MALFORMED');
    const forged = await signRealtimeToken(
      { ...claims, exp: Date.now() / 1000 + 60 },
      'not-the-collector-secret',
    );
    const bad = await connectError({ token: forged });
    expect(bad.message).toBe('unauthorized');
    expect(bad.data?.code).toBe('BAD_SIGNATURE');
    const expired = await signRealtimeToken({ ...claims, exp: Date.now() / 1000 - 1 }, TEST_SECRET);
    expect((await connectError({ token: expired })).data?.code).toBe('EXPIRED');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /peregrine_collector_rejects_total\{source="realtime",reason="bad_signature"\} 1/,
    );
  });

  it('delivers alerts only to sockets of that organisation and environment', async () => {
    const otherEnv = Object.values(world.environments).find((e) => e !== world.environmentId)!;
    const mine = await connectConsole(base, {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
    });
    const otherEnvironment = await connectConsole(base, {
      organizationId: world.organizationId,
      environmentIds: [otherEnv],
    });
    const otherOrg = await connectConsole(base, {
      organizationId: '00000000-0000-0000-0000-000000000000',
      environmentIds: [world.environmentId],
    });
    const res = await postBatch(base, world.sensor.apiKey, {
      sensorId: 'm',
      batchId: 'rt-1',
      seq: 1,
      events: [syscallEvent('execve', 'sh')],
    });
    expect(res.status).toBe(200);
    await mine.waitFor(1);
    const alert = mine.alerts[0]!.alerts[0]!;
    expect(alert).toMatchObject({
      rule: 'Shell spawned',
      priority: 'warning',
      sensorId: world.sensor.sensorId,
    });
    expect(alert.outputFields['proc.name']).toBe('sh');
    // Give a stray delivery time to arrive before asserting there was none.
    await new Promise((r) => setTimeout(r, 200));
    expect(otherEnvironment.alerts).toHaveLength(0);
    expect(otherOrg.alerts).toHaveLength(0);
    for (const c of [mine, otherEnvironment, otherOrg]) c.socket.disconnect();
  });

  it('disconnects a socket when its token expires', async () => {
    const client = await connectConsole(base, {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
      // Whole seconds: +2 leaves at least one for connecting on a busy machine.
      exp: Math.floor(Date.now() / 1000) + 2,
    });
    const reason = await new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  });
});

/**
 * Attack (revocation lag): a credential that was revoked keeps working for a while because a
 * collector cached it. A revoked sensor key was accepted for up to 30 s, a rotated or disabled
 * source's token for 5 s, and a live-stream token issued by a revoked API key connected (and stayed
 * connected) for its whole 5-minute life. Two collectors share the database here, as in a
 * scale-out deployment: both must refuse at once.
 */
import {
  createApiKey,
  createCloudSource,
  registerSensor,
  revokeApiKey,
  revokeSensor,
  rotateCloudSourceToken,
} from '@peregrine/db';
import { REALTIME_EVENTS, signRealtimeToken } from '@peregrine/protocol';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import {
  connectConsole,
  createWorld,
  postBatch,
  syscallEvent,
  TEST_SECRET,
  type World,
} from '../testing/world.js';

/** Well under every cache TTL (sensor keys 30 s, sources 5 s): only a notification explains it. */
const AT_ONCE = { timeout: 1_500, interval: 25 };

describe('revocations take effect at once in every collector sharing the database', () => {
  let world: World;
  let collectors: Collector[];
  let bases: string[];

  beforeAll(async () => {
    world = await createWorld('revocation_lag');
    collectors = [await world.collector(), await world.collector()];
    bases = [];
    for (const c of collectors) bases.push(await c.start());
  }, 120_000);
  afterAll(async () => {
    for (const c of collectors ?? []) await c.stop();
    await world?.close();
  });

  let seq = 0;
  const batch = () => ({
    sensorId: 'machine-revocation',
    batchId: crypto.randomUUID(),
    seq: ++seq,
    events: [syscallEvent('execve', 'ls')],
  });

  it('a revoked sensor key is refused by both collectors right away', async () => {
    const sensor = await registerSensor(world.db, {
      environmentId: world.environmentId,
      name: 'revoked-node',
    });
    // Both collectors have the key cached as valid.
    for (const base of bases) expect((await postBatch(base, sensor.apiKey, batch())).status).toBe(200);
    await revokeSensor(world.db, sensor.sensorId);
    for (const base of bases)
      await vi.waitFor(
        async () => expect((await postBatch(base, sensor.apiKey, batch())).status).toBe(401),
        AT_ONCE,
      );
  });

  it('a rotated source token and a disabled source stop working right away', async () => {
    const { source, token } = await createCloudSource(world.db, {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      kind: 'falco',
      name: 'falco-revocation',
      config: {},
      issueToken: true,
    });
    const alert = () => ({
      time: new Date().toISOString(),
      rule: 'Terminal shell in container',
      priority: 'Notice',
      output: 'shell',
      uuid: crypto.randomUUID(),
    });
    const send = (base: string, t: string) =>
      fetch(`${base}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
        body: JSON.stringify(alert()),
      }).then((r) => r.status);
    for (const base of bases) expect(await send(base, token as string)).toBe(200);
    const rotated = await rotateCloudSourceToken(
      world.db,
      { organizationId: world.organizationId, sourceId: source.id, secretKey: null },
      {},
    );
    for (const base of bases)
      await vi.waitFor(async () => expect(await send(base, token as string)).toBe(401), AT_ONCE);
    for (const base of bases) expect(await send(base, rotated.token)).toBe(200);
    await world.db.prisma.cloudSource.update({ where: { id: source.id }, data: { enabled: false } });
    for (const base of bases)
      await vi.waitFor(async () => expect(await send(base, rotated.token)).toBe(403), AT_ONCE);
  });

  it('a live-stream token made by a revoked API key is cut off and refused', async () => {
    const { apiKey } = await createApiKey(
      world.db,
      { organizationId: world.organizationId, name: 'dashboard-bot', role: 'viewer', createdById: null },
      {},
    );
    const claims = {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
      apiKeyId: apiKey.id,
    };
    const streams = await Promise.all(bases.map((base) => connectConsole(base, claims)));
    const closed = streams.map(
      (s) => new Promise<string>((resolve) => s.socket.once('disconnect', (reason) => resolve(reason))),
    );
    await revokeApiKey(world.db, { organizationId: world.organizationId, apiKeyId: apiKey.id }, {});
    const reasons = await Promise.race([
      Promise.all(closed),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('streams still open')), 1_500)),
    ]);
    expect(reasons).toEqual(['io server disconnect', 'io server disconnect']);
    // The same (unexpired, well-signed) token no longer connects.
    const token = await signRealtimeToken(
      { userId: `api_key:${apiKey.id}`, exp: Math.floor(Date.now() / 1000) + 60, ...claims },
      TEST_SECRET,
    );
    const socket = io(bases[0] as string, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    const refused = await new Promise<{ data?: { code: string } }>((resolve, reject) => {
      socket.once('connect_error', (err) => resolve(err as Error & { data?: { code: string } }));
      socket.once(REALTIME_EVENTS.ready, () => reject(new Error('a revoked key’s token connected')));
    });
    socket.disconnect();
    expect(refused.data?.code).toBe('REVOKED');
  });

  it('while the notification connection is down, caches are not trusted for more than a second', async () => {
    const sensor = await registerSensor(world.db, { environmentId: world.environmentId, name: 'gap-node' });
    const [base] = bases as [string];
    const [collector] = collectors as [Collector];
    expect((await postBatch(base, sensor.apiKey, batch())).status).toBe(200);
    collector.revocations.dropConnection();
    await vi.waitFor(() => expect(collector.revocations.listening).toBe(false));
    await revokeSensor(world.db, sensor.sensorId);
    // The notification may be lost; the cache was cleared when the connection went.
    await vi.waitFor(
      async () => expect((await postBatch(base, sensor.apiKey, batch())).status).toBe(401),
      AT_ONCE,
    );
    await vi.waitFor(() => expect(collector.revocations.listening).toBe(true), { timeout: 10_000 });
  });
});

import { markOrganizationDeleting } from '@peregrine/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { createWorld, postBatch, syscallEvent, type World } from '../testing/world.js';

let world: World;
let collector: Collector;
let base: string;

beforeAll(async () => {
  world = await createWorld('org-purge');
  collector = await world.collector();
  base = await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await world?.close();
});

describe('a deleted organisation', () => {
  it("has its sensor key refused at once, and its rows purged by the collector's retention pass", async () => {
    const batch = (n: number) => ({
      sensorId: 'machine-1',
      batchId: `purge-${n}`,
      seq: n,
      events: [syscallEvent('execve', 'bash')],
    });
    // Accepted (and so cached by the collector's key cache) before the deletion.
    expect((await postBatch(base, world.sensor.apiKey, batch(1))).status).toBe(200);

    // The instance keeps another organisation: the last one cannot be deleted.
    await world.db.prisma.organization.create({ data: { name: 'Survivor', slug: 'survivor' } });
    const org = await world.db.prisma.organization.findUniqueOrThrow({ where: { id: world.organizationId } });
    // Marked only, as a console that stopped before purging would leave it.
    await markOrganizationDeleting(world.db, { organizationId: org.id, confirmName: org.name }, {});

    // The revocation notification evicts the cached key: refused without waiting for the cache TTL.
    await vi.waitFor(
      async () => expect((await postBatch(base, world.sensor.apiKey, batch(2))).status).toBe(401),
      {
        timeout: 5_000,
        interval: 50,
      },
    );

    await collector.retention.pruneOnce();
    expect(await world.db.prisma.organization.findUnique({ where: { id: org.id } })).toBeNull();
    expect(await world.db.prisma.sensor.count({ where: { organizationId: org.id } })).toBe(0);
    expect(await world.db.prisma.environment.count({ where: { organizationId: org.id } })).toBe(0);
  });
});

/**
 * A source's test event through a real collector (createCollector): the console's signed token,
 * the kind's own decoding, Peregrine's default rules, Postgres and the live push.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudSource, type SourceKind } from '@peregrine/db';
import {
  signRealtimeToken,
  signSourceTestToken,
  SourceTestEventResultSchema,
  sourceTestEventPath,
  TEST_EVENT_TAG,
} from '@peregrine/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { readDefaultRules } from '../bootstrap/seed-demo.js';
import { connectConsole, createWorld, type World } from '../testing/world.js';

let world: World;
let collector: Collector;
let base: string;
let folder: string;
const secretKey = randomBytes(32);
const secret = secretKey.toString('base64');
const sources: Partial<Record<SourceKind, string>> = {};

beforeAll(async () => {
  world = await createWorld('test_events');
  // Peregrine's own default rules, as `npm start` activates them.
  await world.activate(await readDefaultRules());
  folder = await mkdtemp(join(tmpdir(), 'peregrine-test-events-'));
  const configs: Partial<Record<SourceKind, Record<string, unknown>>> = {
    // Hook-only Okta and an empty trail folder: nothing is polled while the test runs.
    okta: { polling: false },
    aws_cloudtrail: { mode: 'folder', path: folder, pollIntervalSeconds: 60 },
  };
  for (const kind of ['k8s_audit', 'github', 'okta', 'aws_cloudtrail', 'falco'] as const) {
    const { source } = await createCloudSource(world.db, {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      kind,
      name: `test-${kind}`,
      config: configs[kind] ?? {},
      issueToken: kind !== 'github' && kind !== 'aws_cloudtrail',
      ...(kind === 'github' ? { secrets: { webhookSecret: 'gh-secret' }, secretKey } : {}),
    });
    sources[kind] = source.id;
  }
  collector = await world.collector({ PEREGRINE_SECRET_KEY: secret, COLLECTOR_FOLDER_ROOTS: tmpdir() });
  base = await collector.start();
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  await world?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** A token as the console signs it (apps/web/src/server/services/sources/send-test-event.ts). */
function token(
  sourceId: string,
  claims: Partial<{ organizationId: string; exp: number; nonce: string; target: 'source' | 'sensor' }> = {},
  key = secret,
): Promise<string> {
  return signSourceTestToken(
    {
      target: 'source',
      sourceId,
      organizationId: world.organizationId,
      subject: 'user-1',
      nonce: randomUUID(),
      exp: Math.floor(Date.now() / 1000) + 60,
      ...claims,
    },
    key,
  );
}

async function send(sourceId: string, bearer: string | null, target: 'source' | 'sensor' = 'source') {
  const res = await fetch(`${base}${sourceTestEventPath(sourceId, target)}`, {
    method: 'POST',
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const CASES: { kind: SourceKind; rule: string; priority: string; source: string }[] = [
  { kind: 'k8s_audit', rule: 'Exec or Attach into Pod', priority: 'notice', source: 'k8s_audit' },
  { kind: 'github', rule: 'Private Repository Becoming Public', priority: 'critical', source: 'github' },
  { kind: 'okta', rule: 'Okta MFA Configuration Changed', priority: 'warning', source: 'okta' },
  {
    kind: 'aws_cloudtrail',
    rule: 'Console Login Without MFA',
    priority: 'critical',
    source: 'aws_cloudtrail',
  },
  { kind: 'falco', rule: 'Peregrine test event', priority: 'notice', source: 'syscall' },
];

describe('POST /v1/sources/:id/test-event', () => {
  for (const c of CASES) {
    it(`${c.kind}: fires "${c.rule}", stores it tagged as a test and pushes it live`, async () => {
      const id = sources[c.kind] as string;
      const viewer = await connectConsole(
        base,
        { organizationId: world.organizationId, environmentIds: [world.environmentId] },
        secret,
      );
      try {
        const { status, body } = await send(id, await token(id));
        expect(status, JSON.stringify(body)).toBe(200);
        const result = SourceTestEventResultSchema.parse(body);
        expect(result).toMatchObject({
          sourceId: id,
          kind: c.kind,
          expectedRule: c.rule,
          accepted: 1,
          rejected: 0,
          spooled: false,
          queued: false,
          reason: null,
        });
        expect(result.alerts.map((a) => [a.rule, a.priority])).toEqual([[c.rule, c.priority]]);
        const stored = await world.db.prisma.alert.findFirstOrThrow({
          where: { id: BigInt(result.alerts[0]?.id as string) },
          select: { rule: true, source: true, tags: true, cloudSourceId: true, environmentId: true },
        });
        expect(stored).toMatchObject({
          rule: c.rule,
          source: c.source,
          cloudSourceId: id,
          environmentId: world.environmentId,
        });
        expect(stored.tags).toContain(TEST_EVENT_TAG);
        await viewer.waitFor(1);
        const pushed = viewer.alerts.flatMap((p) => p.alerts).find((a) => a.id === result.alerts[0]?.id);
        expect(pushed?.tags).toContain(TEST_EVENT_TAG);
        // Test events are not kept for backtesting.
        expect(await world.db.prisma.rawEvent.count({ where: { cloudSourceId: id } })).toBe(0);
        // A second test event is a new event, not a re-delivery of the first.
        const again = await send(id, await token(id));
        expect(again.body.alerts).toHaveLength(1);
      } finally {
        viewer.socket.disconnect();
      }
    });
  }

  it("keeps the Falco test alert's nanosecond evt.time exact", async () => {
    const id = sources.falco as string;
    const { body } = await send(id, await token(id));
    const alertId = SourceTestEventResultSchema.parse(body).alerts[0]?.id as string;
    const [row] = await world.db.prisma.$queryRaw<{ t: string; output: string }[]>`
      SELECT ("outputFields"->'evt.time')::text AS t, output FROM alerts WHERE id = ${BigInt(alertId)}`;
    expect(row?.t).toMatch(/^\d{19}$/);
    // The output's time prefix carries the same nanoseconds as the stored integer.
    expect(row?.output.slice(9, 18)).toBe(row?.t.slice(10));
  });

  it('says why nothing fired when the expected rule is not active in the environment', async () => {
    // The other environment runs the world's small test rules only.
    const other = Object.values(world.environments).find((e) => e !== world.environmentId) as string;
    const { source } = await createCloudSource(world.db, {
      organizationId: world.organizationId,
      environmentId: other,
      kind: 'k8s_audit',
      name: 'other-env-cluster',
      issueToken: true,
    });
    const { status, body } = await send(source.id, await token(source.id));
    expect(status).toBe(200);
    const result = SourceTestEventResultSchema.parse(body);
    expect(result.accepted).toBe(1);
    expect(result.alerts).toEqual([]);
    expect(result.reason).toContain('"Exec or Attach into Pod" is not active in this environment');
  });

  it('refuses a missing, forged, expired, replayed or misdirected token, and a realtime token', async () => {
    const id = sources.k8s_audit as string;
    expect((await send(id, null)).status).toBe(401);
    expect((await send(id, await token(id, {}, 'another-secret-of-enough-length'))).status).toBe(401);
    expect((await send(id, await token(id, { exp: Math.floor(Date.now() / 1000) - 1 }))).status).toBe(401);
    const once = await token(id);
    expect((await send(id, once)).status).toBe(200);
    const replay = await send(id, once);
    expect(replay.status).toBe(401);
    expect(JSON.stringify(replay.body)).toContain('used already');
    // A token for the GitHub source does not open the audit source.
    expect((await send(id, await token(sources.github as string))).status).toBe(403);
    // Another organisation's token for this source id.
    expect((await send(id, await token(id, { organizationId: randomUUID() }))).status).toBe(404);
    const realtime = await signRealtimeToken(
      {
        userId: 'user-1',
        organizationId: world.organizationId,
        environmentIds: [world.environmentId],
        exp: Math.floor(Date.now() / 1000) + 60,
      },
      secret,
    );
    expect((await send(id, realtime)).status).toBe(401);
  });

  it('sensor: fires "Sensitive File Opened for Reading" on the sensor\'s host, tagged, from the sensor', async () => {
    const sensorId = world.sensor.sensorId;
    await world.db.prisma.sensor.update({ where: { id: sensorId }, data: { hostname: 'node-1.example' } });
    // A source token does not open the sensor's endpoint, nor a sensor token a source's.
    expect((await send(sensorId, await token(sensorId), 'sensor')).status).toBe(403);
    const k8s = sources.k8s_audit as string;
    expect((await send(k8s, await token(k8s, { target: 'sensor' }))).status).toBe(403);
    const { status, body } = await send(sensorId, await token(sensorId, { target: 'sensor' }), 'sensor');
    expect(status, JSON.stringify(body)).toBe(200);
    const result = SourceTestEventResultSchema.parse(body);
    expect(result).toMatchObject({ sourceId: sensorId, kind: 'syscall', accepted: 1, reason: null });
    expect(result.alerts.map((a) => [a.rule, a.priority])).toEqual([
      ['Sensitive File Opened for Reading', 'warning'],
    ]);
    const stored = await world.db.prisma.alert.findFirstOrThrow({
      where: { id: BigInt(result.alerts[0]?.id as string) },
      select: { sensorId: true, hostname: true, tags: true, output: true },
    });
    expect(stored.sensorId).toBe(sensorId);
    expect(stored.hostname).toBe('node-1.example');
    expect(stored.tags).toContain(TEST_EVENT_TAG);
    expect(stored.output).toContain('process=peregrine-test-event');
  });

  it('refuses a revoked sensor, and another organisation’s token for it', async () => {
    const sensorId = world.sensor.sensorId;
    const other = { target: 'sensor' as const, organizationId: randomUUID() };
    expect((await send(sensorId, await token(sensorId, other), 'sensor')).status).toBe(404);
    await world.db.prisma.sensor.update({ where: { id: sensorId }, data: { revokedAt: new Date() } });
    try {
      const { status, body } = await send(sensorId, await token(sensorId, { target: 'sensor' }), 'sensor');
      expect(status).toBe(403);
      expect(JSON.stringify(body)).toContain('is revoked');
    } finally {
      await world.db.prisma.sensor.update({ where: { id: sensorId }, data: { revokedAt: null } });
    }
  });

  it('reads no body: a large one is refused before any token is looked at', async () => {
    const res = await fetch(`${base}${sourceTestEventPath(sources.falco as string)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(64 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('refuses a disabled source and says so', async () => {
    const id = sources.okta as string;
    await world.db.prisma.cloudSource.update({ where: { id }, data: { enabled: false } });
    try {
      await vi.waitFor(async () => {
        const { status, body } = await send(id, await token(id));
        expect(status).toBe(403);
        expect(JSON.stringify(body)).toContain('is disabled');
      });
    } finally {
      await world.db.prisma.cloudSource.update({ where: { id }, data: { enabled: true } });
    }
  });
});

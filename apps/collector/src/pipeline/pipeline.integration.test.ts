import {
  countRawEvents,
  getEnvironmentAlertStats,
  listEnvironmentAlerts,
  setEnvironmentOverride,
} from '@peregrine/db';
import type { SensorConfig } from '@peregrine/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import {
  connectConsole,
  createWorld,
  postBatch,
  syscallEvent,
  TEST_RULES,
  type World,
} from '../testing/world.js';

let world: World;
let collector: Collector;
let base: string;

beforeAll(async () => {
  world = await createWorld('pipeline');
  collector = await world.collector();
  base = await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await world?.close();
});

let batchNo = 0;
function batch(events: ReturnType<typeof syscallEvent>[]) {
  batchNo++;
  return { sensorId: 'machine-1', batchId: `p-${batchNo}`, seq: batchNo, events };
}

async function config(): Promise<SensorConfig> {
  const res = await fetch(`${base}/v1/sensor/config`, {
    headers: { authorization: `Bearer ${world.sensor.apiKey}` },
  });
  return (await res.json()) as SensorConfig;
}

async function waitForVersionChange(from: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const { rulesVersion } = await config();
      expect(rulesVersion, 'rules version did not change').not.toBe(from);
      return rulesVersion;
    },
    { timeout: 10_000, interval: 50 },
  );
}

const V2_RULES = TEST_RULES.replace('rule: Shell spawned', 'rule: Shell spawned v2');

describe('pipeline', () => {
  it('swaps rules on activation without a restart, evaluating each batch with exactly one version', async () => {
    const v1 = (await config()).rulesVersion;
    // Keep batches flowing while the new version is activated.
    const sent: Promise<{ status: number }>[] = [];
    let swapped: Promise<string> | undefined;
    for (let i = 0; i < 40; i++) {
      sent.push(
        postBatch(
          base,
          world.sensor.apiKey,
          batch(Array.from({ length: 10 }, () => syscallEvent('execve', 'bash'))),
        ),
      );
      if (i === 10) swapped = world.activate([{ name: 'rules.yaml', content: V2_RULES }]);
      // Pacing, not waiting for a condition: spreads the batches over the activation.
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await Promise.all(sent)).every((r) => r.status === 200)).toBe(true);
    await swapped;
    await waitForVersionChange(v1);
    const after = await postBatch(base, world.sensor.apiKey, batch([syscallEvent('execve', 'bash')]));
    expect(after.status).toBe(200);

    const alerts = await listEnvironmentAlerts(world.db, world.environmentId, 10_000);
    // 401 events, each evaluated exactly once: exactly one alert each, under v1's or v2's name.
    expect(alerts).toHaveLength(401);
    const byBatch = new Map<string, Set<string>>();
    for (const a of alerts) {
      const b = a.ingestKey!.split(':')[1]!;
      byBatch.set(b, (byBatch.get(b) ?? new Set()).add(a.rule));
    }
    for (const rules of byBatch.values()) expect(rules.size).toBe(1);
    expect(byBatch.get(`p-${batchNo}`)).toEqual(new Set(['Shell spawned v2']));
  });

  it('applies a list override of the environment without a restart', async () => {
    const before = (await config()).rulesVersion;
    await setEnvironmentOverride(world.db, {
      environmentId: world.environmentId,
      ruleSetId: world.ruleSetId,
      kind: 'list',
      name: 'shell_binaries',
      items: ['fish'],
    });
    await waitForVersionChange(before);
    const count0 = (await getEnvironmentAlertStats(world.db, world.environmentId)).alerts;
    const res = await postBatch(
      base,
      world.sensor.apiKey,
      batch([syscallEvent('execve', 'bash'), syscallEvent('execve', 'fish')]),
    );
    expect(res.status).toBe(200);
    const newest = await listEnvironmentAlerts(world.db, world.environmentId, 1);
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(count0 + 1);
    expect(newest[0]!.outputFields).toMatchObject({ 'proc.name': 'fish' });
  });

  it('appends an exception override of the environment to its rule without a restart', async () => {
    const before = (await config()).rulesVersion;
    await setEnvironmentOverride(world.db, {
      environmentId: world.environmentId,
      ruleSetId: world.ruleSetId,
      kind: 'exception',
      name: 'fish_is_fine',
      rule: 'Shell spawned v2',
      exception: [{ field: 'proc.name', comp: 'in', value: ['fish', 'tcsh'] }],
    });
    await waitForVersionChange(before);
    const count0 = (await getEnvironmentAlertStats(world.db, world.environmentId)).alerts;
    const res = await postBatch(
      base,
      world.sensor.apiKey,
      // The list override (fish) still holds; the exception takes fish back out of the rule.
      batch([syscallEvent('execve', 'fish'), syscallEvent('execve', 'fish'), syscallEvent('execve', 'fish')]),
    );
    expect(res.status).toBe(200);
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(count0);
    // Removing it brings the alerts back.
    const withException = (await config()).rulesVersion;
    await world.db.prisma.environmentOverride.deleteMany({
      where: { environmentId: world.environmentId, kind: 'exception' },
    });
    await waitForVersionChange(withException);
    await postBatch(base, world.sensor.apiKey, batch([syscallEvent('execve', 'fish')]));
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(count0 + 1);
  });

  it('refuses work beyond the in-flight bound with 429 and Retry-After', async () => {
    const tight = await world.collector({ COLLECTOR_MAX_IN_FLIGHT: '1' });
    const url = await tight.start();
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          postBatch(
            url,
            world.sensor.apiKey,
            batch(Array.from({ length: 50 }, () => syscallEvent('execve', 'fish'))),
          ),
        ),
      );
      const busy = results.filter((r) => r.status === 429);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]!.headers.get('retry-after')).toBe('1');
      expect(busy[0]!.body.error.code).toBe('BUSY');
      expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/peregrine_collector_rejects_total\{source="pipeline",reason="busy"\} [1-9]/);
    } finally {
      await tight.stop();
    }
  });

  it('stores raw events for backtesting and prunes them by age', async () => {
    const origin = {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      sensorId: world.sensor.sensorId,
    };
    const events = [0, 1, 2].map((i) => ({
      source: 'syscall',
      event: syscallEvent('execve', 'true'),
      ingestKey: `raw-${i}`,
    }));
    const result = await collector.pipeline.submitEvents(origin, events, { storeRaw: true });
    expect(result).toEqual({ accepted: 3, duplicates: 0, alerts: 0 });
    expect(await countRawEvents(world.db, world.environmentId)).toBe(3);
    expect((await collector.retention.pruneOnce()).rawEvents).toBe(0);
    const later = Date.now() + 31 * 24 * 3600 * 1000;
    expect((await collector.retention.pruneOnce(later)).rawEvents).toBe(3);
    expect(await countRawEvents(world.db, world.environmentId)).toBe(0);
  });

  it('keeps a nanosecond evt.time exact from the event to the database and the live push', async () => {
    // fish: the only shell of the environment's list override above.
    const ts = 1700000000123456789n;
    const viewer = await connectConsole(base, {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
    });
    try {
      const r = await postBatch(
        base,
        world.sensor.apiKey,
        batch([syscallEvent('execve', 'fish', { ts, hostname: 'node-exact' })]),
      );
      expect(r.status).toBe(200);
      const rows = await world.db.prisma.$queryRaw<{ t: string }[]>`
        SELECT ("outputFields"->'evt.time')::text AS t FROM alerts
        WHERE "environmentId" = ${world.environmentId}::uuid AND hostname = 'node-exact'`;
      // jsonb holds the integer itself: a JS number would have stored 1700000000123456800.
      expect(rows).toEqual([{ t: '1700000000123456789' }]);
      await viewer.waitFor(1);
      const pushed = viewer.alerts.flatMap((p) => p.alerts).find((a) => a.hostname === 'node-exact');
      expect(pushed?.outputFields['evt.time']).toBe('1700000000123456789');
    } finally {
      viewer.socket.disconnect();
    }
  });

  it('numbers cloud events from 1 per source (evt.num), so upstream `evt.num > 0` rules fire', async () => {
    const before = (await config()).rulesVersion;
    await world.activate([
      {
        name: 'ct.yaml',
        content:
          '- rule: Any CloudTrail\n  desc: d\n  condition: evt.num > 0\n  output: n=%evt.num\n  priority: INFO\n  source: aws_cloudtrail\n',
      },
    ]);
    await waitForVersionChange(before);
    const origin = { organizationId: world.organizationId, environmentId: world.environmentId };
    const record = { eventVersion: '1.08', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' };
    const events = [1, 2].map((i) => ({
      source: 'aws_cloudtrail',
      event: { ts: `170000000000000000${i}`, payload: { ...record, eventID: `num-${i}` } },
      ingestKey: `num-${i}`,
    }));
    expect(await collector.pipeline.submitEvents(origin, events)).toMatchObject({ accepted: 2, alerts: 2 });
    const alerts = await listEnvironmentAlerts(world.db, world.environmentId, 2);
    expect(alerts.map((a) => (a.outputFields as Record<string, unknown>)['evt.num']).sort()).toEqual([1, 2]);
  });

  it('drains in-flight batches on stop and then refuses new ones', async () => {
    const c = await world.collector();
    const url = await c.start();
    const inFlight = postBatch(
      url,
      world.sensor.apiKey,
      batch(Array.from({ length: 200 }, () => syscallEvent('execve', 'fish'))),
    );
    let answered = false;
    void inFlight.then(() => {
      answered = true;
    });
    // Stop as soon as the batch is in the pipeline (checked every millisecond: it is there briefly).
    await vi.waitFor(() => expect(c.pipeline.depth > 0 || answered).toBe(true), {
      timeout: 10_000,
      interval: 1,
    });
    const stopping = c.stop();
    const res = await inFlight;
    await stopping;
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(200);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  getEnvironmentAlertStats,
  getSensorStatus,
  listEnvironmentAlerts,
  registerSensor,
  revokeSensor,
} from '@peregrine/db';
import { SENSOR_BATCH_V3_CONTENT_TYPE, type SensorConfig } from '@peregrine/protocol';
import { encodeBatchV2, encodeBatchV3 } from '@peregrine/sensor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateEvents } from '../../bench/events.js';
import type { Collector } from '../app.js';
import { connectConsole, createWorld, postBatch, syscallEvent, type World } from '../testing/world.js';
import { exampleHeartbeat } from '@peregrine/protocol/testing';

let world: World;
let collector: Collector;
let base: string;

beforeAll(async () => {
  world = await createWorld('sensor_stream');
  collector = await world.collector();
  base = await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await world?.close();
});

describe('sensor stream', () => {
  it('stores alerts of a gzip batch, pushes them live, and recognises a re-sent batch', async () => {
    const client = await connectConsole(base, {
      organizationId: world.organizationId,
      environmentIds: [world.environmentId],
    });
    const batch = {
      sensorId: 'machine-1',
      batchId: 'b-1',
      seq: 1,
      events: [
        syscallEvent('execve', 'bash'),
        syscallEvent('execve', 'ls'),
        syscallEvent('openat', 'cat', { fd: '/etc/shadow' }),
        syscallEvent('execve', 'bash'),
      ],
    };
    const first = await postBatch(base, world.sensor.apiKey, batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 4, duplicate: false, rejected: [] });

    const alerts = await listEnvironmentAlerts(world.db, world.environmentId);
    expect(alerts.map((a) => a.rule).sort()).toEqual([
      'Sensitive file opened',
      'Shell spawned',
      'Shell spawned',
    ]);
    expect(alerts.every((a) => a.sensorId === world.sensor.sensorId)).toBe(true);
    expect(alerts.find((a) => a.rule === 'Sensitive file opened')?.priority).toBe('error');
    // The two shells differ only in pid: one group with count 2.
    const stats = await getEnvironmentAlertStats(world.db, world.environmentId);
    expect(stats.groups.map((g) => [g.rule, g.count]).sort()).toEqual([
      ['Sensitive file opened', 1],
      ['Shell spawned', 2],
    ]);

    await client.waitFor(3);
    const pushed = client.alerts.flatMap((p) => p.alerts);
    expect(pushed.map((a) => a.rule).sort()).toEqual([
      'Sensitive file opened',
      'Shell spawned',
      'Shell spawned',
    ]);
    expect(client.alerts[0]!.environmentId).toBe(world.environmentId);
    expect(pushed[0]!.receivedAt).toBeGreaterThan(Date.now() - 60_000);

    const again = await postBatch(base, world.sensor.apiKey, batch);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ accepted: 0, duplicate: true, rejected: [] });
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(3);
    client.socket.disconnect();
  });

  it('stores the same alerts from a version-2 batch (as the sensor sends) and deduplicates it', async () => {
    const before = await getEnvironmentAlertStats(world.db, world.environmentId);
    const shell = syscallEvent('execve', 'bash');
    const batch = JSON.parse(
      encodeBatchV2({ sensorId: 'machine-1', batchId: 'b-v2-1', seq: 3 }, [
        shell,
        syscallEvent('execve', 'ls'),
        syscallEvent('openat', 'cat', { fd: '/etc/shadow' }),
        { ...shell, ts: String(BigInt(shell.ts) + 1n) },
      ]),
    );
    expect(batch.v).toBe(2);
    expect(batch.procs).toHaveLength(3);
    const first = await postBatch(base, world.sensor.apiKey, batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 4, duplicate: false, rejected: [] });
    const after = await getEnvironmentAlertStats(world.db, world.environmentId);
    expect(after.alerts - before.alerts).toBe(3);
    const rules = (await listEnvironmentAlerts(world.db, world.environmentId)).slice(0, 3).map((a) => a.rule);
    expect(rules.sort()).toEqual(['Sensitive file opened', 'Shell spawned', 'Shell spawned']);
    const again = await postBatch(base, world.sensor.apiKey, batch);
    expect(again.body).toEqual({ accepted: 0, duplicate: true, rejected: [] });
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(after.alerts);
  });

  it('stores the same alerts from a binary version-3 batch, deduplicates it, and refuses bad bodies', async () => {
    const before = await getEnvironmentAlertStats(world.db, world.environmentId);
    const shell = syscallEvent('execve', 'bash');
    const events = [
      shell,
      syscallEvent('execve', 'ls'),
      syscallEvent('openat', 'cat', { fd: '/etc/shadow' }),
      { ...shell, ts: String(BigInt(shell.ts) + 1n) },
      { ...shell, ts: 'not a time' },
      { ...syscallEvent('execve', 'n\u0000l'), ts: String(BigInt(shell.ts) + 2n) },
    ];
    const body = encodeBatchV3({ sensorId: 'machine-1', batchId: 'b-v3-1', seq: 5 }, events);
    const v3 = { contentType: SENSOR_BATCH_V3_CONTENT_TYPE, raw: gzipSync(body) };
    const first = await postBatch(base, world.sensor.apiKey, {}, v3);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      accepted: 5,
      duplicate: false,
      rejected: [{ index: 4, error: 'ts: expected epoch nanoseconds as a decimal string' }],
      sanitized: 1,
    });
    const after = await getEnvironmentAlertStats(world.db, world.environmentId);
    expect(after.alerts - before.alerts).toBe(3);
    const rules = (await listEnvironmentAlerts(world.db, world.environmentId)).slice(0, 3).map((a) => a.rule);
    expect(rules.sort()).toEqual(['Sensitive file opened', 'Shell spawned', 'Shell spawned']);
    const again = await postBatch(base, world.sensor.apiKey, {}, v3);
    expect(again.body).toEqual({ accepted: 0, duplicate: true, rejected: [] });
    // Without gzip too.
    const plain = encodeBatchV3({ sensorId: 'machine-1', batchId: 'b-v3-2', seq: 6 }, [
      syscallEvent('execve', 'ls'),
    ]);
    const identity = await postBatch(
      base,
      world.sensor.apiKey,
      {},
      { contentType: SENSOR_BATCH_V3_CONTENT_TYPE, raw: Buffer.from(plain), gzip: false },
    );
    expect(identity.body).toEqual({ accepted: 1, duplicate: false, rejected: [] });
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(after.alerts);

    const truncated = await postBatch(
      base,
      world.sensor.apiKey,
      {},
      { contentType: SENSOR_BATCH_V3_CONTENT_TYPE, raw: gzipSync(body.subarray(0, body.length - 3)) },
    );
    expect(truncated.status).toBe(400);
    expect(truncated.body.error.code).toBe('INVALID_BODY');
    expect(truncated.body.error.message).toMatch(/^invalid batch: truncated body at byte \d+/);
    // The body bound applies to the inflated bytes of a binary body as well.
    const bomb = Buffer.concat([body, Buffer.alloc(9 * 1024 * 1024)]);
    const tooLarge = await postBatch(
      base,
      world.sensor.apiKey,
      {},
      { contentType: SENSOR_BATCH_V3_CONTENT_TYPE, raw: gzipSync(bomb) },
    );
    expect(tooLarge.status).toBe(413);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('stores the same alerts and answers from version-3 rows as from version 2 (benchmark stream)', async () => {
    // Reads and connects no rule matches stay unbuilt in version 3; the rest must alert as in v2.
    const events = generateEvents(0, 300, 0.1, 'node-diff');
    events.splice(10, 0, { ...events[0]!, ts: 'not a time' });
    events.splice(20, 0, { ...syscallEvent('execve', 'ba\u0000sh'), hostname: 'node-diff' });
    const sent = async (v: 2 | 3) => {
      const head = { sensorId: 'machine-1', batchId: `diff-v${v}`, seq: 20 + v };
      const answer =
        v === 2
          ? await postBatch(base, world.sensor.apiKey, JSON.parse(encodeBatchV2(head, events)))
          : await postBatch(
              base,
              world.sensor.apiKey,
              {},
              {
                contentType: SENSOR_BATCH_V3_CONTENT_TYPE,
                raw: gzipSync(encodeBatchV3(head, events)),
              },
            );
      expect(answer.status).toBe(200);
      const prefix = `${world.sensor.sensorId}:${head.batchId}:`;
      const alerts = (await listEnvironmentAlerts(world.db, world.environmentId, 5000))
        .filter((a) => a.ingestKey?.startsWith(prefix))
        .map(({ id, groupId, ingestKey, ...a }) => ({ ...a, index: Number(ingestKey?.slice(prefix.length)) }))
        .sort((a, b) => a.index - b.index || a.rule.localeCompare(b.rule));
      return { answer: answer.body, alerts };
    };
    const v2 = await sent(2);
    const v3 = await sent(3);
    expect(v2.alerts.length).toBeGreaterThan(20);
    expect(v3.alerts).toEqual(v2.alerts);
    // The same answer (refusal messages name the field in each version's terms).
    const plain = (a: { rejected: { index: number }[] }) => ({
      ...a,
      rejected: a.rejected.map((r) => r.index),
    });
    expect(plain(v3.answer)).toEqual(plain(v2.answer));
    expect(plain(v3.answer)).toEqual({
      accepted: events.length - 1,
      duplicate: false,
      rejected: [10],
      sanitized: 1,
    });
  });

  it('refuses bad version-2 rows one by one and a bad version-2 envelope with 400', async () => {
    const batch = JSON.parse(
      encodeBatchV2({ sensorId: 'machine-1', batchId: 'b-v2-2', seq: 4 }, [
        syscallEvent('execve', 'zsh'),
        syscallEvent('execve', 'sh'),
      ]),
    );
    const good = batch.events[0];
    batch.events = [good, [...good.slice(0, 5), 99, ...good.slice(6)], 'x', batch.events[1]];
    const res = await postBatch(base, world.sensor.apiKey, batch);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toEqual([
      { index: 1, error: 'proc 99 is not in procs (2)' },
      { index: 2, error: expect.any(String) },
    ]);
    const bad = await postBatch(base, world.sensor.apiKey, { ...batch, batchId: 'b-v2-3', procs: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_BODY');
    const v3 = await postBatch(base, world.sensor.apiKey, { ...batch, batchId: 'b-v2-4', v: 3 });
    expect(v3.status).toBe(400);
    expect(v3.body.error.message).toMatch(/unsupported batch version 3/);
  });

  it('rejects a bad event alone and keeps the good ones', async () => {
    const before = (await getEnvironmentAlertStats(world.db, world.environmentId)).alerts;
    const res = await postBatch(base, world.sensor.apiKey, {
      sensorId: 'machine-1',
      batchId: 'b-2',
      seq: 2,
      events: [
        syscallEvent('execve', 'zsh'),
        { ts: 'not-a-number', type: 'execve' },
        42,
        syscallEvent('execve', 'sh'),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2]);
    expect(res.body.rejected[0].error).toMatch(/ts|proc|expected/);
    expect((await getEnvironmentAlertStats(world.db, world.environmentId)).alerts).toBe(before + 2);
  });

  it('answers bad input with coded errors and counts them', async () => {
    const key = world.sensor.apiKey;
    const noKey = await postBatch(base, 'prs_wrong', { sensorId: 's', batchId: 'x', seq: 1, events: [] });
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.code).toBe('UNAUTHENTICATED');

    const badJson = await postBatch(base, key, {}, { raw: Buffer.from('{"events": ['), gzip: false });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('INVALID_JSON');

    const badGzip = await fetch(`${base}/v1/sensor/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: Buffer.from('definitely not gzip'),
    });
    expect(badGzip.status).toBe(400);

    const wrongShape = await postBatch(base, key, { sensorId: 's', batchId: 'x', events: 'no' });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error.code).toBe('INVALID_BODY');

    // 9 MiB of zeros gzip to a few KiB: the decompressed size is what is limited.
    const bomb = Buffer.concat([
      Buffer.from('{"pad":"'),
      Buffer.alloc(9 * 1024 * 1024, 0x61),
      Buffer.from('"}'),
    ]);
    const tooLarge = await postBatch(base, key, {}, { raw: gzipSync(bomb) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('BODY_TOO_LARGE');

    const unknown = await fetch(`${base}/v1/nowhere`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /peregrine_collector_rejects_total\{source="syscall",reason="unauthenticated"\} 1/,
    );
    expect(metrics).toMatch(
      // (the version-3 test above sent one too)
      /peregrine_collector_rejects_total\{source="syscall",reason="body_too_large"\} 2/,
    );
    expect(metrics).toMatch(/peregrine_collector_rejects_total\{source="syscall",reason="invalid_json"\} 1/);
    expect(metrics).toMatch(/peregrine_collector_events_in_total\{source="syscall"\} \d+/);
    expect(metrics).toMatch(/peregrine_collector_alerts_stored_total\{priority="warning"\} \d+/);
    // The process is still serving.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('stores heartbeats and serves the config with the rules version and event types', async () => {
    const auth = { authorization: `Bearer ${world.sensor.apiKey}` };
    const config = (await (
      await fetch(`${base}/v1/sensor/config`, { headers: auth })
    ).json()) as SensorConfig;
    expect(config.rulesVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(config.eventTypes).toEqual(['execve', 'execveat', 'open', 'openat']);
    // What the rules name, for the sensor to say which of them it cannot capture.
    expect(config.ruleEventTypes).toEqual(['execve', 'execveat', 'open', 'openat']);
    expect(config.batchVersions).toEqual([1, 2, 3]);

    const hb = exampleHeartbeat({
      sensorId: 'machine-1',
      hostname: 'node-1',
      startedAt: new Date().toISOString(),
      sentAt: new Date().toISOString(),
      rulesVersion: config.rulesVersion,
      rates: { captured: 100, shipped: 90, filtered: 10 },
      totals: { captured: 1000, shipped: 900, filtered: 100 },
      // zod 4 records over an enum are exhaustive: every cause is present.
      drops: { kernel: 3, parse: 0, queue: 0, spool: 0, rejected: 0 },
      queueDepth: 5,
    });
    const postHeartbeat = (body: object) =>
      fetch(`${base}/v1/sensor/heartbeat`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await postHeartbeat(hb);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, rulesVersion: config.rulesVersion });
    const status = await getSensorStatus(world.db, world.sensor.sensorId);
    expect(status?.backend).toBe('ebpf');
    expect(status?.version).toBe('0.1.0');
    expect(status?.lastSeenAt).toBeInstanceOf(Date);
    expect((status!.lastHeartbeat as { drops: { kernel: number } }).drops.kernel).toBe(3);
    // A sensor older than the capture report: nothing known about its coverage.
    expect(status?.captureMode).toBeNull();
    expect(status?.captureEventTypes).toEqual([]);

    // The capture report is stored for the console (procfs: process starts and exits only).
    const procfs = await postHeartbeat({
      ...hb,
      backend: 'procfs',
      capture: {
        mode: 'procfs',
        eventTypes: ['execve', 'procexit'],
        uncaptured: ['execveat', 'open', 'openat'],
      },
    });
    expect(procfs.status).toBe(200);
    const after = await getSensorStatus(world.db, world.sensor.sensorId);
    expect(after?.captureMode).toBe('procfs');
    expect(after?.captureEventTypes).toEqual(['execve', 'procexit']);
    // The console reads the types the rules need and this sensor lacks from the stored heartbeat.
    expect((after!.lastHeartbeat as { capture: { uncaptured: string[] } }).capture.uncaptured).toEqual([
      'execveat',
      'open',
      'openat',
    ]);

    // A restarted sensor whose capture is still starting: seen now, its stored capture kept.
    const starting = await postHeartbeat({ ...hb, phase: 'starting', startedAt: new Date().toISOString() });
    expect(starting.status).toBe(200);
    const restarted = await getSensorStatus(world.db, world.sensor.sensorId);
    expect(restarted?.lastSeenAt?.getTime()).toBeGreaterThanOrEqual(after!.lastSeenAt!.getTime());
    expect(restarted?.backend).toBe('procfs');
    expect(restarted?.captureMode).toBe('procfs');
    expect((restarted!.lastHeartbeat as { phase: string }).phase).toBe('starting');
    // Its capture could not start: the reason is stored for the console, the capture still kept.
    const failed = await postHeartbeat({ ...hb, phase: 'failed', error: 'capture could not start: no BTF' });
    expect(failed.status).toBe(200);
    const down = await getSensorStatus(world.db, world.sensor.sensorId);
    expect(down?.captureMode).toBe('procfs');
    expect(down?.lastHeartbeat).toMatchObject({ phase: 'failed', error: 'capture could not start: no BTF' });
    const longError = await postHeartbeat({ ...hb, phase: 'failed', error: 'x'.repeat(1001) });
    expect(longError.status).toBe(400);
    const badPhase = await postHeartbeat({ ...hb, phase: 'warming' });
    expect(badPhase.status).toBe(400);

    const badMode = await postHeartbeat({ ...hb, capture: { mode: 'dtrace', eventTypes: [] } });
    expect(badMode.status).toBe(400);

    const bad = await postHeartbeat({ ...hb, backend: 'magic' });
    expect(bad.status).toBe(400);
  });

  it('caps the batch requests whose bodies are being read, with 429', async () => {
    const url = new URL(base);
    // Requests that send headers and part of a body, then stall. One the server answers or drops
    // (an authentication lookup failing on a loaded machine, say) holds no slot: it is replaced,
    // and its status kept for the failure message.
    const live = new Set<ReturnType<typeof request>>();
    const answered: string[] = [];
    let stopping = false;
    const stall = () => {
      const req = request({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/sensor/events',
        headers: {
          authorization: `Bearer ${world.sensor.apiKey}`,
          'content-type': 'application/json',
          'content-length': '1000',
        },
      });
      req.on('error', (error) => answered.push(error.message));
      req.on('response', (res) => {
        answered.push(String(res.statusCode));
        res.resume();
        // An answered request holds no slot, but its socket may stay open with the body unsent,
        // and then 'close' never came to replace it: the cap was never reached (CI, 2026-12-06).
        req.destroy();
      });
      req.on('close', () => {
        live.delete(req);
        if (!stopping) stall();
      });
      req.write('{"sensorId":"s",');
      live.add(req);
    };
    // The key's identity is cached before the requests arrive together.
    expect(
      (await postBatch(base, world.sensor.apiKey, { sensorId: 's', batchId: 'warm', seq: 1, events: [] }))
        .status,
    ).toBe(200);
    for (let n = 0; n < 64; n++) stall();
    try {
      // The stalled requests reach the server one by one (slowly on a busy machine): refused once
      // they all hold a slot.
      const answer = await vi.waitFor(
        async () => {
          const a = await postBatch(base, world.sensor.apiKey, {
            sensorId: 's',
            batchId: 'cap',
            seq: 1,
            events: [],
          });
          expect(a.status, `stalled requests answered: ${answered.join(', ') || 'none'}`).toBe(429);
          return a;
        },
        // 45 s was not enough at a load average of 19 on 2 cores (CI beside four builds).
        { timeout: 100_000, interval: 50 },
      );
      expect(answer.headers.get('retry-after')).toBe('1');
    } finally {
      stopping = true;
      for (const req of live) req.destroy();
    }
    // Once the stalled requests are gone (the server sees the sockets close), batches are accepted again.
    await vi.waitFor(
      async () => {
        const after = await postBatch(base, world.sensor.apiKey, {
          sensorId: 's',
          batchId: 'cap-after',
          seq: 2,
          events: [syscallEvent('execve', 'ls')],
        });
        expect(after.status).toBe(200);
      },
      { timeout: 60_000, interval: 50 },
    );
  }, 200_000);

  it('refuses a revoked key', async () => {
    const other = await registerSensor(world.db, {
      environmentId: world.environmentId,
      name: 'node-revoked',
    });
    await revokeSensor(world.db, other.sensorId);
    const res = await postBatch(base, other.apiKey, { sensorId: 's', batchId: 'r', seq: 1, events: [] });
    expect(res.status).toBe(401);
  });
});

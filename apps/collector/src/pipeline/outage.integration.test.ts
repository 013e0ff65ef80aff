/**
 * The database going away under a real collector: a TCP proxy in front of the test Postgres cuts
 * every connection (as a crash, restart or network partition does), and backends are terminated
 * mid-statement. Accepted work must be stored exactly once; refused work must be refused with a
 * status that tells the sender to send again.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudSource } from '@peregrine/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { createWorld, postBatch, syscallEvent, type World } from '../testing/world.js';

let world: World;
let proxy: TcpProxy;
const secretKey = randomBytes(32);
let falcoToken = '';
let k8sToken = '';
let githubId = '';

beforeAll(async () => {
  world = await createWorld('outage');
  const u = new URL(world.url);
  proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
  const add = (kind: 'falco' | 'k8s_audit' | 'github', extra: object = {}) =>
    createCloudSource(world.db, {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      kind,
      name: `outage-${kind}`,
      ...extra,
    });
  falcoToken = (await add('falco', { issueToken: true })).token as string;
  k8sToken = (await add('k8s_audit', { issueToken: true })).token as string;
  githubId = (
    await add('github', { secrets: { webhookSecret: 'gh-secret' }, secretKey, config: { scanDiffs: false } })
  ).source.id;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await world?.close();
});

const env = { PEREGRINE_SECRET_KEY: secretKey.toString('base64') };
/**
 * Short waits for the tests that cut the database: the store gives up (503 / spool) after two quick
 * retries instead of about 3.5 s, and the spool retries every 50-200 ms instead of backing off to
 * 15 s, so the database's return is noticed at once. What is stored, refused and spooled is the
 * same; only how long the collector waits changes.
 */
const quickOutage = {
  outageWaits: { storeRetryDelaysMs: [20, 50], spoolBackoffMs: { initial: 50, max: 200 } },
};

function falcoAlert(id: string) {
  return {
    uuid: id,
    hostname: 'node-7',
    output: `10:00:00.000000000: Warning Shell in container (id=${id})`,
    output_fields: { 'container.id': id },
    priority: 'Warning',
    rule: 'Terminal shell in container',
    source: 'syscall',
    tags: ['shell'],
    time: '2026-12-05T10:00:00.000000000Z',
  };
}

const postFalco = (base: string, id: string) =>
  fetch(`${base}/?token=${falcoToken}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(falcoAlert(id)),
  });

const postGithub = (base: string, delivery: string) => {
  const body = JSON.stringify({ zen: 'Anything added dilutes everything else.', hook_id: 1 });
  return fetch(`${base}/ingest/github/${githubId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`,
    },
    body,
  });
};

const postAudit = (base: string, auditID: string) =>
  fetch(`${base}/ingest/k8s-audit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${k8sToken}` },
    body: JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID,
      stage: 'ResponseComplete',
      verb: 'get',
      requestURI: '/api/v1/namespaces/default/pods',
      user: { username: 'alice' },
      stageTimestamp: '2026-12-05T10:00:00.000000Z',
    }),
  });

async function count(sql: string, params: unknown[]): Promise<number> {
  const rows = await world.db.prisma.$queryRawUnsafe<{ n: number }[]>(sql, ...params);
  return Number(rows[0]?.n ?? 0);
}

const alertsWithKey = (key: string) =>
  count('SELECT count(*)::int AS n FROM alerts WHERE "ingestKey" = $1', [key]);
const rawWithKey = (key: string) =>
  count('SELECT count(*)::int AS n FROM raw_events WHERE "ingestKey" = $1', [key]);

describe('a database outage under a running collector', () => {
  let collector: Collector | undefined;
  afterAll(async () => {
    proxy.restore();
    await collector?.stop();
  });

  it('answers sensors 503 + Retry-After, spools push senders, and stores the spool exactly once when the database is back', async () => {
    collector = await world.collector({ ...env, DATABASE_URL: proxy.url(world.url) }, quickOutage);
    const base = await collector.start();
    // Sources resolved once while the database is up (a push needs its source to be known).
    expect((await postFalco(base, 'warm-1')).status).toBe(200);
    expect((await postGithub(base, 'warm-gh')).status).toBe(200);
    expect((await postAudit(base, 'warm-audit')).status).toBe(200);

    proxy.cut();
    const batch = {
      sensorId: world.sensor.sensorId,
      batchId: 'outage-b1',
      seq: 1,
      events: [syscallEvent('execve', 'bash'), syscallEvent('execve', 'sh')],
    };
    const refused = await postBatch(base, world.sensor.apiKey, batch);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('UNAVAILABLE');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    const [falco, github, audit] = await Promise.all([
      postFalco(base, 'down-1'),
      postGithub(base, 'down-gh'),
      postAudit(base, 'down-audit'),
    ]);
    for (const res of [falco, github, audit]) expect(res.status).toBe(200);
    expect(await falco.json()).toMatchObject({ accepted: 1, spooled: true });
    expect(await github.json()).toMatchObject({ accepted: 1, spooled: true });
    expect(await audit.json()).toMatchObject({ accepted: 1, spooled: true });
    expect(collector.spool?.depth).toBe(3);
    // Nothing reached the database: it is still unreachable.
    expect(await alertsWithKey('uuid:down-1')).toBe(0);

    proxy.restore();
    await vi.waitFor(() => expect(collector?.spool?.depth).toBe(0), { timeout: 30_000, interval: 100 });
    expect(await alertsWithKey('uuid:down-1')).toBe(1);
    expect(await rawWithKey('down-gh')).toBe(1);
    expect(await rawWithKey('down-audit/ResponseComplete')).toBe(1);

    // The sender's retries: the sensor's batch now, GitHub's "Redeliver" of the spooled delivery.
    const resent = await postBatch(base, world.sensor.apiKey, batch);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ accepted: 2, duplicate: false });
    expect(await (await postGithub(base, 'down-gh')).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await (await postFalco(base, 'down-1')).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await rawWithKey('down-gh')).toBe(1);
    expect(await alertsWithKey('uuid:down-1')).toBe(1);
    await collector.stop();
    collector = undefined;
  }, 60_000);

  it('stores what a stopped collector left in its spool when the next one starts on the folder', async () => {
    const dir = join(tmpdir(), `peregrine-outage-spool-${randomUUID()}`);
    const first = await world.collector(
      { ...env, DATABASE_URL: proxy.url(world.url), COLLECTOR_SPOOL_DIR: dir },
      quickOutage,
    );
    const base = await first.start();
    expect((await postFalco(base, 'warm-2')).status).toBe(200);
    proxy.cut();
    expect(await (await postFalco(base, 'left-1')).json()).toMatchObject({ spooled: true });
    await first.stop();
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    proxy.restore();

    collector = await world.collector({ ...env, COLLECTOR_SPOOL_DIR: dir }, quickOutage);
    await collector.start();
    await vi.waitFor(async () => expect(await alertsWithKey('uuid:left-1')).toBe(1), {
      timeout: 30_000,
      interval: 100,
    });
    await vi.waitFor(async () => expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toEqual([]));
    await collector.stop();
    collector = undefined;
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('retries statements whose connections were terminated: every batch is answered 200 and stored', async () => {
    collector = await world.collector({ ...env, LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' });
    const base = await collector.start();
    const admin = new pg.Client({ connectionString: world.url });
    await admin.connect();
    const dbName = new URL(world.url).pathname.slice(1);
    let terminated = 0;
    const killer = (async () => {
      for (let burst = 0; burst < 6; burst++) {
        const r = await admin.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
          [dbName],
        );
        terminated += r.rowCount ?? 0;
        // Pacing, not waiting for a condition: the bursts of terminations spread over the sends.
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const sends = Array.from({ length: 40 }, (_, i) =>
      postBatch(base, world.sensor.apiKey, {
        sensorId: world.sensor.sensorId,
        batchId: `terminated-${i}`,
        seq: 100 + i,
        events: [syscallEvent('execve', 'bash')],
      }),
    );
    const results = await Promise.all(sends);
    await killer;
    await admin.end();
    expect(terminated).toBeGreaterThan(0);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const stored = await count(
      `SELECT count(*)::int AS n FROM alerts WHERE "ingestKey" LIKE $1 AND rule = 'Shell spawned'`,
      [`${world.sensor.sensorId}:terminated-%`],
    );
    expect(stored).toBe(40);
    await collector.stop();
    collector = undefined;
  }, 60_000);
});

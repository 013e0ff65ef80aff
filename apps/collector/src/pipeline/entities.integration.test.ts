import { createCloudSource } from '@peregrine/db';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { createWorld, postBatch, syscallEvent, TEST_RULES, type World } from '../testing/world.js';
import { createTestPool } from '@peregrine/db/testing';

/**
 * The collector names entities as it stores: a shell in a pod (sensor) and the `kubectl exec`
 * into that pod (k8s audit webhook) share the pod entity, each occurrence written by the store
 * statement of its alert or raw event; a re-sent audit batch adds none.
 */
const RULES = `${TEST_RULES}
- rule: Exec into pod
  desc: kubectl exec
  condition: ka.verb = create and ka.target.resource = pods and ka.target.subresource = exec
  output: exec into %ka.target.namespace/%ka.target.name by %ka.user.name
  priority: NOTICE
  source: k8s_audit
`;

const WAIT = { timeout: 30_000, interval: 50 };
let world: World;
let collector: Collector;
let url: string;
let pool: pg.Pool;
let token: string;

beforeAll(async () => {
  world = await createWorld('entities', RULES);
  pool = createTestPool(world.url, { max: 2 });
  const s = await createCloudSource(world.db, {
    organizationId: world.organizationId,
    environmentId: world.environmentId,
    kind: 'k8s_audit',
    name: 'cluster',
    config: {},
    issueToken: true,
  });
  token = s.token as string;
  collector = await world.collector();
  url = await collector.start();
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await pool?.end();
  await world?.close();
});

async function podOccurrences(): Promise<{ source: string; ref: string }[]> {
  const r = await pool.query<{ source: string; ref: string }>(
    `SELECT o.source, CASE WHEN o."alertId" IS NULL THEN 'raw' ELSE 'alert' END AS ref
     FROM entity_occurrences o JOIN entities e ON e.id = o."entityId"
     WHERE e."environmentId" = $1 AND e.kind = 'pod' AND e.value = 'prod/payments-7f9c'
     ORDER BY 1, 2`,
    [world.environmentId],
  );
  return r.rows;
}

describe('entities written by the collector', () => {
  it('a shell alert in a pod and the k8s audit exec into it share the pod', async () => {
    const now = Date.now();
    const shell = syscallEvent('execve', 'bash');
    shell.container = {
      id: '3ad7b26ded6d0f6a2b1c3d4e5f60718293a4b5c6d7e8f9011223344556677889',
      image: 'nginx:1.25',
    };
    shell.k8s = { podName: 'payments-7f9c', namespace: 'prod' };
    const batch = await postBatch(url, world.sensor.apiKey, {
      sensorId: 'machine-1',
      batchId: 'b-ent-1',
      seq: 1,
      events: [shell],
    });
    expect(batch.status).toBe(200);
    const exec = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Request',
      auditID: 'exec-1',
      stage: 'ResponseStarted',
      requestURI: '/api/v1/namespaces/prod/pods/payments-7f9c/exec?command=bash&stdin=true&tty=true',
      verb: 'create',
      user: { username: 'alice@example.com', groups: ['system:authenticated'] },
      sourceIPs: ['203.0.113.7'],
      userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
      objectRef: {
        resource: 'pods',
        namespace: 'prod',
        name: 'payments-7f9c',
        apiVersion: 'v1',
        subresource: 'exec',
      },
      responseStatus: { metadata: {}, code: 101 },
      requestReceivedTimestamp: new Date(now - 1000).toISOString(),
      stageTimestamp: new Date(now - 1000).toISOString(),
    };
    const post = () =>
      fetch(`${url}/ingest/k8s-audit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [exec] }),
      });
    expect((await post()).status).toBe(200);
    // The sensor's shell alert, the exec alert and the exec raw event.
    await vi.waitFor(async () => {
      expect(await podOccurrences()).toEqual([
        { source: 'k8s_audit', ref: 'alert' },
        { source: 'k8s_audit', ref: 'raw' },
        { source: 'syscall', ref: 'alert' },
      ]);
    }, WAIT);
    // A redelivery of the audit batch names nothing again.
    const again = await post();
    expect(await again.json()).toMatchObject({ duplicates: 1 });
    expect(await podOccurrences()).toHaveLength(3);
    const people = await pool.query<{ value: string }>(
      `SELECT value FROM entities WHERE "environmentId" = $1 AND kind IN ('principal', 'ip', 'container') ORDER BY 1`,
      [world.environmentId],
    );
    expect(people.rows.map((r) => r.value)).toEqual(['203.0.113.7', '3ad7b26ded6d', 'alice@example.com']);
  });
});

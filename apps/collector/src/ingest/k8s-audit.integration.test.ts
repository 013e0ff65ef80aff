import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAuditBody, registerK8sAuditRoutes } from './k8s-audit.js';
import { counterValue, createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';
import { listenLocal } from './shared/test-server.js';

function auditEvent(id: string, stage = 'ResponseComplete', extra: Record<string, unknown> = {}) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: id,
    stage,
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['172.18.0.1'],
    objectRef: { resource: 'pods', namespace: 'default', name: 'nginx', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2026-11-23T10:00:00.123456Z',
    stageTimestamp: '2026-11-23T10:00:00.234567Z',
    ...extra,
  };
}

const eventList = (items: unknown[]) => ({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items,
});

describe('decodeAuditBody', () => {
  it('keeps the event, times it by stageTimestamp to the nanosecond and keys it by auditID/stage', () => {
    const d = decodeAuditBody(eventList([auditEvent('a1')]));
    expect(d.rejected).toBe(0);
    expect(d.events).toHaveLength(1);
    const [e] = d.events;
    expect(e?.ingestKey).toBe('a1/ResponseComplete');
    expect(e?.source).toBe('k8s_audit');
    expect(e?.event).toMatchObject({ ts: '1795428000234567000', payload: { auditID: 'a1', verb: 'create' } });
    expect(e?.eventTime?.toISOString()).toBe('2026-11-23T10:00:00.234Z');
  });
  it('accepts a single Event and a JSON array of events; refuses other shapes', () => {
    expect(decodeAuditBody(auditEvent('x')).events).toHaveLength(1);
    const arr = decodeAuditBody([auditEvent('y'), { kind: 0 }, eventList([auditEvent('z')])]);
    expect(arr.events.map((e) => e.ingestKey)).toEqual(['y/ResponseComplete', 'z/ResponseComplete']);
    expect(arr.rejected).toBe(1);
    expect(() => decodeAuditBody({ kind: 0 })).toThrow(/not recognized as a k8s audit event/);
    expect(() => decodeAuditBody({ kind: 'EventList' })).toThrow(/items/);
  });
  it('rejects events without auditID, with a bad stageTimestamp, or too large, one by one', () => {
    const d = decodeAuditBody(
      eventList([
        auditEvent('ok'),
        auditEvent('bad-ts', 'ResponseComplete', { stageTimestamp: 'yesterday' }),
        { ...auditEvent('x'), auditID: undefined },
        auditEvent('big', 'ResponseComplete', { requestObject: { blob: 'x'.repeat(300_000) } }),
      ]),
    );
    expect(d.events.map((e) => e.ingestKey)).toEqual(['ok/ResponseComplete']);
    expect(d.rejected).toBe(3);
    expect(d.issues.map((i) => i.path)).toEqual([
      ['items', 1, 'stageTimestamp'],
      ['items', 2, 'auditID'],
      ['items', 3],
    ]);
  });
});

describe('k8s audit webhook over HTTP (real Postgres)', () => {
  let world: IngestTestWorld;
  let server: { app: FastifyInstance; url: string };
  let token: string;
  let sourceId: string;
  let otherToken: string;

  beforeAll(async () => {
    world = await createIngestTestWorld('k8s_audit');
    const s = await world.addSource('k8s_audit', { token: true });
    token = s.token as string;
    sourceId = s.id;
    otherToken = (await world.addSource('falco', { token: true })).token as string;
    server = await listenLocal((app) => registerK8sAuditRoutes(app, world.deps, { bodyLimit: 64 * 1024 }));
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await world?.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}, path = '/ingest/k8s-audit') =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
    });

  it('stores an EventList as the API server sends it, with raw events kept, and ignores a re-sent batch', async () => {
    const body = JSON.stringify(
      eventList([auditEvent('e1'), auditEvent('e1', 'ResponseStarted'), auditEvent('e2')]),
    );
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: 0 });
    const mine = world.pipeline.events.filter((e) => e.origin.cloudSourceId === sourceId);
    expect(mine).toHaveLength(3);
    expect(mine.every((e) => e.storeRaw)).toBe(true);
    expect(mine[0]?.origin).toEqual({
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      cloudSourceId: sourceId,
    });
    const again = await post(body, {}, `/ingest/k8s-audit/${sourceId}`);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 3, rejected: 0 });
    expect(await counterValue(world.deps, 'eventsIn', { source: 'k8s_audit' })).toBe(6);
  });

  it('answers events the database refused as rejected and records them on the source', async () => {
    world.pipeline.refuse.add('refused-1/ResponseComplete');
    try {
      const res = await post(JSON.stringify(eventList([auditEvent('refused-1'), auditEvent('kept-1')])));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        accepted: 1,
        duplicates: 0,
        rejected: 1,
        issues: [
          {
            path: [],
            message:
              'event "refused-1/ResponseComplete" was refused by the database: refused by the test database',
          },
        ],
      });
      const row = await world.db.prisma.cloudSource.findUnique({ where: { id: sourceId } });
      expect(row?.lastError).toMatch(/^event refused-1\/ResponseComplete was not stored: /);
      expect(
        await counterValue(world.deps, 'rejects', { source: 'k8s_audit', reason: 'store_refused' }),
      ).toBe(1);
    } finally {
      world.pipeline.refuse.clear();
      await world.db.prisma.cloudSource.update({ where: { id: sourceId }, data: { lastError: null } });
    }
  });

  it('keeps the good events of a batch with a bad one and reports the bad one', async () => {
    const res = await post(
      JSON.stringify(eventList([auditEvent('g1'), { kind: 'Event', stage: 'ResponseComplete' }])),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: number; issues: { path: unknown[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toBe(1);
    expect(body.issues[0]?.path).toEqual(['items', 1, 'auditID']);
    expect(await counterValue(world.deps, 'rejects', { source: 'k8s_audit', reason: 'invalid_event' })).toBe(
      1,
    );
  });

  it('accepts a gzip-encoded body', async () => {
    const res = await post(gzipSync(JSON.stringify(auditEvent('gz1'))), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
  });

  it('answers bad input with a clear JSON error and counts it', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post('{"kind": "EventList", "items": ['), 400, 'INVALID_JSON'],
      [post(JSON.stringify({ kind: 0 })), 422, 'INVALID_SHAPE'],
      [post(JSON.stringify(eventList([{ kind: 'Event' }]))), 422, 'INVALID_SHAPE'],
      [post('x'.repeat(70 * 1024)), 413, 'BODY_TOO_LARGE'],
      [post('{}', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_ENCODING'],
      [post('{}', { authorization: 'Bearer pgs_wrong' }), 401, 'UNAUTHENTICATED'],
      [post('{}', { authorization: '' }), 401, 'UNAUTHENTICATED'],
      [post('{}', { authorization: `Bearer ${otherToken}` }), 403, 'FORBIDDEN'],
      [post('{}', {}, '/ingest/k8s-audit/00000000-0000-4000-8000-000000000000'), 404, 'UNKNOWN_SOURCE'],
      [post('{}', {}, '/ingest/k8s-audit/not-a-uuid'), 404, 'UNKNOWN_SOURCE'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
      }).toEqual({
        status,
        code,
      });
    }
    const shape = (await (await post(JSON.stringify({ kind: 0 }))).json()) as {
      error: { issues: unknown[] };
    };
    expect(shape.error.issues).toHaveLength(1);
    expect(
      await counterValue(world.deps, 'rejects', { source: 'k8s_audit', reason: 'unauthenticated' }),
    ).toBe(2);
    expect(await counterValue(world.deps, 'rejects', { source: 'k8s_audit', reason: 'body_too_large' })).toBe(
      1,
    );
  });

  it('answers 429 with Retry-After when the pipeline is saturated', async () => {
    world.pipeline.busyFor = 3;
    try {
      const res = await post(JSON.stringify(auditEvent('busy')));
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('3');
    } finally {
      world.pipeline.busyFor = undefined;
    }
  });
});

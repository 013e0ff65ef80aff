import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFalcoBody, falcoIngestKey, registerFalcoRoutes } from './falco.js';
import { counterValue, createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';
import { listenLocal } from './shared/test-server.js';

/** A Falco http_output body as falco 0.3x sends it with json_output: true. */
const falcoAlert = {
  hostname: 'ip-10-0-1-23',
  output:
    '16:31:56.746609046: Warning A shell was spawned in a container with an attached terminal (user=root container_id=8b6a3e5b3e0e)',
  output_fields: {
    'container.id': '8b6a3e5b3e0e',
    'evt.arg.flags': null,
    // Already parsed here; the route reads Falco's 19-digit ns integers exactly (as bigint).
    'evt.time': 1721406716746609200,
    'proc.cmdline': 'bash',
    'user.uid': 0,
  },
  priority: 'Warning',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['mitre_execution', 'T1059', 'container'],
  time: '2024-07-19T16:31:56.746609046Z',
};

describe('decodeFalcoBody', () => {
  it('maps a Falco alert to an ExternalAlert keyed by a content hash', () => {
    const d = decodeFalcoBody(falcoAlert);
    expect(d.rejected).toBe(0);
    expect(d.alerts[0]).toEqual({
      time: new Date('2024-07-19T16:31:56.746Z'),
      rule: 'Terminal shell in container',
      priority: 'Warning',
      source: 'syscall',
      output: falcoAlert.output,
      outputFields: falcoAlert.output_fields,
      tags: ['T1059', 'container', 'mitre_execution'],
      hostname: 'ip-10-0-1-23',
      ingestKey: falcoIngestKey(falcoAlert),
    });
    expect(falcoIngestKey(falcoAlert)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(falcoIngestKey({ ...falcoAlert, output: 'other' })).not.toBe(falcoIngestKey(falcoAlert));
  });
  it('reads falcosidekick, sidekick-ui and Tracee shapes', () => {
    const uuid = '2e1d3b52-3b4e-4d57-8f2a-6f5c1d2e3f40';
    const sidekick = { ...falcoAlert, uuid, priority: 'critical', source: '' };
    const ui = { event: { ...falcoAlert, uuid }, outputs: ['WebUI'] };
    const tracee = {
      output: 'Rule "Anti-Debugging" detection:\n ptrace',
      rule: 'Anti-Debugging',
      time: '2024-07-19T16:31:56Z',
      output_fields: { value: 1 },
    };
    const d = decodeFalcoBody([sidekick, ui, tracee]);
    expect(d.rejected).toBe(0);
    expect(d.alerts.map((a) => [a.ingestKey, a.priority, a.source])).toEqual([
      [`uuid:${uuid}`, 'Critical', 'syscall'],
      [`uuid:${uuid}`, 'Warning', 'syscall'],
      [falcoIngestKey(tracee), 'Warning', 'tracee'],
    ]);
  });
  it('refuses a bad alert alone', () => {
    const d = decodeFalcoBody([
      falcoAlert,
      { ...falcoAlert, priority: 'loud' },
      { ...falcoAlert, rule: '' },
      { time: 'x' },
    ]);
    expect(d.alerts).toHaveLength(1);
    expect(d.rejected).toBe(3);
    expect(d.issues.map((i) => i.path)).toEqual([
      [1, 'priority'],
      [2, 'rule'],
      [3, 'time'],
      [3, 'rule'],
    ]);
  });
});

describe('Falco http_output / falcosidekick endpoint over HTTP (real Postgres)', () => {
  let world: IngestTestWorld;
  let server: { app: FastifyInstance; url: string };
  let token: string;
  let sourceId: string;

  beforeAll(async () => {
    world = await createIngestTestWorld('falco');
    const s = await world.addSource('falco', { token: true });
    token = s.token as string;
    sourceId = s.id;
    server = await listenLocal(async (app) => {
      app.get('/healthz', async () => ({ ok: true }));
      await registerFalcoRoutes(app, world.deps, { bodyLimit: 16 * 1024 });
    });
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await world?.close();
  });

  // Falco's http_output: POST, Content-Type application/json, User-Agent falcosecurity/falco, no auth header.
  const falcoPost = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('accepts an alert at every falcosidekick path with ?token=, once', async () => {
    for (const path of ['/', '/api/v1/', '/api/v1/events/add', '/falco']) {
      const res = await falcoPost(`${path}?token=${encodeURIComponent(token)}`, {
        ...falcoAlert,
        rule: `r ${path}`,
      });
      expect(res.status, path).toBe(200);
    }
    const again = await falcoPost(`/?token=${token}`, { ...falcoAlert, rule: 'r /' });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 1, rejected: 0 });
    const mine = world.pipeline.alerts.filter((a) => a.origin.cloudSourceId === sourceId);
    expect(mine.map((a) => a.alert.rule)).toEqual(['r /', 'r /api/v1/', 'r /api/v1/events/add', 'r /falco']);
    expect(await counterValue(world.deps, 'duplicates', { source: 'falco' })).toBe(1);
  });

  it('takes the token from a header too (falcosidekick webhook.customheaders)', async () => {
    const res = await falcoPost(
      '/',
      { ...falcoAlert, rule: 'via header' },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(200);
  });

  it('does not claim unknown paths in the collector API namespaces', async () => {
    for (const path of ['/v1/nowhere', '/ingest/nothing', '/metrics/x']) {
      const res = await falcoPost(`${path}?token=${token}`, falcoAlert);
      expect(res.status, path).toBe(404);
    }
  });

  it('leaves other routes alone and answers /ping like falcosidekick', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    const ping = await fetch(`${server.url}/ping`);
    expect(await ping.text()).toBe('pong\n');
  });

  it('answers bad input with a clear JSON error and counts it', async () => {
    const q = `?token=${token}`;
    const cases: [Promise<Response>, number, string][] = [
      [falcoPost(`/${q}`, '{"rule":'), 400, 'INVALID_JSON'],
      [
        falcoPost(`/${q}`, '16:31:56: Warning shell', { 'content-type': 'text/plain' }),
        415,
        'UNSUPPORTED_ENCODING',
      ],
      [falcoPost(`/${q}`, { ...falcoAlert, priority: 'loud' }), 422, 'INVALID_SHAPE'],
      [falcoPost(`/${q}`, { ...falcoAlert, output: 'x'.repeat(20_000) }), 413, 'BODY_TOO_LARGE'],
      [falcoPost('/', falcoAlert), 401, 'UNAUTHENTICATED'],
      [falcoPost('/?token=pgs_nope', falcoAlert), 401, 'UNAUTHENTICATED'],
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
    expect(await counterValue(world.deps, 'rejects', { source: 'falco', reason: 'invalid_event' })).toBe(1);
    expect(await counterValue(world.deps, 'rejects', { source: 'falco', reason: 'unauthenticated' })).toBe(2);
  });

  it('refuses pushes to a disabled source', async () => {
    const s = await world.addSource('falco', { token: true });
    await world.db.prisma.cloudSource.update({ where: { id: s.id }, data: { enabled: false } });
    const res = await falcoPost(`/?token=${s.token}`, falcoAlert);
    expect(res.status).toBe(403);
  });
});

/**
 * Hostile and malformed bodies against every push endpoint: each gets a 4xx JSON answer (never a
 * 5xx), nothing reaches the pipeline, and the server keeps answering.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFalcoRoutes } from './falco.js';
import { registerGithubRoutes } from './github.js';
import { registerK8sAuditRoutes } from './k8s-audit.js';
import { createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';
import { listenLocal } from './shared/test-server.js';

/** Deterministic PRNG (mulberry32), so a failing body can be reproduced. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileBodies(): { name: string; body: Buffer; encoding?: string }[] {
  const rand = prng(1234);
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deepObject = `{"kind":"Event","auditID":"d","stage":"ResponseComplete","stageTimestamp":"2026-01-01T00:00:00Z","rule":"r","time":"2026-01-01T00:00:00Z","requestObject":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
  const valid = JSON.stringify({
    kind: 'Event',
    auditID: 'x',
    stage: 'ResponseComplete',
    stageTimestamp: '2026-01-01T00:00:00Z',
  });
  const out: { name: string; body: Buffer; encoding?: string }[] = [
    { name: 'empty', body: Buffer.alloc(0) },
    { name: 'deep array', body: Buffer.from(deep) },
    { name: 'deep object in an event', body: Buffer.from(deepObject) },
    { name: 'null', body: Buffer.from('null') },
    { name: 'number', body: Buffer.from('1e999') },
    { name: 'string', body: Buffer.from('"EventList"') },
    {
      name: 'proto',
      body: Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
    },
    { name: 'wrong types', body: Buffer.from('{"kind":"EventList","items":{"0":1}}') },
    { name: 'items of junk', body: Buffer.from('{"kind":"EventList","items":[null,1,"a",[],{}]}') },
    { name: 'bad utf-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    { name: 'bad gzip', body: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), encoding: 'gzip' },
    { name: 'gzip bomb', body: gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), encoding: 'gzip' },
    { name: 'unknown encoding', body: Buffer.from(valid), encoding: 'br' },
  ];
  for (let i = 0; i < 40; i++) {
    const cut = Math.floor(rand() * valid.length);
    out.push({ name: `truncated ${cut}`, body: Buffer.from(valid.slice(0, cut)) });
    out.push({ name: `random ${i}`, body: randomBytes(1 + Math.floor(rand() * 2000)) });
  }
  return out;
}

function isJsonObject(body: Buffer, encoding: string | undefined): boolean {
  if (encoding) return false;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      !JSON.stringify(v).includes('{"a":{"a":{"a":{"a"')
    );
  } catch {
    return false;
  }
}

describe('hostile input on the push endpoints', () => {
  let world: IngestTestWorld;
  let server: { app: FastifyInstance; url: string };
  let k8sToken: string;
  let falcoToken: string;
  let githubId: string;

  beforeAll(async () => {
    world = await createIngestTestWorld('bad_input');
    k8sToken = (await world.addSource('k8s_audit', { token: true })).token as string;
    falcoToken = (await world.addSource('falco', { token: true })).token as string;
    githubId = (
      await world.addSource('github', { secrets: { webhookSecret: 's' }, config: { scanDiffs: false } })
    ).id;
    server = await listenLocal(async (app) => {
      app.get('/alive', async () => ({ ok: true }));
      await registerK8sAuditRoutes(app, world.deps, { bodyLimit: 1024 * 1024 });
      await registerGithubRoutes(app, world.deps, { bodyLimit: 1024 * 1024 });
      await registerFalcoRoutes(app, world.deps, { bodyLimit: 1024 * 1024 });
    });
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await world?.close();
  });

  it('answers every hostile body with a 4xx JSON error and stores nothing', async () => {
    const statuses = new Map<number, number>();
    for (const { name, body, encoding } of hostileBodies()) {
      const targets: [string, Record<string, string>][] = [
        [`/ingest/k8s-audit`, { authorization: `Bearer ${k8sToken}` }],
        [`/?token=${falcoToken}`, {}],
        [
          `/ingest/github/${githubId}`,
          {
            'x-github-event': 'push',
            'x-github-delivery': `d-${name}`,
            'x-hub-signature-256': `sha256=${createHmac('sha256', 's').update(body).digest('hex')}`,
          },
        ],
      ];
      for (const [path, headers] of targets) {
        const res = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(encoding ? { 'content-encoding': encoding } : {}),
            ...headers,
          },
          body: body.length > 0 ? body : undefined,
        });
        const text = await res.text();
        const what = `${name} -> ${path}: ${text.slice(0, 200)}`;
        expect(res.status, what).toBeLessThan(500);
        // A signed JSON object is a legitimate GitHub delivery, whatever its keys.
        const legit = path.startsWith('/ingest/github/') && isJsonObject(body, encoding);
        if (legit) expect(res.status, what).toBe(200);
        else {
          expect(res.status, what).toBeGreaterThanOrEqual(400);
          expect(JSON.parse(text).error.code, what).toEqual(expect.any(String));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }
    }
    expect(world.pipeline.events.every((e) => e.event.source === 'github')).toBe(true);
    expect(world.pipeline.alerts).toHaveLength(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect([...statuses.keys()].sort()).toEqual([400, 413, 415, 422]);
    expect(await (await fetch(`${server.url}/alive`)).json()).toEqual({ ok: true });
  }, 120_000);
});

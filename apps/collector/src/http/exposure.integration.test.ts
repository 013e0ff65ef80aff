/**
 * Attack (exposure): the collector listened on every interface by default, served /metrics to
 * anyone, and its warn/error log lines carried fragments of event content and remote answers
 * (a parser's quote of the input, the repository and paths of a GitHub delivery, an Okta error
 * body, a Falco token in a logged URL) to wherever logs are shipped.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { createCloudSource } from '@peregrine/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { loadEnv } from '../env.js';
import { listenLocal } from '../ingest/shared/test-server.js';
import { createWorld, type World } from '../testing/world.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const SECRET_WORD = 'TOPSECRET';

describe('collector exposure: bind address, metrics, log content', () => {
  let world: World;
  let collector: Collector;
  let base: string;
  let upstream: Awaited<ReturnType<typeof listenLocal>>;
  const lines: string[] = [];
  const webhookSecret = 'hook-secret';
  let githubId: string;

  beforeAll(async () => {
    world = await createWorld('exposure');
    // GitHub- and Okta-shaped upstreams that fail, quoting what they were asked about.
    upstream = await listenLocal(async (app) => {
      app.get('/repos/*', async (_req, reply) => reply.code(404).send({ message: 'Not Found' }));
      app.get('/api/v1/logs', async (_req, reply) =>
        reply.code(500).send(`internal error while reading ${SECRET_WORD}-okta-record`),
      );
    });
    const secretKey = Buffer.alloc(32, 3);
    const add = (kind: 'github' | 'okta', config: Record<string, unknown>, secrets: Record<string, string>) =>
      createCloudSource(world.db, {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        kind,
        name: kind,
        config,
        secrets,
        secretKey,
      });
    githubId = (await add('github', { apiBaseUrl: upstream.url }, { webhookSecret })).source.id;
    await add('okta', { baseUrl: upstream.url, pollIntervalSeconds: 60 }, { apiToken: 'okta-token' });
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    collector = await world.collector(
      {
        LOG_LEVEL: 'info',
        PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
        COLLECTOR_METRICS_TOKEN: METRICS_TOKEN,
        // The fake upstreams listen on loopback: allowed explicitly, as an operator would.
        COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32',
      },
      { logStream },
    );
    // A route that fails the way a driver does on event content (pg quotes the refused value).
    collector.app.post('/test/store', async () => {
      throw new Error(`invalid input syntax for type json: "${SECRET_WORD}-event-value"`);
    });
    base = await collector.start();
  }, 120_000);
  afterAll(async () => {
    await collector?.stop();
    await upstream?.app.close();
    await world?.close();
  });

  it('binds 127.0.0.1 unless COLLECTOR_HOST says otherwise', () => {
    expect(loadEnv({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x' }).COLLECTOR_HOST).toBe(
      '127.0.0.1',
    );
    expect(
      loadEnv({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', COLLECTOR_HOST: '0.0.0.0' })
        .COLLECTOR_HOST,
    ).toBe('0.0.0.0');
  });

  it('serves /metrics only with the bearer token when COLLECTOR_METRICS_TOKEN is set', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status,
    ).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('peregrine_collector_rejects_total');
  });

  it('logs failures without the content they quote', async () => {
    const failed = await fetch(`${base}/test/store?token=${SECRET_WORD}-falco-token`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'body',
    });
    expect(failed.status).toBe(500);
    const body = JSON.stringify({
      before: '1111111111111111111111111111111111111111',
      after: '2222222222222222222222222222222222222222',
      repository: { full_name: `acme/${SECRET_WORD}-repository` },
      commits: [],
    });
    const delivery = await fetch(`${base}/ingest/github/${githubId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'exposure-1',
        'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
      },
      body,
    });
    expect(delivery.status).toBe(200);
    await vi.waitFor(
      () => {
        const text = lines.join('\n');
        expect(text).toContain('request failed');
        expect(text).toContain('GitHub enrichment failed');
        expect(text).toContain('polling failed');
      },
      { timeout: 10_000 },
    );
    const leaking = lines.filter((l) => l.includes(SECRET_WORD));
    expect(leaking).toEqual([]);
  });
});

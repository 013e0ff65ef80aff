/**
 * The cloud ingest modules inside a real collector (createCollector): rules evaluated by the
 * engine, alerts and raw events committed to Postgres.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudSource, listAlerts, listEnvironmentAlerts } from '@peregrine/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { FAKE_OKTA_TOKEN, FakeOkta } from './shared/fake-okta.js';
import { listenLocal } from './shared/test-server.js';
import { connectConsole, createWorld, TEST_RULES, type World } from '../testing/world.js';

const RULES = `${TEST_RULES}
- rule: Pod created in default namespace
  desc: a pod was created in the default namespace
  condition: ka.verb=create and ka.target.resource=pods and ka.target.namespace=default
  output: Pod created (user=%ka.user.name pod=%ka.target.name)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s]
- rule: Instances started
  desc: EC2 instances were started
  condition: ct.name=StartInstances and not ct.error exists
  output: Instances started (user=%ct.user region=%ct.region)
  priority: INFO
  source: aws_cloudtrail
  tags: [aws]
- rule: Okta account locked
  desc: an Okta account was locked
  condition: okta.evt.type = "user.account.lock"
  output: Okta account locked (user=%okta.actor.name ip=%okta.client.ip)
  priority: WARNING
  source: okta
  tags: [okta]
- rule: Push with secrets
  desc: a pushed diff holds a secret
  condition: github.type=push and github.diff.has_secrets=true
  output: Secret pushed (repo=%github.repo.name user=%github.user)
  priority: CRITICAL
  source: github
  tags: [github]
`;

describe('cloud sources through the real pipeline (Postgres, engine)', () => {
  let world: World;
  let collector: Collector;
  let base: string;
  let folder: string;
  let okta: FakeOkta;
  const secretKey = randomBytes(32);
  const tokens: Record<string, string> = {};
  let githubId = '';

  beforeAll(async () => {
    world = await createWorld('cloud_ingest', RULES);
    folder = await mkdtemp(join(tmpdir(), 'peregrine-trail-e2e-'));
    const add = async (
      kind: 'k8s_audit' | 'falco' | 'github' | 'aws_cloudtrail' | 'okta',
      extra: object = {},
    ) =>
      createCloudSource(world.db, {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        kind,
        name: `e2e-${kind}`,
        ...extra,
      });
    tokens.k8s = (await add('k8s_audit', { issueToken: true })).token as string;
    tokens.falco = (await add('falco', { issueToken: true })).token as string;
    githubId = (
      await add('github', {
        secrets: { webhookSecret: 'gh-secret' },
        secretKey,
        config: { scanDiffs: false },
      })
    ).source.id;
    await writeFile(
      join(folder, 'trail.json'),
      JSON.stringify({
        Records: [
          {
            eventVersion: '1.08',
            userIdentity: { type: 'IAMUser', userName: 'Alice', accountId: '123456789012' },
            eventTime: '2026-11-23T09:15:42Z',
            eventSource: 'ec2.amazonaws.com',
            eventName: 'StartInstances',
            awsRegion: 'eu-west-1',
            sourceIPAddress: '203.0.113.9',
            eventID: 'ct-e2e-1',
            eventType: 'AwsApiCall',
          },
        ],
      }),
    );
    await add('aws_cloudtrail', { config: { mode: 'folder', path: folder, pollIntervalSeconds: 1 } });
    okta = new FakeOkta();
    await okta.start();
    okta.add(1, { uuid: 'okta-e2e-1', eventType: 'user.account.lock' });
    await add('okta', {
      config: { baseUrl: okta.server.url, pollIntervalSeconds: 1 },
      secrets: { apiToken: FAKE_OKTA_TOKEN },
      secretKey,
    });
    collector = await world.collector({
      PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
      // Fake Okta/GitHub on loopback and a trail folder under tmpdir: allowed as an operator would.
      COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32',
      COLLECTOR_FOLDER_ROOTS: tmpdir(),
    });
    base = await collector.start();
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    await okta?.server.app.close();
    await world?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const alertOf = (rule: string) =>
    vi.waitFor(
      async () => {
        const alert = (await listEnvironmentAlerts(world.db, world.environmentId)).find(
          (a) => a.rule === rule,
        );
        if (!alert) throw new Error(`no ${rule} alert yet`);
        return alert;
      },
      { timeout: 15_000, interval: 100 },
    );

  it('turns a Kubernetes audit event into an alert and keeps the raw event', async () => {
    const res = await fetch(`${base}/ingest/k8s-audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.k8s}` },
      body: JSON.stringify({
        kind: 'EventList',
        apiVersion: 'audit.k8s.io/v1',
        items: [
          {
            kind: 'Event',
            apiVersion: 'audit.k8s.io/v1',
            auditID: 'e2e-audit-1',
            stage: 'ResponseComplete',
            verb: 'create',
            requestURI: '/api/v1/namespaces/default/pods',
            user: { username: 'kubernetes-admin' },
            objectRef: { resource: 'pods', namespace: 'default', name: 'nginx' },
            responseStatus: { code: 201 },
            stageTimestamp: '2026-11-23T10:00:00.000000Z',
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const alert = await alertOf('Pod created in default namespace');
    expect(alert.priority.toLowerCase()).toBe('notice');
    // The other sources run concurrently (the CloudTrail poller), so count this source only.
    expect(await world.db.prisma.rawEvent.count({ where: { source: 'k8s_audit' } })).toBe(1);
  });

  it('stores a Falco http_output alert as it is', async () => {
    const res = await fetch(`${base}/?token=${tokens.falco}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
      body: JSON.stringify({
        hostname: 'node-7',
        output: '10:00:00.000000000: Warning Shell in container (user=root)',
        output_fields: { 'user.name': 'root' },
        priority: 'Warning',
        rule: 'Terminal shell in container',
        source: 'syscall',
        tags: ['shell'],
        time: '2026-11-23T10:00:00.000000000Z',
      }),
    });
    expect(res.status).toBe(200);
    const alert = await alertOf('Terminal shell in container');
    expect(alert.hostname).toBe('node-7');
  });

  it("keeps a Falco alert's 64-bit evt.time exact: stored, read by the console and pushed live", async () => {
    const viewer = await connectConsole(
      base,
      { organizationId: world.organizationId, environmentIds: [world.environmentId] },
      secretKey.toString('base64'),
    );
    try {
      // The raw text Falco sends: JSON.parse alone would read 1700000000123456800.
      const body =
        '{"hostname":"node-8","output":"22:13:20.123456789: Notice Exact time (user=root)",' +
        '"output_fields":{"evt.time":1700000000123456789,"proc.pid":4242,"user.name":"root"},' +
        '"priority":"Notice","rule":"Exact evt.time","source":"syscall","tags":[],' +
        '"time":"2023-11-14T22:13:20.123456789Z"}';
      const res = await fetch(`${base}/?token=${tokens.falco}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
        body,
      });
      expect(res.status).toBe(200);
      const rows = await world.db.prisma.$queryRaw<{ t: string; kind: string }[]>`
        SELECT ("outputFields"->'evt.time')::text AS t, jsonb_typeof("outputFields"->'evt.time') AS kind
        FROM alerts WHERE rule = 'Exact evt.time'`;
      expect(rows).toEqual([{ t: '1700000000123456789', kind: 'number' }]);
      const page = await listAlerts(
        world.db,
        {
          organizationId: world.organizationId,
          fields: [{ key: 'evt.time', value: '1700000000123456789' }],
        },
        { limit: 10 },
      );
      expect(page.rows.map((r) => [r.rule, r.outputFields['evt.time'], r.outputFields['proc.pid']])).toEqual([
        ['Exact evt.time', '1700000000123456789', 4242],
      ]);
      await vi.waitFor(() =>
        expect(
          viewer.alerts.flatMap((p) => p.alerts).find((a) => a.rule === 'Exact evt.time')?.outputFields[
            'evt.time'
          ],
        ).toBe('1700000000123456789'),
      );
    } finally {
      viewer.socket.disconnect();
    }
  });

  it('evaluates a signed GitHub delivery with the github source rules', async () => {
    // Secret scanning is off for this source (no GitHub API here), so has_secrets is absent
    // and the rule must not fire; the delivery is stored as a raw event.
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: 'a'.repeat(40),
      after: 'b'.repeat(40),
      repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app' },
      sender: { login: 'bob' },
    });
    const res = await fetch(`${base}/ingest/github/${githubId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'e2e-delivery-1',
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(
      await world.db.prisma.rawEvent.count({ where: { source: 'github', cloudSourceId: githubId } }),
    ).toBe(1);
    const alerts = await listEnvironmentAlerts(world.db, world.environmentId);
    expect(alerts.some((a) => a.rule === 'Push with secrets')).toBe(false);
  });

  it('fires the github rule when the pushed diff holds a secret (GitHub-shaped compare API)', async () => {
    const api = await listenLocal(async (app) => {
      app.get('/repos/:owner/:repo/compare/:refs', async () => ({
        files: [{ filename: '.env', patch: '@@ -0,0 +1,1 @@\n+AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' }],
      }));
    });
    try {
      const { source } = await createCloudSource(world.db, {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        kind: 'github',
        name: 'e2e-github-scan',
        config: { apiBaseUrl: api.url },
        secrets: { webhookSecret: 'gh-secret-2' },
        secretKey,
      });
      const body = JSON.stringify({
        ref: 'refs/heads/main',
        before: 'c'.repeat(40),
        after: 'd'.repeat(40),
        compare: `https://github.com/acme/app/compare/${'c'.repeat(12)}...${'d'.repeat(12)}`,
        repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app', private: false },
        sender: { login: 'mallory' },
      });
      const res = await fetch(`${base}/ingest/github/${source.id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': 'e2e-delivery-2',
          'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret-2').update(body).digest('hex')}`,
        },
        body,
      });
      expect(res.status).toBe(200);
      const alert = await alertOf('Push with secrets');
      expect(alert.priority.toLowerCase()).toBe('critical');
    } finally {
      await api.app.close();
    }
  });

  it('polls a CloudTrail folder source started with the collector', async () => {
    const alert = await alertOf('Instances started');
    expect(alert.ingestKey).toContain('ct-e2e-1');
  });

  it('polls an Okta source started with the collector, and keeps its cursor', async () => {
    const alert = await alertOf('Okta account locked');
    expect(alert.ingestKey).toContain('okta-e2e-1');
    const row = await world.db.prisma.cloudSource.findFirst({ where: { kind: 'okta' } });
    expect((row?.cursor as { next?: string } | null)?.next).toContain('/api/v1/logs?');
  });
});

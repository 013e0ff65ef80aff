/**
 * Strings Postgres refuses, on every source, through a real collector (engine, Postgres): one
 * event with a NUL (U+0000) or an unpaired surrogate among good ones is stored with U+FFFD, the
 * rules saw the same replacement (their outputs print it), the good events beside it are stored
 * too, and the answer says how many events were sanitised. Also the other values Postgres
 * refuses (year 0000, over-long indexed strings), and a CloudTrail folder that goes on past such
 * a record to a later DeleteTrail.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudSource } from '@peregrine/db';
import { encodeBatchV2 } from '@peregrine/sensor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import { createWorld, postBatch, syscallEvent, TEST_RULES, type World } from '../testing/world.js';
import { FAKE_OKTA_TOKEN, FakeOkta } from './shared/fake-okta.js';
import { listenLocal } from './shared/test-server.js';

const R = '\ufffd';
const NUL = '\u0000';
const LONE = '\ud800';

const RULES = `${TEST_RULES}
- rule: Pod created in default namespace
  desc: a pod was created in the default namespace
  condition: ka.verb=create and ka.target.resource=pods and ka.target.namespace=default
  output: Pod created (user=%ka.user.name pod=%ka.target.name)
  priority: NOTICE
  source: k8s_audit
- rule: Instances started
  desc: EC2 instances were started
  condition: ct.name=StartInstances
  output: Instances started (user=%ct.user)
  priority: INFO
  source: aws_cloudtrail
- rule: Trail deleted
  desc: a CloudTrail trail was deleted
  condition: ct.name=DeleteTrail
  output: Trail deleted (user=%ct.user)
  priority: CRITICAL
  source: aws_cloudtrail
- rule: Okta account locked
  desc: an Okta account was locked
  condition: okta.evt.type = "user.account.lock"
  output: Okta account locked (user=%okta.actor.name)
  priority: WARNING
  source: okta
- rule: Push with secrets
  desc: a pushed diff holds a secret
  condition: github.type=push and github.diff.has_secrets=true
  output: Secret pushed (repo=%github.repo.name user=%github.user)
  priority: CRITICAL
  source: github
`;

/** Random text that does not compress: too long for a btree index row unless bounded. */
const incompressible = (chars: number) => randomBytes(chars).toString('base64').slice(0, chars);

function trailRecord(id: string, eventName: string, userName: string) {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', userName, accountId: '123456789012' },
    eventTime: '2026-11-23T09:15:42Z',
    eventSource: eventName === 'DeleteTrail' ? 'cloudtrail.amazonaws.com' : 'ec2.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.9',
    eventID: id,
    eventType: 'AwsApiCall',
  };
}

function auditEvent(auditID: string, username: string, extra: Record<string, unknown> = {}) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID,
    stage: 'ResponseComplete',
    verb: 'create',
    requestURI: '/api/v1/namespaces/default/pods',
    user: { username },
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${auditID.slice(0, 12)}` },
    responseStatus: { code: 201 },
    stageTimestamp: '2026-11-23T10:00:00.000000Z',
    ...extra,
  };
}

function falcoAlert(rule: string, extra: Record<string, unknown> = {}) {
  return {
    hostname: 'node-7',
    output: `10:00:00.000000000: Warning ${rule} (user=root)`,
    output_fields: { 'user.name': 'root' },
    priority: 'Warning',
    rule,
    source: 'syscall',
    tags: ['shell'],
    time: '2026-11-23T10:00:00.000000000Z',
    ...extra,
  };
}

describe('strings Postgres refuses, on every source (real collector, engine, Postgres)', () => {
  let world: World;
  let collector: Collector;
  let base: string;
  let folder: string;
  let okta: FakeOkta;
  let githubApi: Awaited<ReturnType<typeof listenLocal>>;
  const secretKey = randomBytes(32);
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    world = await createWorld('refused_text', RULES);
    const add = async (
      kind: 'k8s_audit' | 'falco' | 'github' | 'aws_cloudtrail' | 'okta',
      name: string,
      extra: object = {},
    ) => {
      const { source, token } = await createCloudSource(world.db, {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        kind,
        name,
        ...extra,
      });
      ids[name] = source.id;
      if (token) tokens[name] = token;
    };
    githubApi = await listenLocal(async (app) => {
      // GitHub's compare API, with a file name holding a NUL (it ends up in the stored event).
      app.get('/repos/:owner/:repo/compare/:refs', async () => ({
        files: [
          { filename: `.env${NUL}bak`, patch: '@@ -0,0 +1,1 @@\n+AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' },
        ],
      }));
    });
    await add('k8s_audit', 'k8s', { issueToken: true });
    await add('falco', 'falco', { issueToken: true });
    await add('okta', 'okta-hook', { issueToken: true, config: { polling: false } });
    await add('github', 'github', {
      secrets: { webhookSecret: 'gh-secret' },
      secretKey,
      config: { apiBaseUrl: githubApi.url },
    });
    folder = await mkdtemp(join(tmpdir(), 'peregrine-refused-trail-'));
    // A file with a NUL in one record, then a later file with a DeleteTrail.
    await writeFile(
      join(folder, '2026-11-23T0915.json'),
      JSON.stringify({
        Records: [
          trailRecord('ct-good', 'StartInstances', 'Alice'),
          trailRecord('ct-bad', 'StartInstances', `Mal${NUL}lory`),
        ],
      }),
    );
    await writeFile(
      join(folder, '2026-11-23T0920.json'),
      JSON.stringify({ Records: [trailRecord('ct-delete', 'DeleteTrail', `Mal${LONE}lory`)] }),
    );
    await add('aws_cloudtrail', 'trail', {
      config: { mode: 'folder', path: folder, pollIntervalSeconds: 1 },
    });
    okta = new FakeOkta();
    await okta.start();
    okta.add(1, { uuid: 'okta-poll-good', eventType: 'user.account.lock' });
    okta.add(1, {
      uuid: 'okta-poll-bad',
      eventType: 'user.account.lock',
      actor: { id: '00u2', type: 'User', alternateId: `bob${NUL}@example.com`, displayName: `Bob${LONE}` },
    });
    await add('okta', 'okta-poll', {
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
    await githubApi?.app.close();
    await world?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** Stored alerts of a rule; `output` is what the rule printed, without the time and priority. */
  const alertsOf = async (rule: string) =>
    (
      await world.db.prisma.alert.findMany({
        where: { environmentId: world.environmentId, rule },
        select: { output: true, outputFields: true, hostname: true, ingestKey: true, eventTime: true },
        orderBy: { id: 'asc' },
      })
    ).map((a) => ({ ...a, output: a.output.replace(/^\d{2}:\d{2}:\d{2}\.\d+: [A-Z][a-z]+ /, '') }));
  const waitForAlerts = (rule: string, n: number) =>
    vi.waitFor(
      async () => {
        const rows = await alertsOf(rule);
        expect(rows).toHaveLength(n);
        return rows;
      },
      { timeout: 15_000, interval: 100 },
    );
  const rawPayloads = async (source: string, cloudSourceId: string) =>
    (
      await world.db.prisma.rawEvent.findMany({
        where: { source, cloudSourceId },
        select: { payload: true },
        orderBy: { id: 'asc' },
      })
    ).map((r) => (r.payload as { payload: Record<string, unknown> }).payload);
  const sanitizedMetric = async (source: string) =>
    (await collector.metrics.sanitized.get()).values.find((v) => v.labels.source === source)?.value ?? 0;

  it('sensor batch v1: the bad event is stored with U+FFFD and printed so by the rule', async () => {
    const res = await postBatch(base, world.sensor.apiKey, {
      sensorId: 'machine-1',
      batchId: 'refused-v1',
      seq: 1,
      events: [
        syscallEvent('execve', 'bash'),
        syscallEvent('openat', `ca${LONE}t`, { fd: `/etc/shadow${NUL}x` }),
        syscallEvent('openat', 'cat', { fd: '/etc/shadow' }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 3, duplicate: false, rejected: [], sanitized: 1 });
    const opened = await alertsOf('Sensitive file opened');
    expect(opened.map((a) => a.output).sort()).toEqual([
      'Sensitive file opened (file=/etc/shadow proc=cat)',
      `Sensitive file opened (file=/etc/shadow${R}x proc=ca${R}t)`,
    ]);
    expect(await alertsOf('Shell spawned')).toHaveLength(1);
    expect(await sanitizedMetric('syscall')).toBe(1);
  });

  it('sensor batch v2: a bad process table entry is cleaned for every event using it', async () => {
    const bad = syscallEvent('execve', `z${NUL}sh`);
    const batch = JSON.parse(
      encodeBatchV2({ sensorId: 'machine-1', batchId: 'refused-v2', seq: 2 }, [
        syscallEvent('execve', 'sh'),
        bad,
        { ...bad, ts: String(BigInt(bad.ts) + 1n) },
        syscallEvent('openat', 'cat', { fd: `/etc/shadow${LONE}` }),
      ]),
    );
    expect(batch.v).toBe(2);
    const before = (await alertsOf('Shell spawned')).length;
    const res = await postBatch(base, world.sensor.apiKey, batch);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 4, duplicate: false, rejected: [], sanitized: 3 });
    // `z\0sh` is not a shell name: the rule does not fire for it; `sh` does.
    expect((await alertsOf('Shell spawned')).length - before).toBe(1);
    const opened = (await alertsOf('Sensitive file opened')).map((a) => a.output);
    expect(opened).toContain(`Sensitive file opened (file=/etc/shadow${R} proc=cat)`);
  });

  it('Falco http_output: every alert stored, the bad one with U+FFFD', async () => {
    const res = await fetch(`${base}/?token=${tokens.falco}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        falcoAlert('Falco good 1'),
        falcoAlert('Falco bad', {
          hostname: `node${LONE}`,
          output: `10:00:00.000000000: Warning shell (user=ro${NUL}ot)`,
          output_fields: { 'user.name': `ro${NUL}ot`, [`k${NUL}`]: LONE },
          tags: [`sh${NUL}ell`],
        }),
        falcoAlert('Falco good 2'),
      ]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: 0, sanitized: 1 });
    for (const rule of ['Falco good 1', 'Falco good 2']) expect(await alertsOf(rule)).toHaveLength(1);
    const [bad] = await alertsOf('Falco bad');
    expect(bad).toMatchObject({
      hostname: `node${R}`,
      output: `shell (user=ro${R}ot)`,
      outputFields: { 'user.name': `ro${R}ot`, [`k${R}`]: R },
    });
    expect(await sanitizedMetric('falco')).toBe(1);
  });

  it('Falco: a year-0000 time and over-long rule, hostname and namespace are stored, bounded', async () => {
    const longRule = `Long ${incompressible(4000)}`;
    const res = await fetch(`${base}/?token=${tokens.falco}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        falcoAlert('Year zero', { time: '0000-01-01T00:00:00Z' }),
        falcoAlert(longRule),
        falcoAlert('Long host', { hostname: incompressible(4000) }),
        falcoAlert('Long namespace', {
          output_fields: { 'k8s.ns.name': incompressible(4000) },
          uuid: incompressible(200),
        }),
        falcoAlert('Bounded batch good'),
      ]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 5, rejected: 0 });
    const [zero] = await alertsOf('Year zero');
    // The receipt time stands in for a time Postgres cannot store.
    expect(Math.abs((zero?.eventTime.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    const [long] = await world.db.prisma.alert.findMany({
      where: { environmentId: world.environmentId, rule: { startsWith: longRule.slice(0, 100) } },
      select: { rule: true },
    });
    expect(long?.rule).toHaveLength(512);
    expect(long?.rule.endsWith('…')).toBe(true);
    const [host] = await alertsOf('Long host');
    expect(host?.hostname).toHaveLength(253);
    expect(host?.hostname?.endsWith('…')).toBe(true);
    const [ns] = await alertsOf('Long namespace');
    expect(ns?.ingestKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    const nsKeys = await world.db.prisma.alertRollup.findMany({
      where: { environmentId: world.environmentId, dimension: 'namespace' },
      select: { key: true },
    });
    expect(nsKeys.map((k) => k.key.length)).toEqual([512]);
    expect(await alertsOf('Bounded batch good')).toHaveLength(1);
  });

  it('Kubernetes audit EventList: good and bad events stored, an over-long audit ID bounded', async () => {
    const res = await fetch(`${base}/ingest/k8s-audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.k8s}` },
      body: JSON.stringify({
        kind: 'EventList',
        apiVersion: 'audit.k8s.io/v1',
        items: [
          auditEvent('k8s-good', 'alice'),
          auditEvent('k8s-bad', `mal${NUL}lory`, { annotations: { [`a${LONE}`]: 'x' } }),
          auditEvent(`k8s-long-${incompressible(4000)}`, 'carol'),
          auditEvent('k8s-year-zero', 'dave', { stageTimestamp: '0000-01-01T00:00:00Z' }),
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 4, duplicates: 0, rejected: 0, sanitized: 1 });
    const pods = await alertsOf('Pod created in default namespace');
    expect(pods.map((a) => a.output).filter((o) => o.includes('user=mal'))).toEqual([
      `Pod created (user=mal${R}lory pod=pod-k8s-bad)`,
    ]);
    expect(pods.some((a) => a.ingestKey?.startsWith('sha256:'))).toBe(true);
    const raw = await rawPayloads('k8s_audit', ids.k8s as string);
    expect(raw).toHaveLength(4);
    const bad = raw.find((p) => p.auditID === 'k8s-bad');
    expect(bad).toMatchObject({ user: { username: `mal${R}lory` }, annotations: { [`a${R}`]: 'x' } });
    // The original time stays in the payload when the receipt time is stored instead.
    expect(raw.find((p) => p.auditID === 'k8s-year-zero')?.stageTimestamp).toBe('0000-01-01T00:00:00Z');
  });

  it('GitHub webhook (signed, JSON and form): payload and enrichment cleaned, rules see it', async () => {
    const deliver = async (delivery: string, login: string, form: boolean) => {
      const json = JSON.stringify({
        ref: 'refs/heads/main',
        before: 'c'.repeat(40),
        after: 'd'.repeat(40),
        compare: `https://github.com/acme/app/compare/${'c'.repeat(12)}...${'d'.repeat(12)}`,
        repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app', private: false },
        sender: { login },
      });
      const body = form ? `payload=${encodeURIComponent(json)}` : json;
      return fetch(`${base}/ingest/github/${ids.github}`, {
        method: 'POST',
        headers: {
          'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`,
        },
        body,
      });
    };
    const json = await deliver('gh-json', `mal${NUL}lory`, false);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0, sanitized: 1 });
    const form = await deliver('gh-form', `eve${LONE}`, true);
    expect(form.status).toBe(200);
    expect(await form.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0, sanitized: 1 });
    const outputs = (await alertsOf('Push with secrets')).map((a) => a.output).sort();
    expect(outputs).toEqual([
      `Secret pushed (repo=acme/app user=eve${R})`,
      `Secret pushed (repo=acme/app user=mal${R}lory)`,
    ]);
    const raw = await rawPayloads('github', ids.github as string);
    expect(raw.map((p) => (p.files as { name: string }[])[0]?.name)).toEqual([`.env${R}bak`, `.env${R}bak`]);
  });

  it('Okta event hook: every event stored, the bad one with U+FFFD', async () => {
    const event = (uuid: string, displayName: string) => ({
      uuid,
      published: new Date().toISOString(),
      eventType: 'user.account.lock',
      actor: { id: '00u9', type: 'User', alternateId: 'x@example.com', displayName },
    });
    const res = await fetch(`${base}/ingest/okta/${ids['okta-hook']}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['okta-hook']}` },
      body: JSON.stringify({
        data: {
          events: [
            event('hook-good-1', 'Carol'),
            event('hook-bad', `Ev${NUL}e`),
            event('hook-good-2', 'Dan'),
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: 0, sanitized: 1 });
    const outputs = (await alertsOf('Okta account locked')).map((a) => a.output);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'Okta account locked (user=Carol)',
        `Okta account locked (user=Ev${R}e)`,
        'Okta account locked (user=Dan)',
      ]),
    );
    expect(await rawPayloads('okta', ids['okta-hook'] as string)).toHaveLength(3);
  });

  it('Okta polling: the page with a bad event is stored whole and the cursor moves on', async () => {
    await vi.waitFor(
      async () => {
        const outputs = (await alertsOf('Okta account locked')).map((a) => a.output);
        expect(outputs).toContain(`Okta account locked (user=Bob${R})`);
        expect(outputs).toContain('Okta account locked (user=Alice)');
      },
      { timeout: 15_000, interval: 100 },
    );
    const raw = await rawPayloads('okta', ids['okta-poll'] as string);
    expect(raw.find((p) => p.uuid === 'okta-poll-bad')?.actor).toMatchObject({
      alternateId: `bob${R}@example.com`,
    });
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id: ids['okta-poll'] } });
    expect((row?.cursor as { next?: string } | null)?.next).toContain('after=');
    expect(await sanitizedMetric('okta')).toBeGreaterThanOrEqual(2);
  });

  it('CloudTrail folder: a file with a bad record, then a later DeleteTrail: both read', async () => {
    const [deleted] = await waitForAlerts('Trail deleted', 1);
    expect(deleted?.output).toBe(`Trail deleted (user=Mal${R}lory)`);
    const started = (await waitForAlerts('Instances started', 2)).map((a) => a.output).sort();
    expect(started).toEqual(['Instances started (user=Alice)', `Instances started (user=Mal${R}lory)`]);
    expect(await rawPayloads('aws_cloudtrail', ids.trail as string)).toHaveLength(3);
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id: ids.trail } });
    expect(row?.cursor).toEqual({ lastFile: '2026-11-23T0920.json' });
    expect(row?.lastError).toBeNull();
  });
});

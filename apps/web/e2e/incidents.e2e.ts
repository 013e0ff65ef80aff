import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createCloudSource, getDb, parseSecretKey, registerSensor } from '@peregrine/db';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { completeSetup } from './console';
import { seedDefaults, type Stack, startStack } from './stack';

/**
 * Issue #19's stories, end to end: real-shaped events of each source posted to the collector's
 * real HTTP endpoints, the default rules active, the collector's correlator grouping the alerts
 * into one incident, and the incident's page in the browser telling the story across sources
 * (timeline lanes per source, ATT&CK tactics, the shared entity).
 */
let stack: Stack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let organizationId: string;
let production: string;
const browserErrors: string[] = [];
let trailDir = '';
const admin = {
  name: 'Ada Incident',
  email: 'ada-incidents@example.test',
  password: 'correct horse battery staple',
  org: 'Incident Co',
};

beforeAll(async () => {
  // CloudTrail delivered to a folder the collector may read (as a synced S3 bucket would be).
  trailDir = await mkdtemp(path.join(tmpdir(), 'peregrine-e2e-trail-'));
  stack = await startStack({ collectorEnv: { COLLECTOR_FOLDER_ROOTS: trailDir } });
  const setupToken = await seedDefaults(stack);
  browser = await launchBrowser();
  page = browser.page;
  page.on('pageerror', (e) => browserErrors.push(e.message));
  await completeSetup(page, stack.baseUrl, setupToken, admin);
  const env = await getDb(stack.databaseUrl).prisma.environment.findFirstOrThrow({
    where: { name: 'production' },
  });
  organizationId = env.organizationId;
  production = env.id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (stack) await getDb(stack.databaseUrl).close();
  await stack?.stop();
  await rm(trailDir, { recursive: true, force: true });
});

async function source(
  kind: 'k8s_audit' | 'falco' | 'okta' | 'github' | 'aws_cloudtrail',
  name: string,
  extra: object = {},
) {
  return createCloudSource(getDb(stack.databaseUrl), {
    organizationId,
    environmentId: production,
    kind,
    name,
    issueToken: kind !== 'github' && kind !== 'aws_cloudtrail',
    ...extra,
  });
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}

/** Opens the incident whose title contains `text` from the Incidents page, once the correlator made it. */
async function openIncident(text: string | RegExp, sources: number, timeout = 60_000): Promise<void> {
  await vi
    .waitFor(
      async () => {
        await page.goto(`${stack.baseUrl}/incidents`);
        const row = page.getByTestId('incident-row').filter({ hasText: text }).first();
        // A load of the list can take seconds on a busy machine: 2 s a load flaked at load 12.
        await row.waitFor({ timeout: 10_000 });
        const chips = await row.locator('td').nth(5).locator('span span').count();
        expect(chips).toBeGreaterThanOrEqual(sources);
      },
      { timeout, interval: 1000 },
    )
    .catch(async (error: unknown) => {
      // What the database holds, to say which side is missing.
      const db = getDb(stack.databaseUrl).prisma;
      const alerts = await db.alert.findMany({ select: { rule: true, source: true } });
      const incidents = await db.incident.findMany({ select: { title: true, sources: true } });
      const sources = await db.cloudSource.findMany({ select: { name: true, lastError: true } });
      throw new Error(`${String(error)}\n${JSON.stringify({ alerts, incidents, sources })}`);
    });
  await page.getByTestId('incident-row').filter({ hasText: text }).first().getByRole('link').click();
  await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
  await page.getByTestId('incident-timeline').waitFor();
}

describe('incidents across sensors and cloud sources (issue #19)', () => {
  it('tells the kubectl exec into payments-7f9c and the terminal shell inside it as one incident', async () => {
    const audit = await source('k8s_audit', 'prod-cluster');
    const falco = await source('falco', 'prod-falco');
    const now = Date.now();
    // The API server's audit webhook: `kubectl exec -it payments-7f9c -- bash` by alice.
    const exec = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Request',
      auditID: `e2e-exec-${randomBytes(4).toString('hex')}`,
      stage: 'ResponseComplete',
      requestURI:
        '/api/v1/namespaces/prod/pods/payments-7f9c/exec?command=bash&container=payments&stdin=true&tty=true',
      verb: 'create',
      user: { username: 'alice@example.com', groups: ['system:authenticated', 'sre'] },
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
      requestReceivedTimestamp: new Date(now - 3000).toISOString(),
      stageTimestamp: new Date(now - 3000).toISOString(),
    };
    // Falco's http_output on the node: the shell that followed, in the same pod.
    const shell = {
      uuid: randomBytes(16).toString('hex'),
      output: `${new Date(now).toISOString()}: Notice A shell was spawned in a container with an attached terminal (user=root k8s.ns=prod k8s.pod=payments-7f9c container=3ad7b26ded6d shell=bash)`,
      priority: 'Notice',
      rule: 'Terminal shell in container',
      time: new Date(now).toISOString(),
      source: 'syscall',
      hostname: 'node-7',
      tags: ['container', 'shell', 'mitre_execution', 'T1059'],
      output_fields: {
        'container.id': '3ad7b26ded6d',
        'container.image.repository': 'registry.example.com/payments',
        'container.name': 'payments',
        'evt.time': now * 1_000_000,
        'k8s.ns.name': 'prod',
        'k8s.pod.name': 'payments-7f9c',
        'proc.name': 'bash',
        'proc.pid': 4242,
        'proc.pname': 'runc',
        'proc.ppid': 4230,
        'proc.tty': 34816,
        'user.name': 'root',
      },
    };
    await post(
      `${stack.collectorUrl}/ingest/k8s-audit`,
      { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [exec] },
      { authorization: `Bearer ${audit.token as string}` },
    );
    await post(`${stack.collectorUrl}/?token=${encodeURIComponent(falco.token as string)}`, shell, {
      'user-agent': 'falcosecurity/falco',
    });
    await openIncident('payments-7f9c', 2);
    const lanes = page.getByTestId('incident-lane');
    expect(await lanes.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-source')))).toEqual([
      'k8s_audit',
      'syscall',
    ]);
    const items = page.getByTestId('incident-item');
    const texts = await items.allTextContents();
    // Falco matches the first rule per event (rule_matching: first): of the default k8s rules that
    // is "Disallowed K8s User" for alice's exec.
    expect(texts.join('\n')).toContain('Disallowed K8s User');
    expect(texts.join('\n')).toContain('Terminal shell in container');
    // The raw audit event that explains it is on the timeline too, with the pod.
    expect(
      texts.some(
        (t) =>
          t.includes('raw event: create pods exec payments-7f9c') && t.includes('pod: prod/payments-7f9c'),
      ),
    ).toBe(true);
    // In time order: the exec before the shell.
    const exec1 = texts.findIndex((t) => t.includes('Disallowed K8s User'));
    const shell1 = texts.findIndex((t) => t.includes('Terminal shell in container'));
    expect(exec1).toBeLessThan(shell1);
    expect(await page.getByTestId('incident-tactic').allTextContents()).toContain('Execution');
    await screenshot(page, 'incidents-01-k8s-exec-and-shell');
    // Triage at the incident level.
    await page.getByTestId('incident-status-select').selectOption('acknowledged');
    await page.getByTestId('incident-activity').getByText('status open → acknowledged').waitFor();
    // The shell alert's own page names its incident, with its status and score, and links to it.
    const incidentUrl = page.url();
    const shellAlert = await getDb(stack.databaseUrl).prisma.alert.findFirstOrThrow({
      where: { organizationId, rule: 'Terminal shell in container' },
      select: { id: true },
    });
    await page.goto(`${stack.baseUrl}/alerts/${shellAlert.id}`);
    const chip = page.getByTestId('alert-incident');
    await chip.waitFor();
    expect(await chip.getByTestId('alert-incident-status').textContent()).toBe('acknowledged');
    expect(Number(await chip.getByTestId('incident-score').textContent())).toBeGreaterThan(0);
    expect(await chip.getByTestId('alert-incident-link').textContent()).toContain('payments-7f9c');
    await screenshot(page, 'incidents-01b-alert-names-its-incident');
    await chip.getByTestId('alert-incident-link').click();
    await page.waitForURL(incidentUrl);
    await page.getByTestId('incident-timeline').waitFor();
    await page.goto(`${stack.baseUrl}/incidents`);
    await page.getByTestId('incident-row').first().waitFor();
    await screenshot(page, 'incidents-02-list');
  });

  it('tells an Okta sign-in from a new country and the repository carol made public an hour later as one incident', async () => {
    const okta = await source('okta', 'okta-hook', { config: { polling: false } });
    const webhookSecret = randomBytes(16).toString('hex');
    const github = await source('github', 'example-org', {
      secrets: { webhookSecret },
      secretKey: parseSecretKey(stack.secret),
    });
    const signIn = new Date(Date.now() - 60 * 60_000);
    // Okta's event hook: carol signs in from a country outside the rule's list.
    await post(
      `${stack.collectorUrl}/ingest/okta/${okta.source.id}`,
      {
        eventType: 'com.okta.event_hook',
        data: {
          events: [
            {
              uuid: `e2e-okta-${randomBytes(4).toString('hex')}`,
              published: signIn.toISOString(),
              eventType: 'user.session.start',
              version: '0',
              severity: 'INFO',
              displayMessage: 'User login to Okta',
              actor: {
                id: '00u1abcd',
                type: 'User',
                alternateId: 'carol@example.com',
                displayName: 'Carol Doe',
              },
              client: {
                userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' },
                device: 'Computer',
                ipAddress: '192.0.2.44',
                geographicalContext: { city: 'Atlantis City', country: 'Atlantis' },
              },
              outcome: { result: 'SUCCESS' },
              target: [
                { id: '00u1abcd', type: 'User', alternateId: 'carol@example.com', displayName: 'Carol Doe' },
              ],
              transaction: { type: 'WEB', id: 'Xyz' },
            },
          ],
        },
      },
      { authorization: `Bearer ${okta.token as string}` },
    );
    // GitHub's `repository` webhook an hour later: carol made Payments-Service public.
    const body = JSON.stringify({
      action: 'publicized',
      repository: {
        id: 1296269,
        name: 'Payments-Service',
        full_name: 'Example-Org/Payments-Service',
        private: false,
        html_url: 'https://github.com/Example-Org/Payments-Service',
        owner: { login: 'Example-Org', type: 'Organization' },
      },
      organization: { login: 'Example-Org' },
      sender: { login: 'carol', type: 'User' },
    });
    await post(`${stack.collectorUrl}/ingest/github/${github.source.id}`, body, {
      'x-github-event': 'repository',
      'x-github-delivery': randomBytes(8).toString('hex'),
      'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
    });
    await openIncident('carol', 2);
    const lanes = await page
      .getByTestId('incident-lane')
      .evaluateAll((ls) => ls.map((l) => l.getAttribute('data-source')));
    expect(lanes).toEqual(['github', 'okta']);
    const texts = await page.getByTestId('incident-item').allTextContents();
    const login = texts.findIndex((t) => t.includes('Detecting unknown logins using geolocation in Okta'));
    const repo = texts.findIndex((t) => t.includes('Private Repository Becoming Public'));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(repo).toBeGreaterThan(login);
    await screenshot(page, 'incidents-03-okta-and-github');
    expect(browserErrors).toEqual([]);
  });

  it('tells a CloudTrail ExecuteCommand on an ECS task and the shell that followed inside it as one incident', async () => {
    const db = getDb(stack.databaseUrl);
    const sensor = await registerSensor(db, { environmentId: production, name: 'ecs-node-1' });
    const session = `ecs-execute-command-${randomBytes(9).toString('hex')}`;
    const at = new Date(Date.now() - 5_000);
    // The trail's record of `aws ecs execute-command --interactive --command "bash -il"` by dave.
    const record = {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:dave@example.com',
        arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/dave@example.com',
        accountId: '111122223333',
      },
      eventTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 'ecs.amazonaws.com',
      eventName: 'ExecuteCommand',
      awsRegion: 'eu-west-1',
      sourceIPAddress: '198.51.100.20',
      userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
      requestParameters: {
        cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/payments',
        container: 'app',
        command: 'bash -il',
        interactive: true,
        task: 'arn:aws:ecs:eu-west-1:111122223333:task/payments/5a3f0e4f9f8f4c1b9c0f1d2e3a4b5c6d',
      },
      responseElements: {
        clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/payments',
        containerName: 'app',
        interactive: true,
        session: {
          sessionId: session,
          streamUrl: `wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/${session}`,
          tokenValue: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        },
        taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/payments/5a3f0e4f9f8f4c1b9c0f1d2e3a4b5c6d',
      },
      requestID: randomBytes(8).toString('hex'),
      eventID: `e2e-${randomBytes(8).toString('hex')}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '111122223333',
    };
    await writeFile(
      path.join(trailDir, '111122223333_CloudTrail_eu-west-1_1.json'),
      JSON.stringify({ Records: [record] }),
    );
    await source('aws_cloudtrail', 'payments-trail', {
      config: { mode: 'folder', path: trailDir, pollIntervalSeconds: 1 },
    });
    // Peregrine's sensor on the ECS instance: bash, started by the SSM session worker of that session.
    const ts = BigInt(Date.now()) * 1_000_000n;
    const batch = {
      sensorId: 'ecs-node-1',
      batchId: `e2e-ecs-${randomBytes(4).toString('hex')}`,
      seq: 1,
      events: [
        {
          ts: String(ts),
          type: 'execve',
          dir: '<',
          res: 0,
          args: [],
          hostname: 'ip-10-0-1-23',
          proc: {
            pid: 812,
            ppid: 790,
            name: 'bash',
            exe: '/bin/bash',
            args: ['-il'],
            tty: 34816,
            uid: 0,
            user: 'root',
            ancestors: [
              {
                pid: 790,
                name: 'ssm-session-worker',
                exe: '/managed-agents/execute-command/ssm-session-worker',
                args: [session, session],
              },
              {
                pid: 760,
                name: 'ssm-agent-worker',
                exe: '/managed-agents/execute-command/ssm-agent-worker',
                args: [],
              },
            ],
          },
          container: {
            id: '9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d',
            name: 'ecs-payments-3-app-e4b2c8d6f0a1b2c3d4e5',
            image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments:1.4.2',
          },
        },
      ],
    };
    const res = await fetch(`${stack.collectorUrl}/v1/sensor/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sensor.apiKey}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify(batch)),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await openIncident(
      /shell_in_container|Interactive Shell Started in Container|Execute Interactive Command inside an ECS Container/,
      2,
    );
    const lanes = await page
      .getByTestId('incident-lane')
      .evaluateAll((ls) => ls.map((l) => l.getAttribute('data-source')));
    expect(lanes).toEqual(['aws_cloudtrail', 'syscall']);
    const texts = (await page.getByTestId('incident-item').allTextContents()).join('\n');
    expect(texts).toContain('Execute Interactive Command inside an ECS Container');
    // The first default syscall rule matching the shell (Falco's rule_matching: first).
    expect(texts).toMatch(/shell_in_container|Interactive Shell Started in Container/);
    expect(texts).toContain(`session: ${session}`);
    await screenshot(page, 'incidents-04-ecs-exec-and-shell');
    expect(browserErrors).toEqual([]);
  }, 150_000);

  it('says it is loading while the incidents are on their way, and why when they cannot come', async () => {
    // The incidents of the stories above are stored; the browser's calls to the real server are
    // held back (then let through) or refused at the network, as a slow or lost connection would.
    const trpcCall = (procedure: string) => (url: URL) =>
      url.pathname.includes('/api/trpc/') && url.pathname.includes(procedure);
    const hold = async (procedure: string) => {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route(trpcCall(procedure), async (route) => {
        await held;
        await route.continue();
      });
      return release;
    };

    // The list: a spinner in the card while the answer is held, then the rows.
    let release = await hold('incidents.list');
    await page.goto(`${stack.baseUrl}/incidents`);
    const loading = page.getByTestId('incidents-loading');
    await loading.waitFor();
    expect(await loading.textContent()).toBe('Loading incidents…');
    expect(await page.getByTestId('incident-row').count()).toBe(0);
    await screenshot(page, 'incidents-05-list-loading');
    release();
    await expect
      .poll(() => page.getByTestId('incident-row').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(3);
    expect(await loading.count()).toBe(0);
    await screenshot(page, 'incidents-06-list-loaded');
    await page.unrouteAll({ behavior: 'wait' });

    // Refused at the network: after the client's retries, a message in the card, not a blank one.
    await page.route(trpcCall('incidents.list'), (route) => route.abort('connectionrefused'));
    await page.goto(`${stack.baseUrl}/incidents`);
    const failed = page.getByTestId('incidents-error');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.textContent()).toContain('Incidents could not be loaded.');
    expect(await failed.textContent()).toContain('could not reach its server');
    expect(await page.getByTestId('incidents-loading').count()).toBe(0);
    await screenshot(page, 'incidents-07-list-error');
    // Back: the list refreshes every 5 s, so it recovers by itself.
    await page.unrouteAll({ behavior: 'wait' });
    await page.getByTestId('incident-row').first().waitFor({ timeout: 20_000 });
    expect(await failed.count()).toBe(0);

    // One incident's page: the same while its detail is held, refused, and asked for again.
    const href =
      (await page.getByTestId('incident-row').first().getByRole('link').getAttribute('href')) ?? '';
    expect(href).toMatch(/^\/incidents\/[0-9a-f-]{36}$/);
    release = await hold('incidents.get');
    await page.goto(`${stack.baseUrl}${href}`);
    await page.getByTestId('incident-loading').waitFor();
    expect(await page.getByTestId('incident-detail').count()).toBe(0);
    await screenshot(page, 'incidents-08-detail-loading');
    release();
    await page.getByTestId('incident-timeline').waitFor();
    expect(await page.getByTestId('incident-loading').count()).toBe(0);
    await page.unrouteAll({ behavior: 'wait' });

    await page.route(trpcCall('incidents.get'), (route) => route.abort('connectionrefused'));
    await page.reload();
    const detailFailed = page.getByTestId('incident-error');
    await detailFailed.waitFor({ timeout: 20_000 });
    expect(await detailFailed.textContent()).toContain('This incident could not be loaded.');
    await screenshot(page, 'incidents-09-detail-error');
    await page.unrouteAll({ behavior: 'wait' });
    await detailFailed.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('incident-timeline').waitFor();
    expect(await detailFailed.count()).toBe(0);
    expect(browserErrors).toEqual([]);
  }, 90_000);
});

import { randomBytes } from 'node:crypto';
import { createCloudSource, getDb } from '@peregrine/db';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AlertsStack, falcoSource, setUpAdmin, startAlertsStack } from './alerts-stack';
import { launchBrowser, screenshot } from './browser';

/**
 * Both sides of one intrusion on one alert (Chromium, the real collector): the Kubernetes audit
 * event of `kubectl exec` into pod payments-7f9c (the API server's webhook) and Falco's syscall
 * alert "Terminal shell in container" in that pod. The alert's detail shows its entities, the
 * exec (user, source IP, user agent) as related activity, and the process tree as a picture.
 */
let stack: AlertsStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const browserErrors: string[] = [];
const admin = {
  name: 'Grace Hopper',
  email: 'grace@peregrine.test',
  password: 'compiler cobol 1959',
  org: 'Payments Security',
};

beforeAll(async () => {
  stack = await startAlertsStack();
  browser = await launchBrowser();
  page = browser.page;
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(e.message));
  await setUpAdmin(page, stack, admin);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) await screenshot(page, 'alert-context-failed');
});

describe('alert context', () => {
  it('shows the k8s exec that started a shell, and the shell\u2019s process tree', async () => {
    const db = getDb(stack.databaseUrl);
    const env = await db.prisma.environment.findFirstOrThrow({ where: { name: 'production' } });
    const audit = await createCloudSource(db, {
      organizationId: env.organizationId,
      environmentId: env.id,
      kind: 'k8s_audit',
      name: 'prod-cluster',
      issueToken: true,
    });
    const execAt = new Date(Date.now() - 90_000);
    const shellAt = new Date(Date.now() - 60_000);
    // The API server's audit webhook: the exec, as kube-apiserver sends it.
    const res = await fetch(`${stack.collectorUrl}/ingest/k8s-audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${audit.token}` },
      body: JSON.stringify({
        kind: 'EventList',
        apiVersion: 'audit.k8s.io/v1',
        items: [
          {
            kind: 'Event',
            apiVersion: 'audit.k8s.io/v1',
            level: 'Request',
            auditID: randomBytes(16).toString('hex'),
            stage: 'ResponseStarted',
            requestURI: '/api/v1/namespaces/prod/pods/payments-7f9c/exec?command=bash&stdin=true&tty=true',
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
            requestReceivedTimestamp: execAt.toISOString(),
            stageTimestamp: execAt.toISOString(),
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    // Falco's alert of the shell that followed, as its http_output posts it.
    const postFalco = await falcoSource(stack, 'production');
    await postFalco([
      {
        uuid: randomBytes(16).toString('hex'),
        time: shellAt.toISOString(),
        rule: 'Terminal shell in container',
        priority: 'Notice',
        source: 'syscall',
        output: `${shellAt.toISOString().slice(11, 19)}.123456789: Notice A shell was spawned in a container with an attached terminal (user=root payments-7f9c (id=3ad7b26ded6d) shell=bash parent=runc cmdline=bash -i)`,
        output_fields: {
          'evt.time': shellAt.getTime() * 1_000_000,
          'user.name': 'root',
          'proc.name': 'bash',
          'proc.pid': 4242,
          'proc.cmdline': 'bash -i',
          'proc.pname': 'runc',
          'proc.ppid': 4230,
          'proc.aname[2]': 'containerd-shim',
          'proc.aname[3]': 'systemd',
          'container.id': '3ad7b26ded6d',
          'container.image.repository': 'registry.example.com/payments',
          'k8s.ns.name': 'prod',
          'k8s.pod.name': 'payments-7f9c',
        },
        hostname: 'node-7',
        tags: ['container', 'shell', 'mitre_execution'],
      },
    ]);
    const alert = await db.prisma.alert.findFirstOrThrow({
      where: { environmentId: env.id, rule: 'Terminal shell in container' },
      select: { id: true },
    });

    await page.goto(`${stack.baseUrl}/alerts/${alert.id}`);
    const entities = page.getByTestId('alert-entities');
    await entities.getByTestId('entity-chip').first().waitFor({ timeout: 30_000 });
    expect(await entities.getByTestId('entity-chip').allInnerTexts()).toEqual(
      expect.arrayContaining(['Pod\nprod/payments-7f9c', 'Host\nnode-7', 'Container\n3ad7b26ded6d']),
    );

    const related = page.getByTestId('alert-related-activity');
    const exec = related.locator('[data-testid="activity-item"][data-ref="raw"]');
    await exec.waitFor({ timeout: 15_000 });
    expect(await exec.getByTestId('activity-action').textContent()).toBe('create pods exec');
    expect(await exec.getByTestId('activity-actor').textContent()).toBe('alice@example.com');
    expect(await exec.getByTestId('activity-ip').textContent()).toBe('203.0.113.7');
    expect(await exec.getByTestId('activity-agent').textContent()).toContain('kubectl/v1.31.0');
    expect(await exec.textContent()).toMatch(/shares .*pod prod\/payments-7f9c/);

    const tree = page.getByTestId('alert-process-tree');
    const nodes = tree.getByTestId('process-node');
    expect(await nodes.count()).toBe(4);
    expect(await tree.getByTestId('process-tree-svg').getAttribute('aria-label')).toBe(
      'Process tree: systemd → containerd-shim → runc → bash',
    );
    await tree.scrollIntoViewIfNeeded();
    await related.scrollIntoViewIfNeeded();
    await screenshot(page, 'alert-context-1-exec-and-tree');

    // The pod chip opens everything about the pod: the shell alert and the exec.
    await entities.locator('[data-testid="entity-chip"][data-kind="pod"]').click();
    await page.getByTestId('entity-page').waitFor({ timeout: 15_000 });
    await page.getByTestId('activity-item').nth(1).waitFor({ timeout: 15_000 });
    // (An environment running rules on k8s audit events may add the exec's own alert.)
    const refs = await page
      .getByTestId('activity-item')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-ref')));
    expect(refs).toContain('raw');
    expect(await page.getByTestId('entity-page').textContent()).toContain('Terminal shell in container');
    await screenshot(page, 'alert-context-2-pod-page');
    expect(browserErrors).toEqual([]);
  });
});

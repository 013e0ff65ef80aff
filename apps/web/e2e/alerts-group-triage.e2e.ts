import { createApiKey, getDb } from '@peregrine/db';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { startConsole, completeSetup } from './console';

/**
 * Triage of a whole group from the grouped view (Chromium), and automation with API keys over
 * real HTTP against the running console: a SOAR key triaging, CI keys deploying rules.
 */
const { baseUrl, databaseUrl, setupToken } = await startConsole();
const admin = {
  name: 'Katherine Johnson',
  email: 'katherine@peregrine.test',
  password: 'orbital mechanics 1962',
  org: 'Trajectory Security',
};

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let organizationId: string;
let production: string;
let staging: string;
const browserErrors: string[] = [];

interface Seed {
  rule: string;
  hostname: string;
  priority?: 'critical' | 'warning';
}

/** Stores alerts as the collector does: one group per rule and key, counted. */
async function insertAlerts(seeds: Seed[]): Promise<{ ids: string[]; groupIds: string[] }> {
  const { prisma } = getDb(databaseUrl);
  const ids: string[] = [];
  const groupIds: string[] = [];
  for (const [i, s] of seeds.entries()) {
    const eventTime = new Date(Date.now() - (seeds.length - i) * 60_000);
    const group = await prisma.alertGroup.upsert({
      where: { environmentId_dedupKey: { environmentId: production, dedupKey: s.rule } },
      create: {
        organizationId,
        environmentId: production,
        dedupKey: s.rule,
        rule: s.rule,
        priority: s.priority ?? 'warning',
        source: 'syscall',
        count: 1,
        firstSeenAt: eventTime,
        lastSeenAt: eventTime,
        lastOutput: `${s.rule} on ${s.hostname}`,
      },
      update: { count: { increment: 1 }, lastSeenAt: eventTime, lastOutput: `${s.rule} on ${s.hostname}` },
    });
    const alert = await prisma.alert.create({
      data: {
        organizationId,
        environmentId: production,
        rule: s.rule,
        priority: s.priority ?? 'warning',
        source: 'syscall',
        output: `${s.rule} on ${s.hostname} (user=root command=bash -i)`,
        outputFields: { 'proc.name': 'bash', 'user.name': 'root' },
        tags: ['container', 'shell'],
        hostname: s.hostname,
        eventTime,
        dedupKey: s.rule,
        groupId: group.id,
      },
      select: { id: true },
    });
    ids.push(alert.id.toString());
    if (!groupIds.includes(group.id)) groupIds.push(group.id);
  }
  return { ids, groupIds };
}

async function statusesOf(ids: string[]): Promise<string[]> {
  const rows = await getDb(databaseUrl).prisma.alert.findMany({
    where: { id: { in: ids.map((id) => BigInt(id)) } },
    orderBy: { id: 'asc' },
    select: { status: true },
  });
  return rows.map((r) => r.status);
}

/** One tRPC call over HTTP, as a script would make it with an API key. */
async function api(key: string, path: string, input: unknown, mutation = false) {
  const url = new URL(`${baseUrl}/api/trpc/${path}`);
  if (!mutation) url.searchParams.set('input', JSON.stringify(input));
  const response = await fetch(url, {
    method: mutation ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(mutation ? { 'content-type': 'application/json' } : {}),
    },
    ...(mutation ? { body: JSON.stringify(input) } : {}),
  });
  const body = (await response.json()) as {
    result?: { data: unknown };
    error?: { data: { appCode: string | null } };
  };
  return { status: response.status, data: body.result?.data as never, appCode: body.error?.data.appCode };
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = browser.page;
  page.on('console', (m) => {
    // No collector runs in this file: live updates are off (503) and the stream cannot connect.
    if (m.type() === 'error' && !/Failed to load resource|socket/i.test(m.text()))
      browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(e.message));
  await completeSetup(page, baseUrl, setupToken, admin);
  const { prisma } = getDb(databaseUrl);
  const org = await prisma.organization.findFirstOrThrow({ where: { name: admin.org } });
  organizationId = org.id;
  const envs = await prisma.environment.findMany({ where: { organizationId } });
  production = envs.find((e) => e.name === 'production')?.id as string;
  staging = envs.find((e) => e.name === 'staging')?.id as string;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await getDb(databaseUrl).close();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    await screenshot(page, `group-triage-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  }
});

describe('triaging a group from the grouped view', () => {
  let shell: string[];
  let miner: string[];

  it('sets the status of every alert of a group matching the filter, after confirming the count', async () => {
    ({ ids: shell } = await insertAlerts([
      { rule: 'Terminal shell in container', hostname: 'node-1' },
      { rule: 'Terminal shell in container', hostname: 'node-1' },
      { rule: 'Terminal shell in container', hostname: 'node-2' },
      { rule: 'Terminal shell in container', hostname: 'node-1' },
    ]));
    ({ ids: miner } = await insertAlerts([
      { rule: 'Detect crypto miners', hostname: 'node-1', priority: 'critical' },
      { rule: 'Detect crypto miners', hostname: 'node-1', priority: 'critical' },
    ]));
    // Host node-1 only: the group's node-2 alert is outside the filter and must stay open.
    await page.goto(`${baseUrl}/alerts?env=production&host=node-1&tab=groups`);
    const row = page.getByTestId('group-row').filter({ hasText: 'Terminal shell in container' });
    await row.waitFor();
    expect(await page.getByTestId('group-row').count()).toBe(2);
    expect(await row.getByTestId('group-status').textContent()).toBe('4 open');

    await row.getByTestId('group-triage-action').selectOption('status:resolved');
    const confirm = page.getByTestId('group-confirm');
    await confirm.getByTestId('group-confirm-count').waitFor();
    expect(await confirm.getByTestId('group-confirm-count').textContent()).toBe('3');
    expect(await confirm.getByTestId('group-confirm-text').textContent()).toContain(
      'Mark as resolved 3 alerts of Terminal shell in container (Production) matching this filter?',
    );
    await screenshot(page, 'group-triage-1-confirm');
    // Nothing changes before the confirmation.
    expect(await statusesOf(shell)).toEqual(['open', 'open', 'open', 'open']);

    await confirm.getByTestId('group-confirm-yes').click();
    await page.getByTestId('group-result').getByText('3 updated').waitFor();
    // The group's status cell now counts three resolved alerts; one (node-2) is still open.
    await row.getByTestId('group-status').getByText('1 open · 3 resolved', { exact: true }).waitFor();
    expect(await statusesOf(shell)).toEqual(['resolved', 'resolved', 'open', 'resolved']);
    expect(await statusesOf(miner)).toEqual(['open', 'open']);
    await screenshot(page, 'group-triage-2-done');

    // One audited bulk change, by the admin, over the three alerts.
    const audit = await getDb(databaseUrl).prisma.auditLog.findMany({
      where: { organizationId, action: 'alert.status_changed' },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.after).toEqual({ status: 'resolved', count: 3 });

    // The group's alerts, opened from the row: the three on node-1 now read Resolved.
    await row.locator('td').nth(1).click();
    await page.waitForURL(/group=/);
    const rows = page.getByTestId('alert-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    for (const text of await rows.allTextContents()) expect(text).toContain('Resolved');
    await screenshot(page, 'group-triage-3-alerts');
  });

  it('assigns a group to a member', async () => {
    await page.goto(`${baseUrl}/alerts?env=production&tab=groups`);
    const row = page.getByTestId('group-row').filter({ hasText: 'Detect crypto miners' });
    await row.getByTestId('group-triage-action').selectOption({ label: admin.name });
    const confirm = page.getByTestId('group-confirm');
    await confirm.getByTestId('group-confirm-count').getByText('2').waitFor();
    expect(await confirm.getByTestId('group-confirm-text').textContent()).toContain(
      `Assign to ${admin.name} 2 alerts of Detect crypto miners`,
    );
    await confirm.getByTestId('group-confirm-yes').click();
    // Both alerts of the group are now assigned to the admin: the cell names them.
    await row.getByTestId('group-assignee').getByText(admin.name, { exact: true }).waitFor();
    const assigned = await getDb(databaseUrl).prisma.alert.findMany({
      where: { id: { in: miner.map((id) => BigInt(id)) } },
      select: { assignee: { select: { name: true } } },
    });
    expect(assigned.map((a) => a.assignee?.name)).toEqual([admin.name, admin.name]);
  });

  it('cancels without changing anything', async () => {
    const row = page.getByTestId('group-row').filter({ hasText: 'Detect crypto miners' });
    await row.getByTestId('group-triage-action').selectOption('status:false_positive');
    await page.getByTestId('group-confirm-count').getByText('2').waitFor();
    await page.getByTestId('group-confirm').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('group-confirm').waitFor({ state: 'detached' });
    expect(await statusesOf(miner)).toEqual(['open', 'open']);
    expect(browserErrors).toEqual([]);
  });
});

describe('API keys over HTTP', () => {
  it('a SOAR key lists and triages alerts; its activity is shown under its name', async () => {
    const db = getDb(databaseUrl);
    const soar = await createApiKey(
      db,
      { organizationId, name: 'SOAR playbook', role: 'triager', createdById: null },
      {},
    );
    const reader = await createApiKey(
      db,
      { organizationId, name: 'Exporter', role: 'viewer', createdById: null },
      {},
    );
    const { ids } = await insertAlerts([{ rule: 'Outbound connection to C2 server', hostname: 'node-9' }]);
    const filter = { environment: 'production', rules: ['Outbound connection to C2 server'] };

    const listed = await api(reader.key, 'alerts.list', { filter });
    expect(listed.status).toBe(200);
    expect((listed.data as { rows: { id: string }[] }).rows.map((r) => r.id)).toEqual(ids);
    const refused = await api(reader.key, 'alerts.triage', { target: { ids }, status: 'acknowledged' }, true);
    expect([refused.status, refused.appCode]).toEqual([403, 'INSUFFICIENT_ROLE']);
    const triaged = await api(soar.key, 'alerts.triage', { target: { ids }, status: 'acknowledged' }, true);
    expect([triaged.status, triaged.data]).toEqual([200, { updated: 1, unchanged: 0 }]);
    expect(await statusesOf(ids)).toEqual(['acknowledged']);

    await page.goto(`${baseUrl}/alerts?env=production&alert=${ids[0]}`);
    const activity = page.getByTestId('alert-activity').getByText('SOAR playbook (API key)');
    await activity.waitFor();
    await activity.scrollIntoViewIfNeeded();
    await screenshot(page, 'group-triage-4-api-key-activity');
  });

  it('CI keys create a rule version and activate it; an author key may not activate', async () => {
    const db = getDb(databaseUrl);
    const author = await createApiKey(
      db,
      { organizationId, name: 'CI author', role: 'author', createdById: null },
      {},
    );
    const deploy = await createApiKey(
      db,
      { organizationId, name: 'CI deploy', role: 'admin', createdById: null },
      {},
    );
    const created = await api(author.key, 'rules.createRuleSet', { name: 'From CI' }, true);
    expect(created.status).toBe(200);
    const { version, ruleSet } = created.data as { version: { id: string }; ruleSet: { id: string } };
    const denied = await api(
      author.key,
      'rules.activateVersion',
      { versionId: version.id, environmentId: staging },
      true,
    );
    expect([denied.status, denied.appCode]).toEqual([403, 'INSUFFICIENT_ROLE']);
    const activated = await api(
      deploy.key,
      'rules.activateVersion',
      { versionId: version.id, environmentId: staging },
      true,
    );
    expect(activated.status).toBe(200);
    const detail = await api(author.key, 'rules.getRuleSet', { ruleSetId: ruleSet.id });
    const envs = (detail.data as { environments: { environmentId: string; active: unknown }[] }).environments;
    expect(envs.find((e) => e.environmentId === staging)?.active).toMatchObject({
      versionId: version.id,
      activatedBy: { kind: 'api_key', name: 'CI deploy' },
    });
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createCloudSource, getDb } from '@peregrine/db';
import { copyMigratedTemplate, TEST_SERVER_URL, reservePort } from '@peregrine/db/testing';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { adminQuery, CONSOLE_SERVER, issueTestSetupToken, completeSetup } from './console';
import { type Running, startNode, stopProcess, waitForUrl } from './stack';

/**
 * The alerts console end to end: its own database, the real collector (apps/collector/dist) and
 * `next start` sharing PEREGRINE_SECRET_KEY, Chromium watching alerts arrive over socket.io after
 * a Falco http_output POST, triage, hostile content staying inert, the dashboard.
 */
const APP_DIR = path.resolve(import.meta.dirname, '..');
const COLLECTOR_MAIN = path.resolve(APP_DIR, '../collector/dist/main.js');
const ADMIN_URL = TEST_SERVER_URL;
const SECRET = randomBytes(32).toString('base64');
const admin = {
  name: 'Grace Hopper',
  email: 'grace@peregrine.test',
  password: 'compiler cobol 1959',
  org: 'Fleet Security',
};

const database = `peregrine_web_e2e_alerts_${Date.now()}_${randomBytes(3).toString('hex')}`;
const databaseUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
})();
let web: Running | undefined;
let collector: Running | undefined;
let baseUrl = '';
let collectorUrl = '';
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let ingestToken = '';
/** Console errors and uncaught exceptions in the page: shown when a step fails. */
const browserErrors: string[] = [];

/** Posts alerts the way Falco's http_output does. */
async function postFalco(alerts: Record<string, unknown>[]): Promise<void> {
  for (const alert of alerts) {
    const res = await fetch(`${collectorUrl}/?token=${encodeURIComponent(ingestToken)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
      body: JSON.stringify(alert),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

/** Opens a row's detail by its time cell (rule and host cells are click-to-filter buttons). */
async function openRow(row: Locator): Promise<void> {
  await row.locator('td').nth(1).click();
}

function falcoAlert(rule: string, output: string, fields: Record<string, unknown>, priority = 'Warning') {
  return {
    uuid: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
    rule,
    priority,
    source: 'syscall',
    output,
    output_fields: fields,
    hostname: 'node-e2e-1',
    tags: ['container', 'mitre_execution'],
  };
}

beforeAll(async () => {
  if (!existsSync(COLLECTOR_MAIN))
    throw new Error('build the collector first: npm run build -w @peregrine/collector');
  // A copy of the migrated template: migrating each file's database again took 5-10 s.
  await copyMigratedTemplate(database);
  const setupToken = await issueTestSetupToken(databaseUrl);
  const [webPort, collectorPort] = [await reservePort(), await reservePort()];
  baseUrl = `http://localhost:${webPort}`;
  collectorUrl = `http://127.0.0.1:${collectorPort}`;
  collector = startNode(
    [COLLECTOR_MAIN],
    {
      DATABASE_URL: databaseUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      PEREGRINE_SECRET_KEY: SECRET,
      LOG_LEVEL: 'warn',
    },
    path.dirname(COLLECTOR_MAIN),
  );
  web = startNode(
    [CONSOLE_SERVER],
    {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(webPort),
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
      BETTER_AUTH_URL: baseUrl,
      PEREGRINE_SECRET_KEY: SECRET,
      PEREGRINE_COLLECTOR_URL: collectorUrl,
    },
    APP_DIR,
  );
  await Promise.all([
    waitForUrl(`${collectorUrl}/healthz`, collector),
    waitForUrl(`${baseUrl}/api/health`, web),
  ]);
  browser = await launchBrowser();
  page = browser.page;
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(e.message));
  // First run through the real setup form: the admin, their organisation and its environments.
  await completeSetup(page, baseUrl, setupToken, admin);
  const db = getDb(databaseUrl);
  const env = await db.prisma.environment.findFirstOrThrow({ where: { name: 'production' } });
  const created = await createCloudSource(db, {
    organizationId: env.organizationId,
    environmentId: env.id,
    kind: 'falco',
    name: 'falco-e2e',
    issueToken: true,
  });
  ingestToken = created.token as string;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await getDb(databaseUrl).close();
  await Promise.all([stopProcess(web), stopProcess(collector)]);
  await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
});

afterEach(async (context) => {
  // A picture of the page at the moment a step failed, next to the regular screenshots.
  if (context.task.result?.state === 'fail' && page) {
    await screenshot(page, `alerts-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  }
});

describe('live alerts, triage and the dashboard', () => {
  it('shows an alert posted to the collector live, highlighted, without a reload', async () => {
    await page.goto(`${baseUrl}/alerts?env=production`);
    await page.getByTestId('alert-filters').waitFor();
    await screenshot(page, 'alerts-00-loaded');
    await page
      .locator('[data-testid="live-status"][data-status="live"]')
      .waitFor({ timeout: 30_000 })
      .catch((error: unknown) => {
        throw new Error(
          `${String(error)}\nbrowser errors:\n${browserErrors.join('\n')}\n${collector?.logs.join('')}`,
        );
      });
    await page.getByTestId('alerts-empty').waitFor();
    await screenshot(page, 'alerts-01-empty-live');
    await postFalco([
      falcoAlert('Terminal shell in container', 'A shell was spawned in a container (user=root shell=bash)', {
        'proc.name': 'bash',
        'k8s.ns.name': 'prod',
        'proc.pid': 4242,
      }),
    ]);
    const row = page.locator('[data-testid="alert-row"][data-fresh="true"]', {
      hasText: 'Terminal shell in container',
    });
    await row.waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('alert-row').count()).toBe(1);
    await screenshot(page, 'alerts-02-live-row');
  });

  it('keeps hostile alert content inert: no script runs, no element is created', async () => {
    await page.evaluate(() => {
      (window as unknown as { __pwned?: number }).__pwned = undefined;
    });
    const hostile =
      '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b id="injected">bold</b>';
    await postFalco([
      falcoAlert(`Hostile <svg onload="window.__pwned=3">`, `cmdline=${hostile}`, {
        'proc.cmdline': hostile,
        'fd.name': '/tmp/<iframe src="javascript:window.__pwned=4">',
      }),
    ]);
    // Also straight into the database, rendered by the server-fetched list after a reload.
    const db = getDb(databaseUrl);
    const env = await db.prisma.environment.findFirstOrThrow({ where: { name: 'production' } });
    await db.prisma.alert.create({
      data: {
        organizationId: env.organizationId,
        environmentId: env.id,
        rule: 'Stored <script>window.__pwned=5</script>',
        priority: 'critical',
        source: 'syscall',
        output: hostile,
        outputFields: { '<b>key</b>': hostile },
        tags: ['<i>tag</i>'],
        hostname: '<u>host</u>',
        eventTime: new Date(Date.now() - 60_000),
        dedupKey: 'hostile',
      },
    });
    const live = page.getByTestId('alert-row').filter({ hasText: 'Hostile <svg' });
    await live.waitFor({ timeout: 20_000 });
    await openRow(live);
    await page.getByTestId('alert-detail').getByText('proc.cmdline').waitFor();
    await page.reload();
    await openRow(page.getByTestId('alert-row').filter({ hasText: 'Stored <script>' }));
    await page.getByTestId('alert-fields').getByText('<b>key</b>').waitFor();
    const verdict = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      injected: document.querySelectorAll('#injected, img[src="x"], iframe, svg[onload], u, i').length,
      scripts: [...document.scripts].filter((s) => s.textContent?.includes('__pwned')).length,
    }));
    expect(verdict).toEqual({ pwned: null, injected: 0, scripts: 0 });
    expect(await page.getByTestId('alert-output').textContent()).toBe(hostile);
    await screenshot(page, 'alerts-03-hostile-inert');
  });

  it('triages one alert: status, assignee, note, activity', async () => {
    await page.goto(`${baseUrl}/alerts?env=production&rule=Terminal+shell+in+container`);
    await openRow(page.getByTestId('alert-row').first());
    const detail = page.getByTestId('alert-detail');
    await detail.getByTestId('detail-status').selectOption('acknowledged');
    await detail.getByTestId('alert-activity').getByText('set status to Acknowledged').waitFor();
    await detail.getByTestId('detail-assignee').selectOption({ label: admin.name });
    await detail.getByTestId('alert-activity').getByText(`assigned to ${admin.name}`).waitFor();
    await detail.getByTestId('note-input').fill('Expected: the on-call engineer debugging prod.');
    await detail.getByTestId('note-add').click();
    await detail
      .getByTestId('note-body')
      .filter({ hasText: 'Expected: the on-call engineer debugging prod.' })
      .waitFor();
    await detail.getByTestId('alert-activity').getByText('added a note').waitFor();
    expect(await detail.getByTestId('note-input').inputValue()).toBe('');
    await page.getByTestId('alert-row').first().getByText('Acknowledged').waitFor();
    await screenshot(page, 'alerts-04-triaged');
    const stored = await getDb(databaseUrl).prisma.alert.findFirstOrThrow({
      where: { rule: 'Terminal shell in container' },
    });
    expect(stored.status).toBe('acknowledged');
    const audit = await getDb(databaseUrl).prisma.auditLog.count({ where: { targetType: 'alert' } });
    expect(audit).toBe(3);
  });

  it('resolves everything matching a filter after a count confirmation', async () => {
    await postFalco(
      Array.from({ length: 5 }, (_, i) =>
        falcoAlert('Read sensitive file untrusted', `Sensitive file opened (file=/etc/shadow n=${i})`, {
          'fd.name': '/etc/shadow',
        }),
      ),
    );
    await page.goto(`${baseUrl}/alerts?env=production&f=fd.name%3D%2Fetc%2Fshadow`);
    await expect.poll(() => page.getByTestId('alert-row').count(), { timeout: 20_000 }).toBe(5);
    await page.getByLabel('Select all loaded alerts').check();
    await page.getByTestId('bulk-all-matching').click();
    await page.getByTestId('bulk-target').getByText('All 5 matching alerts').waitFor();
    await page.getByTestId('bulk-resolved').click();
    await page.getByTestId('bulk-confirm').waitFor();
    await screenshot(page, 'alerts-05-bulk-confirm');
    await page.getByTestId('bulk-confirm-yes').click();
    await page.getByTestId('bulk-result').getByText('5 updated').waitFor();
    const resolved = await getDb(databaseUrl).prisma.alert.count({
      where: { rule: 'Read sensitive file untrusted', status: 'resolved' },
    });
    expect(resolved).toBe(5);
  });

  it('saves the filter as a view and brings it back', async () => {
    await page.getByTestId('view-new').click();
    await page.getByTestId('view-name').fill('Shadow reads');
    await page.getByTestId('view-save').click();
    await page.getByTestId('view-new').waitFor({ state: 'detached' });
    await page.goto(`${baseUrl}/alerts?env=production`);
    await page.getByTestId('saved-views').selectOption({ label: 'Shadow reads' });
    await page.waitForURL((url) => url.searchParams.get('f') === 'fd.name=/etc/shadow');
    await page.getByTestId('filter-chip').filter({ hasText: '/etc/shadow' }).waitFor();
    await expect.poll(() => page.getByTestId('alert-row').count()).toBe(5);
  });

  it('groups repeats and draws the dashboard with click-through', async () => {
    await page.goto(`${baseUrl}/alerts?env=production&tab=groups`);
    const group = page.getByTestId('group-row').filter({ hasText: 'Read sensitive file untrusted' });
    await group.waitFor();
    // Five repeats, all resolved by the bulk action above.
    expect(await group.locator('td').nth(3).textContent()).toBe('5');
    expect(await group.getByTestId('group-status').textContent()).toBe('5 resolved');
    await screenshot(page, 'alerts-06-groups');
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('alert-dashboard').waitFor();
    await page.getByTestId('chart-over-time').locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByTestId('chart-top-rules').locator('.recharts-bar-rectangle').first().waitFor();
    await screenshot(page, 'alerts-07-dashboard');
    await page.getByTestId('dashboard-total').click();
    await page.waitForURL(/\/alerts\?/);
    expect(new URL(page.url()).searchParams.get('range')).toBe('24h');
  });
});

import path from 'node:path';
import type { Page } from 'playwright-core';
import { correlateQueuedAlerts, createCollectorStore, getDb } from '@peregrine/db';
import { alertEntities, defaultIncidentPolicy } from '@peregrine/engine';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR, screenshot } from './browser';
import { completeSetup, startConsole } from './console';
import { seedDefaults } from './stack';

/**
 * Issue #19 item 4: the ATT&CK page of an environment shows the default rules' coverage and the
 * alerts and incidents per technique, and a count opens the alert list (or the incident list)
 * filtered to exactly those alerts (incidents).
 */
// At the top level: startConsole registers the afterAll that stops the console and drops its database.
const testConsole = await startConsole();
const { baseUrl } = testConsole;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const pageErrors: string[] = [];
const admin = {
  name: 'Blake Attack',
  email: 'blake@peregrine.test',
  password: 'matrix of tactics 2026',
  org: 'Matrix Corp',
};

/**
 * Alerts of two default rules stored by the collector's store statement (`createCollectorStore`)
 * and grouped into incidents by its correlator (`correlateQueuedAlerts`, as the collector runs
 * them): in production two shells and a secrets read in one container (one incident) and an older
 * shell in another (a second), and one shell in staging.
 */
async function seedAlerts(databaseUrl: string) {
  const { prisma } = getDb(databaseUrl);
  const envs = await prisma.environment.findMany({ select: { id: true, organizationId: true, name: true } });
  const production = envs.find((e) => e.name === 'production')!;
  const staging = envs.find((e) => e.name === 'staging')!;
  const shell = ['container', 'shell', 'mitre_execution', 'T1059'];
  const secrets = ['filesystem', 'credentials', 'mitre_credential_access', 'T1003'];
  const rows: [typeof production, string, string[], number, string][] = [
    [production, 'Interactive Shell Started in Container', shell, 1, 'web-1'],
    [production, 'Interactive Shell Started in Container', shell, 2, 'web-1'],
    [production, 'Interactive Shell Started in Container', shell, 30, 'api-1'],
    [production, 'Sensitive File Opened for Reading', secrets, 3, 'web-1'],
    [staging, 'Interactive Shell Started in Container', shell, 1, 'web-1'],
  ];
  let n = 0;
  for (const env of [production, staging]) {
    const store = createCollectorStore(databaseUrl, { max: 1 });
    const mine = rows.filter(([e]) => e === env);
    await store.storeBatch({
      organizationId: env.organizationId,
      environmentId: env.id,
      eventCount: mine.length,
      alerts: mine.map(([, rule, tags, minutesAgo, pod]) => {
        const fields = { 'proc.name': 'bash', 'container.id': `c-${pod}`, 'k8s.pod.name': pod };
        return {
          rule,
          priority: 'warning',
          source: 'syscall',
          output: `${rule} (proc=bash)`,
          outputFields: fields,
          tags,
          hostname: 'node-1',
          eventTime: new Date(Date.now() - minutesAgo * 60_000),
          dedupKey: rule,
          ingestKey: `attack-${++n}`,
          entities: alertEntities('syscall', fields, 'node-1'),
        };
      }),
      rawEvents: [],
    });
    await store.close();
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await correlateQueuedAlerts(pool, defaultIncidentPolicy(2 * 3_600_000));
  await pool.end();
  await getDb(databaseUrl).close();
}

beforeAll(async () => {
  const setupToken = await seedDefaults(testConsole);
  await seedAlerts(testConsole.databaseUrl);
  browser = await launchBrowser();
  page = browser.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await completeSetup(page, baseUrl, setupToken, admin);
}, 180_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) await screenshot(page, 'attack-failed');
});

afterAll(async () => {
  await browser?.close();
});

describe('ATT&CK page', () => {
  it('shows coverage and alert counts per technique and opens the alerts of one', async () => {
    await page.getByRole('link', { name: 'ATT&CK' }).click();
    await page.waitForURL(`${baseUrl}/attack`);
    await page.getByTestId('attack-environment').selectOption('production');
    await page.waitForURL(/env=production/);

    const shell = page.getByTestId('technique-TA0002-T1059');
    await shell.getByTestId('alert-count').getByText('3 alerts', { exact: true }).waitFor();
    expect(await shell.getByTestId('coverage').textContent()).toMatch(/^\d+ rules?$/);
    const credentials = page.getByTestId('technique-TA0006-T1003');
    expect(await credentials.getByTestId('alert-count').textContent()).toBe('1 alert');
    // Covered without alerts: a default rule tags T1611 (Escape to Host).
    const escapeToHost = page.getByTestId('technique-TA0004-T1611');
    expect(await escapeToHost.getByTestId('coverage').textContent()).toMatch(/^\d+ rules?$/);
    expect(await escapeToHost.getByTestId('alert-count').count()).toBe(0);
    // A technique no default rule names.
    expect(await page.getByTestId('technique-TA0010-T1029').getByTestId('coverage').count()).toBe(0);
    expect(await page.getByTestId('tactic-TA0002').textContent()).toContain('3 alerts');
    await screenshot(page, 'attack-1-matrix');

    await shell.getByRole('button', { name: /Command and Scripting Interpreter/ }).click();
    const detail = page.getByTestId('attack-detail');
    await detail
      .getByTestId('attack-detail-rules')
      .getByText('Interactive Shell Started in Container')
      .waitFor();
    // The details float over the viewport: a viewport screenshot shows them where the user does.
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'attack-2-detail.png') });

    // The last 24 hours leave out nothing here; a fresh range keeps the counts.
    await page.getByTestId('attack-range').selectOption('24h');
    await page.waitForURL(/range=24h/);
    await shell.getByTestId('alert-count').getByText('3 alerts', { exact: true }).waitFor();

    await shell.getByTestId('alert-count').click();
    await page.waitForURL(/\/alerts\?.*anytag=T1059/);
    const rows = page.getByTestId('alert-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    for (const text of await rows.allTextContents())
      expect(text).toContain('Interactive Shell Started in Container');
    const url = new URL(page.url());
    expect(url.searchParams.get('env')).toBe('production');
    expect(url.searchParams.get('range')).toBe('24h');
    await screenshot(page, 'attack-3-alerts');
    expect(pageErrors).toEqual([]);
  });

  it('shows the incidents per technique beside the alerts and opens the incident list filtered to them', async () => {
    await page.goto(`${baseUrl}/attack?env=production&range=24h`);
    const shell = page.getByTestId('technique-TA0002-T1059');
    await shell.getByTestId('alert-count').getByText('3 alerts', { exact: true }).waitFor();
    expect(await shell.getByTestId('incident-count').textContent()).toBe('2 incidents');
    const credentials = page.getByTestId('technique-TA0006-T1003');
    expect(await credentials.getByTestId('incident-count').textContent()).toBe('1 incident');
    expect(await page.getByTestId('technique-TA0004-T1611').getByTestId('incident-count').count()).toBe(0);
    expect(await page.getByTestId('tactic-TA0006').getByTestId('tactic-incident-count').textContent()).toBe(
      '1 incident',
    );
    await screenshot(page, 'attack-6-incident-counts');

    await credentials.getByTestId('incident-count').click();
    await page.waitForURL(/\/incidents\?.*technique=T1003/);
    const rows = page.getByTestId('incident-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain('Credential Access');
    // Resolved incidents count in the matrix too: the list opens on every status.
    expect(await page.getByTestId('incident-status-filter').inputValue()).toBe('all');
    const chip = page.getByTestId('filter-chip');
    expect(await chip.textContent()).toContain('T1003 · production');
    const url = new URL(page.url());
    expect(url.searchParams.get('env')).toBe('production');
    expect(url.searchParams.get('from')).not.toBeNull();
    await screenshot(page, 'attack-7-incidents');
    // Removing the chip lists every incident again (both of production's and staging's).
    await chip.getByRole('button').click();
    await page.waitForURL((u) => !u.searchParams.has('technique'));
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(1);
    expect(pageErrors).toEqual([]);
  });

  it('says the matrix is loading until its counts arrive, and why when the server refuses the range', async () => {
    // The browser's call to the real server is held back, then let through, as a slow answer.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const getMatrix = (url: URL) =>
      url.pathname.includes('/api/trpc/') && url.pathname.includes('attack.getMatrix');
    await page.route(getMatrix, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${baseUrl}/attack?env=production&range=30d`);
    const loading = page.getByTestId('attack-loading');
    await loading.waitFor();
    expect(await loading.textContent()).toBe('Loading the matrix…');
    // No cell reads "no rule" or zero alerts before the answer.
    expect(await page.getByTestId('technique-TA0002-T1059').count()).toBe(0);
    await screenshot(page, 'attack-4-loading');
    release();
    const shell = page.getByTestId('technique-TA0002-T1059');
    await shell.getByTestId('alert-count').getByText('3 alerts', { exact: true }).waitFor();
    expect(await loading.count()).toBe(0);
    await page.unrouteAll({ behavior: 'wait' });

    // A range that ends before it starts: the server's own reason, in place of the matrix.
    const from = encodeURIComponent('2026-12-06T10:00:00.000Z');
    const to = encodeURIComponent('2026-12-06T09:00:00.000Z');
    await page.goto(`${baseUrl}/attack?env=production&range=custom&from=${from}&to=${to}`);
    const failed = page.getByTestId('attack-error');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('The matrix could not be loaded.');
    expect(await failed.textContent()).toContain('The time range ends before it starts.');
    expect(await page.getByTestId('technique-TA0002-T1059').count()).toBe(0);
    expect(await loading.count()).toBe(0);
    // Asking again would be refused again: no retry offered.
    expect(await failed.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await screenshot(page, 'attack-5-error');
    expect(pageErrors).toEqual([]);
  });

  it('lists alerts, incidents and the matrix without loading the rules engine', async () => {
    // Those pages show alert messages and ATT&CK names (`@peregrine/engine/display`); the engine
    // itself (the rules language, the evaluator: about 430 kB of script) is for the editor. The
    // scripts each page loaded are read back from the server and searched for the engine's
    // compile error class, which every build of the evaluator defines.
    for (const route of ['/alerts?env=production', '/incidents', '/attack?env=production&range=24h']) {
      await page.goto(`${baseUrl}${route}`);
      await page.waitForLoadState('load');
      const scripts = await page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((e) => e.name)
          .filter((name) => name.includes('/_next/static/') && name.endsWith('.js')),
      );
      expect(scripts.length, route).toBeGreaterThan(3);
      const withEngine: string[] = [];
      for (const url of scripts) {
        const body = await (await fetch(url)).text();
        if (body.includes('ConditionError')) withEngine.push(url);
      }
      expect(withEngine, route).toEqual([]);
    }
    expect(pageErrors).toEqual([]);
  });
});

import path from 'node:path';
import type { Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR, screenshot } from './browser';
import { completeSetup, startConsole } from './console';
import { seedDefaults } from './stack';

/**
 * Issue #19 item 4: the ATT&CK page of an environment shows the default rules' coverage and the
 * alerts per technique, and a count opens the alert list filtered to exactly those alerts.
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

/** Alerts as the collector stores them for two default rules, in production and one in staging. */
async function seedAlerts(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const envs = (
      await client.query<{ id: string; org: string; name: string }>(
        `SELECT id::text, "organizationId"::text AS org, name FROM environments`,
      )
    ).rows;
    const production = envs.find((e) => e.name === 'production')!;
    const staging = envs.find((e) => e.name === 'staging')!;
    const shell = ['container', 'shell', 'mitre_execution', 'T1059'];
    const secrets = ['filesystem', 'credentials', 'mitre_credential_access', 'T1003'];
    const rows: [typeof production, string, string[], number][] = [
      [production, 'Interactive Shell Started in Container', shell, 1],
      [production, 'Interactive Shell Started in Container', shell, 2],
      [production, 'Interactive Shell Started in Container', shell, 30],
      [production, 'Sensitive File Opened for Reading', secrets, 3],
      [staging, 'Interactive Shell Started in Container', shell, 1],
    ];
    for (const [env, rule, tags, minutesAgo] of rows) {
      await client.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                             hostname, "eventTime", "dedupKey")
         VALUES ($1, $2, $3, 'warning', 'syscall', $4, '{"proc.name":"bash"}', $5, 'node-1',
                 now() - make_interval(mins => $6), $3)`,
        [env.org, env.id, rule, `${rule} (proc=bash)`, tags, minutesAgo],
      );
    }
  } finally {
    await client.end();
  }
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
});

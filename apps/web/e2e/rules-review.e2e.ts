import { activateVersion, createCloudSource, createRuleSetVersion, getDb } from '@peregrine/db';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { completeSetup } from './console';
import { type Stack, seedDefaults, startStack } from './stack';

/**
 * Issue 14, item 4: the promotion and rollback reviews show the YAML of each file as the target
 * environment runs it against the version that would run there (Monaco's diff editor, side by
 * side or inline), and the version's latest backtest against that environment, run from the
 * review by the real collector over a stored Okta event.
 */
const admin = {
  name: 'Grace Hopper',
  email: 'grace@peregrine.test',
  password: 'cobol compiler 1959',
  org: 'Harvard Mark Security',
};
const OKTA_FILE = 'peregrine_okta_rules.yaml';
const ALLOWED_BEFORE = 'items: [ireland, malta, spain]';
const ALLOWED_AFTER = 'items: [ireland, malta, spain, Atlantis]';
const EXTRA_FILE = 'extra_rules.yaml';
const EXTRA_RULES = `- rule: Netcat listener
  desc: netcat listening for connections
  condition: evt.type = execve and proc.name = nc and proc.args contains "-l"
  output: Netcat listening (command=%proc.cmdline)
  priority: WARNING
`;

let stack: Stack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const browserErrors: string[] = [];
const ids = {} as Record<'ruleSet' | 'v1' | 'v2' | 'staging' | 'production', string>;

/** The text of one side of the diff editor (Monaco renders spaces as no-break spaces). */
async function diffSide(side: 'original' | 'modified'): Promise<string> {
  const text = await page
    .locator(`[data-testid="review-diff-editor"] .editor.${side} .lines-content > .view-lines`)
    .first()
    .textContent();
  return (text ?? '').replace(/\u00a0/g, ' ');
}

beforeAll(async () => {
  stack = await startStack();
  const setupToken = await seedDefaults(stack);
  browser = await launchBrowser();
  page = browser.page;
  page.on('pageerror', (e) => browserErrors.push(e.message));
  await completeSetup(page, stack.baseUrl, setupToken, admin);

  const db = getDb(stack.databaseUrl);
  const production = await db.prisma.environment.findFirstOrThrow({ where: { name: 'production' } });
  const staging = await db.prisma.environment.findFirstOrThrow({ where: { name: 'staging' } });
  ids.production = production.id;
  ids.staging = staging.id;
  const active = await db.prisma.activation.findFirstOrThrow({
    where: { environmentId: production.id },
    orderBy: { createdAt: 'desc' },
    select: {
      ruleSetId: true,
      versionId: true,
      version: { select: { files: { orderBy: { position: 'asc' }, select: { name: true, content: true } } } },
    },
  });
  ids.ruleSet = active.ruleSetId;
  ids.v1 = active.versionId;
  expect(active.version.files.find((f) => f.name === OKTA_FILE)?.content).toContain(ALLOWED_BEFORE);

  // A login from Atlantis reaches production through an Okta event hook and raises an alert.
  const { source, token } = await createCloudSource(db, {
    organizationId: production.organizationId,
    environmentId: production.id,
    kind: 'okta',
    name: 'okta-hook',
    config: { polling: false },
    issueToken: true,
  });
  const res = await fetch(`${stack.collectorUrl}/ingest/okta/${source.id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      data: {
        events: [
          {
            uuid: `review-e2e-${Date.now()}`,
            published: new Date().toISOString(),
            eventType: 'user.session.start',
            actor: { displayName: 'Offline Tester' },
            client: { ipAddress: '192.0.2.10', geographicalContext: { country: 'Atlantis' } },
          },
        ],
      },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await vi.waitFor(
    async () =>
      expect(await db.prisma.alert.count({ where: { environmentId: production.id, source: 'okta' } })).toBe(
        1,
      ),
    { timeout: 30_000, interval: 250 },
  );

  // v2 allows Atlantis and adds a file; staging runs it, production still runs v1.
  const v2 = await createRuleSetVersion(
    db,
    {
      ruleSetId: active.ruleSetId,
      files: [
        ...active.version.files.map((f) =>
          f.name === OKTA_FILE ? { ...f, content: f.content.replace(ALLOWED_BEFORE, ALLOWED_AFTER) } : f,
        ),
        { name: EXTRA_FILE, content: EXTRA_RULES },
      ],
      message: 'Atlantis is a known country; netcat listeners',
      authorId: null,
      status: 'valid',
      diagnostics: [],
      summary: {},
    },
    { userId: null },
  );
  ids.v2 = v2.id;
  await activateVersion(db, { environmentId: staging.id, versionId: v2.id, action: 'activate' }, {});
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (stack) await getDb(stack.databaseUrl).close();
  await stack?.stop();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    await screenshot(page, `review-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  }
});

describe('promotion review: YAML diff and latest backtest', () => {
  it("shows each file's YAML diff against production in Monaco, side by side and inline", async () => {
    await page.goto(
      `${stack.baseUrl}/rules/${ids.ruleSet}/review?action=promote&version=${ids.v2}&from=${ids.staging}&to=${ids.production}`,
    );
    const yaml = page.getByTestId('yaml-diff');
    await yaml.getByRole('heading', { name: 'YAML · v1 → v2' }).waitFor();
    // One tab per file: the Okta file changed, the new file added, the others unchanged.
    const tabs = yaml.getByRole('tablist', { name: 'Files of the version' });
    await tabs.getByRole('tab', { name: /peregrine_okta_rules\.yaml\s*Changed/ }).waitFor();
    await tabs.getByRole('tab', { name: /extra_rules\.yaml\s*Added/ }).waitFor();
    expect(await tabs.locator('[data-change="unchanged"]').count()).toBeGreaterThan(0);
    // The first changed file opens: the changed line on each side, marked as removed and added.
    expect(await tabs.getByRole('tab', { selected: true }).textContent()).toContain(OKTA_FILE);
    const editor = page.getByTestId('review-diff-editor');
    await editor.locator('.editor.modified .line-insert').first().waitFor();
    await editor.locator('.editor.original .line-delete').first().waitFor();
    expect(await diffSide('modified')).toContain(ALLOWED_AFTER);
    expect(await diffSide('original')).toContain(ALLOWED_BEFORE);
    expect(await diffSide('original')).not.toContain('Atlantis');
    expect(await editor.locator('.editor.modified .line-delete').count()).toBe(0);
    // Falco highlighting as in the editor: keywords, fields, strings get their own token classes
    // (plain text would be one class throughout).
    const tokenClasses = await editor
      .locator('.editor.modified .view-line span span')
      .evaluateAll((spans) => [...new Set(spans.map((s) => s.className))]);
    expect(tokenClasses.length, tokenClasses.join(' ')).toBeGreaterThan(3);
    expect(await editor.getAttribute('data-layout')).toBe('side-by-side');
    await screenshot(page, 'review-01-yaml-diff-side-by-side');

    await yaml.getByRole('button', { name: 'Inline' }).click();
    await page.locator('[data-testid="review-diff-editor"][data-layout="inline"]').waitFor();
    // Inline: one column, the removed line shown above the added one in the modified editor
    // (side by side, it only ever shows added lines).
    await editor.locator('.editor.modified .line-delete').first().waitFor();
    await editor.locator('.editor.modified .line-insert').first().waitFor();
    expect(await diffSide('modified')).toContain(ALLOWED_AFTER);
    await screenshot(page, 'review-02-yaml-diff-inline');
    await yaml.getByRole('button', { name: 'Side by side' }).click();

    // The new file: nothing on the left, all of it on the right.
    await tabs.getByRole('tab', { name: /extra_rules\.yaml/ }).click();
    await page
      .getByTestId('review-diff-file')
      .getByText(/new in v2/)
      .waitFor();
    await vi.waitFor(async () => expect(await diffSide('modified')).toContain('rule: Netcat listener'), {
      timeout: 10_000,
    });
    expect((await diffSide('original')).trim()).toBe('');
  });

  it('runs the first backtest of v2 against production from the review and shows the alert it removes', async () => {
    const panel = page.getByTestId('review-backtest');
    await panel.and(page.locator('[data-state="none"]')).waitFor();
    expect(await panel.textContent()).toContain('v2 has not been backtested against Production yet');
    await panel.getByLabel('Backtest range').selectOption('24h');
    await panel.getByRole('button', { name: 'Run backtest against Production' }).click();
    // The collector's runner takes it; the review follows it without leaving the page.
    await panel.getByTestId('review-backtest-status').getByText('Done').waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).pathname).toBe(`/rules/${ids.ruleSet}/review`);
    const row = panel
      .getByTestId('review-backtest-rules')
      .getByRole('row', { name: /Detecting unknown logins using geolocation in Okta/ });
    await row.waitFor();
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('−1');
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('0');
    const link = panel.getByTestId('review-backtest-link');
    expect(await link.getAttribute('href')).toMatch(/^\/rules\/backtests\/[0-9a-f-]{36}$/);
    // Back at the top: the full-page picture then shows the header where it belongs.
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'review-03-latest-backtest');
    // The link opens the backtest's own page, with the same result.
    const href = (await link.getAttribute('href')) as string;
    await page.goto(`${stack.baseUrl}${href}`);
    await page.getByTestId('backtest-status').getByText('Done').waitFor();
    // Audited: who started it.
    const audit = await getDb(stack.databaseUrl).prisma.auditLog.findFirst({
      where: { action: 'backtest.start', targetId: href.split('/').pop() as string },
    });
    expect(audit?.actorUserId).not.toBeNull();
  });

  it('promotes v2, and the rollback review shows the reverse diff with no backtest of v1 yet', async () => {
    await page.goto(
      `${stack.baseUrl}/rules/${ids.ruleSet}/review?action=promote&version=${ids.v2}&from=${ids.staging}&to=${ids.production}`,
    );
    await page.getByTestId('review-backtest-status').getByText('Done').waitFor();
    await page.getByLabel(/I reviewed these changes/).check();
    await page.getByRole('button', { name: /^Promote v2$/ }).click();
    await page.waitForURL((url) => /\/rules\/[^/]+$/.test(url.pathname));

    await page.goto(
      `${stack.baseUrl}/rules/${ids.ruleSet}/review?action=rollback&version=${ids.v1}&to=${ids.production}`,
    );
    const yaml = page.getByTestId('yaml-diff');
    await yaml.getByRole('heading', { name: 'YAML · v2 → v1' }).waitFor();
    const tabs = yaml.getByRole('tablist', { name: 'Files of the version' });
    await tabs.getByRole('tab', { name: /extra_rules\.yaml\s*Removed/ }).waitFor();
    await page.getByTestId('review-diff-editor').locator('.editor.original .line-delete').first().waitFor();
    expect(await diffSide('original')).toContain(ALLOWED_AFTER);
    expect(await diffSide('modified')).toContain(ALLOWED_BEFORE);
    await page.getByTestId('review-backtest').and(page.locator('[data-state="none"]')).waitFor();
    await screenshot(page, 'review-04-rollback-yaml-diff');
    // The dropped file: all of it on the left.
    await tabs.getByRole('tab', { name: /extra_rules\.yaml/ }).click();
    await vi.waitFor(async () => expect(await diffSide('original')).toContain('rule: Netcat listener'), {
      timeout: 10_000,
    });
    expect(browserErrors).toEqual([]);
  });

  it("offers this release's default rules in place of v2's edited copy, and saves them as v3 that runs nowhere", async () => {
    // The rule sets list says so on the default rule set, and leads to it.
    await page.goto(`${stack.baseUrl}/rules`);
    await page.getByTestId('newer-default-rules').click();
    await page.waitForURL((url) => url.pathname === `/rules/${ids.ruleSet}`);
    const update = page.getByTestId('default-rules-update');
    await update.waitFor();
    // v2 added Atlantis to the Okta file's allowed countries: Peregrine's file has it otherwise.
    const okta = update.locator(`[data-testid="default-rules-update-file"][data-file="${OKTA_FILE}"]`);
    expect(await okta.textContent()).toContain('1 changed: allowed_countries_list');
    expect(await update.getByTestId('default-rules-update-file').count()).toBe(1);
    await screenshot(page, 'review-05-default-rules-update');
    await update.getByTestId('take-default-rules-update').click();
    await page.getByText(/Saved version 3 with Peregrine's current default rules/).waitFor();
    await update.waitFor({ state: 'detached' });
    const db = getDb(stack.databaseUrl);
    const v3 = await db.prisma.ruleSetVersion.findFirstOrThrow({
      where: { ruleSetId: ids.ruleSet, number: 3 },
      select: { id: true, files: { select: { name: true, content: true } } },
    });
    // The editor moves to v3 (a client-side navigation, which may land after the notice).
    await page.waitForURL((url) => url.searchParams.get('version') === v3.id);
    // The organisation's own file stays; the Okta file is Peregrine's again.
    expect(v3.files.find((f) => f.name === EXTRA_FILE)?.content).toBe(EXTRA_RULES);
    expect(v3.files.find((f) => f.name === OKTA_FILE)?.content).toContain(ALLOWED_BEFORE);
    // It runs nowhere: both environments still run v2.
    for (const environmentId of [ids.staging, ids.production]) {
      const active = await db.prisma.activation.findFirstOrThrow({
        where: { environmentId },
        orderBy: { createdAt: 'desc' },
        select: { versionId: true },
      });
      expect(active.versionId).toBe(ids.v2);
    }
    await screenshot(page, 'review-06-default-rules-saved');
    expect(browserErrors).toEqual([]);
  });
});

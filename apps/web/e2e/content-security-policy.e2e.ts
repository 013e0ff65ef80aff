import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { startConsole } from './console';

/**
 * The Content-Security-Policy in a real browser: the console's own pages (Next's scripts, the
 * Monaco rules editor and its workers) run without a single violation, while script an attacker
 * gets into a page (an inline <script>, an inline event handler, a script from elsewhere) does
 * not run.
 */
const { baseUrl, setupToken } = await startConsole();
const admin = { name: 'Cathy CSP', email: 'cathy@peregrine.test', password: 'content security 2026' };

let browser: Awaited<ReturnType<typeof launchBrowser>>;
/** `securitypolicyviolation` events and CSP console errors, per page visited. */
const violations: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  // Before any page script: every violation the document reports is kept on window.
  await browser.context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} ${event.blockedURI || 'inline'}`);
    });
  });
  browser.page.on('console', (message) => {
    if (/Content Security Policy|Refused to (execute|load|connect|create)/i.test(message.text()))
      violations.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
});

async function reportedViolations(): Promise<string[]> {
  const inPage = await browser.page.evaluate(
    () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
  );
  return [...inPage, ...violations.splice(0)];
}

describe('Content-Security-Policy', () => {
  it('sets a nonce-based script policy on every page, a new nonce each time', async () => {
    const first = await browser.page.goto(`${baseUrl}/sign-in`);
    const second = await browser.page.request.get(`${baseUrl}/sign-in`);
    const policy = first?.headers()['content-security-policy'] ?? '';
    expect(policy).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    const scriptSrc = policy.split(';').find((d) => d.trim().startsWith('script-src')) ?? '';
    expect(scriptSrc).not.toContain('unsafe-');
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("base-uri 'self'");
    const nonce = (headerValue: string) => /'nonce-([^']+)'/.exec(headerValue)?.[1];
    expect(nonce(second.headers()['content-security-policy'] ?? '')).not.toBe(nonce(policy));
    // Next's own scripts carry the nonce.
    expect(await browser.page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
    expect(await reportedViolations()).toEqual([]);
  });

  it('reports no violation on the setup, dashboard and console pages', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/setup?token=${setupToken}`);
    await page.getByRole('heading', { name: 'Set up Peregrine' }).waitFor();
    expect(await reportedViolations()).toEqual([]);
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByLabel('Organisation name').fill('Policy Org');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByTestId('dashboard-empty').waitFor();
    expect(await reportedViolations()).toEqual([]);
    for (const path of ['/alerts', '/rules', '/lists', '/sensors', '/environments', '/audit', '/settings']) {
      await page.goto(`${baseUrl}${path}`);
      await page.waitForLoadState('networkidle');
      expect({ path, violations: await reportedViolations() }).toEqual({ path, violations: [] });
    }
  });

  it('runs the Monaco rules editor and its workers without a violation', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/rules`);
    await page.getByRole('button', { name: 'New rule set' }).click();
    await page.getByLabel('Name').fill('Policy rules');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/rules\/[0-9a-f-]{36}/);
    await page.locator('[data-testid="rules-editor"] .monaco-editor').waitFor();
    // "Compiles" comes from the rules analysis worker: workers run under the policy.
    await page.getByTestId('editor-status').getByText('Compiles').waitFor();
    await screenshot(page, 'csp-01-rules-editor');
    expect(await reportedViolations()).toEqual([]);
  });

  it('does not run script injected into a page', async () => {
    const { page } = browser;
    // The page as the console serves it (its real CSP header and nonce), with markup an attacker
    // got into it, as a stored or reflected injection would: an inline script, an inline event
    // handler and a script from elsewhere, none carrying this response's nonce.
    const injected = [
      '<script>window.__injected = "inline script ran"</script>',
      '<img src="/no-such-image.png" onerror="window.__injected = \'event handler ran\'">',
      '<script src="http://127.0.0.1:9/evil.js"></script>',
    ].join('');
    await page.route(`${baseUrl}/`, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace('<body>', `<body>${injected}`);
      expect(html).toContain(injected);
      await route.fulfill({ response, body: html });
    });
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('dashboard-empty').waitFor();
    await expect
      .poll(async () => (await reportedViolations()).length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(3);
    await page.waitForLoadState('networkidle');
    expect(
      await page.evaluate(() => (window as unknown as { __injected?: string }).__injected),
    ).toBeUndefined();
    await page.unroute(`${baseUrl}/`);
  });
});

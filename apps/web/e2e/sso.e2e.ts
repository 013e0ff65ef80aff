import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../test/oidc-idp';
import { launchBrowser, screenshot } from './browser';
import { completeSetup, startConsole } from './console';

// The test identity provider listens on loopback, which the console's outbound policy refuses
// unless the operator allows it: this console is configured as an operator would for a lab IdP.
const { baseUrl, setupToken } = await startConsole({ env: { PEREGRINE_OUTBOUND_ALLOW: '127.0.0.1' } });
const admin = {
  name: 'Grace Hopper',
  email: 'grace@peregrine.test',
  password: 'compiler since 1952',
  org: 'Harbour Ops',
};
const callbackUrl = `${baseUrl}/api/auth/sso/callback`;

let idp: TestIdp;
let adminBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let userBrowser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  idp = await startTestIdp({ redirectUris: [callbackUrl] });
  idp.accounts.set('alice', {
    email: 'alice@acme.test',
    name: 'Alice Acme',
    groups: ['everyone', 'detection-engineers'],
  });
  adminBrowser = await launchBrowser();
  userBrowser = await launchBrowser();
});

afterAll(async () => {
  await adminBrowser?.close();
  await userBrowser?.close();
  await idp?.close();
});

/** Fills the SSO settings form (everything but the issuer, which each test types). */
async function fillSsoForm(page: Page, issuer: string) {
  await page.getByLabel('Issuer URL').fill(issuer);
  await page.getByLabel('Client ID').fill(idp.clientId);
  await page.getByLabel('Client secret').fill(idp.clientSecret);
  await page.getByLabel('Email domains').fill('acme.test');
  await page.getByLabel('Groups claim').fill('groups');
  await page
    .getByLabel('Group to role mapping')
    .fill('sec-admins = admin\ndetection-engineers = author\neveryone = viewer');
}

/** From the sign-in page through the IdP's own login (and consent) pages back to the console. */
async function signInWithSso(page: Page, email: string, login: string, shot?: string) {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  await page.waitForURL((url) => url.origin === idp.issuer);
  const loginField = page.locator('input[name="login"]');
  // The IdP keeps its own session: a second sign-in may go straight back without its login page.
  if (await loginField.isVisible({ timeout: 5_000 }).catch(() => false)) {
    await loginField.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    if (shot) await screenshot(page, shot);
    await page.getByRole('button', { name: 'Sign-in' }).click();
  }
  const consent = page.getByRole('button', { name: 'Continue' });
  await page.waitForURL((url) => url.origin === baseUrl || url.pathname.startsWith('/interaction'));
  if (new URL(page.url()).origin === idp.issuer) await consent.click();
  await page.waitForURL((url) => url.origin === baseUrl && !url.pathname.startsWith('/api/'));
}

describe('OIDC single sign-on', () => {
  it('an admin configures SSO; a wrong issuer is refused with the discovery error', async () => {
    const { page } = adminBrowser;
    await completeSetup(page, baseUrl, setupToken, admin);
    await page.goto(`${baseUrl}/settings/sso`);
    expect(await page.getByTestId('sso-redirect-uri').textContent()).toBe(callbackUrl);
    await fillSsoForm(page, `${idp.issuer}/wrong`);
    await page.getByRole('button', { name: 'Save' }).click();
    const error = page.getByRole('alert').filter({ hasText: 'OpenID discovery at' });
    await error.waitFor();
    expect(await error.textContent()).toContain(`${idp.issuer}/wrong`);
    await screenshot(page, 'sso-01-wrong-issuer');

    await page.getByLabel('Issuer URL').fill(idp.issuer);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('sso-saved').waitFor();
    await page.reload();
    expect(await page.getByLabel('Issuer URL').inputValue()).toBe(idp.issuer);
    expect(await page.getByLabel('Client secret').getAttribute('placeholder')).toBe(
      'stored: leave empty to keep',
    );
    await screenshot(page, 'sso-02-configured');
  });

  it('signs a new user in through the IdP with the role mapped from their groups', async () => {
    const { page } = userBrowser;
    await signInWithSso(page, 'alice@acme.test', 'alice', 'sso-03-idp-login');
    await page.locator('.sidebar-org-name', { hasText: admin.org }).waitFor();
    expect(await page.locator('.sidebar-org-role').textContent()).toBe('author');
    await screenshot(page, 'sso-04-signed-in-as-author');

    const adminPage = adminBrowser.page;
    await adminPage.goto(`${baseUrl}/settings`);
    const row = adminPage.getByTestId('member-alice@acme.test');
    await row.waitFor();
    expect(await row.textContent()).toContain('author');
  });

  it('takes the role away at the next sign-in once the group is removed at the IdP', async () => {
    const { page, context } = userBrowser;
    idp.accounts.set('alice', { email: 'alice@acme.test', name: 'Alice Acme', groups: ['contractors'] });
    await context.clearCookies();
    await signInWithSso(page, 'alice@acme.test', 'alice');
    // Next's route announcer is an empty alert too: the refusal is the banner with text.
    const refusal = page.getByRole('alert').filter({ hasText: /\w/ });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("Your identity provider's groups give you no role");
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await screenshot(page, 'sso-05-group-removed');

    const adminPage = adminBrowser.page;
    await adminPage.goto(`${baseUrl}/settings`);
    await adminPage.getByTestId('member-grace@peregrine.test').waitFor();
    expect(await adminPage.getByTestId('member-alice@acme.test').count()).toBe(0);
    await adminPage.goto(`${baseUrl}/audit`);
    const removed = adminPage.getByTestId('audit-row').filter({ hasText: 'member.sso_remove' });
    await removed.first().waitFor();
    expect(await removed.first().textContent()).toContain('alice@acme.test');
    await screenshot(adminPage, 'sso-06-audit');
  });

  it('refuses passwords for the domain once SSO is required, and offers SSO instead', async () => {
    const adminPage = adminBrowser.page;
    await adminPage.goto(`${baseUrl}/settings/sso`);
    await adminPage.getByLabel('Require SSO for these domains').check();
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await adminPage.getByTestId('sso-saved').waitFor();

    const { page, context } = userBrowser;
    await context.clearCookies();
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel('Email').fill('alice@acme.test');
    await page.getByLabel('Password').fill('a guessed password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const refusal = page.getByRole('alert').filter({ hasText: /\w/ });
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'Accounts at acme.test sign in with single sign-on: use "Sign in with SSO".',
    );
    expect(await page.getByLabel('Work email').inputValue()).toBe('alice@acme.test');
    await screenshot(page, 'sso-07-sso-required');

    // Back in the admins group: the SSO sign-in the page offers works and grants admin.
    idp.accounts.set('alice', { email: 'alice@acme.test', name: 'Alice Acme', groups: ['sec-admins'] });
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    const loginField = page.locator('input[name="login"]');
    await loginField.fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.origin === baseUrl || url.pathname.startsWith('/interaction'));
    if (new URL(page.url()).origin === idp.issuer)
      await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.sidebar-org-name', { hasText: admin.org }).waitFor();
    expect(await page.locator('.sidebar-org-role').textContent()).toBe('admin');
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { startConsole } from './console';

const { baseUrl, databaseUrl, setupToken } = await startConsole();
const admin = {
  name: 'Ada Lovelace',
  email: 'ada@peregrine.test',
  password: 'analytical engine 1843',
  organization: 'Analytical Security',
};

let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('first run, sign-out and sign-in', () => {
  it('sends the first visitor to /setup', async () => {
    const { page } = browser;
    const response = await page.goto(`${baseUrl}/alerts`);
    await page.waitForURL(`${baseUrl}/setup`);
    // Framing, sniffing and referrer leaks are closed on every page.
    const headers = response?.headers() ?? {};
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic'/);
    expect(headers['x-powered-by']).toBeUndefined();
    await page.getByRole('heading', { name: 'Set up Peregrine' }).waitFor();
    // Whoever reaches the console first has no token: the field is empty.
    expect(await page.getByLabel('Setup token').inputValue()).toBe('');
    await screenshot(page, '01-setup-without-token');
  });

  it('refuses to create the first admin without the setup token from the start log', async () => {
    const { page } = browser;
    await page.getByLabel('Setup token').fill('guessed-token');
    await page.getByLabel('Your name').fill('Mallory');
    await page.getByLabel('Email').fill('mallory@peregrine.test');
    await page.getByLabel('Password', { exact: true }).fill('mallory mallory mallory');
    await page.getByLabel('Confirm password').fill('mallory mallory mallory');
    await page.getByLabel('Organisation name').fill('Evil');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('This setup token is wrong or has expired').waitFor();
    expect(new URL(page.url()).pathname).toBe('/setup');
    await screenshot(page, '01-setup-wrong-token');
  });

  it('opens with the link from the start log, the token filled in', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/setup?token=${setupToken}`);
    await page.getByRole('heading', { name: 'Set up Peregrine' }).waitFor();
    expect(await page.getByLabel('Setup token').inputValue()).toBe(setupToken);
    await screenshot(page, '01-setup');
  });

  it('shows field errors without submitting an invalid form', async () => {
    const { page } = browser;
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password').fill('different');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('Use at least 12 characters').waitFor();
    await page.getByText('The passwords do not match').waitFor();
    await screenshot(page, '02-setup-errors');
  });

  it('creates the first admin and lands on an honest, empty dashboard', async () => {
    const { page } = browser;
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByLabel('Organisation name').fill(admin.organization);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByTestId('dashboard-empty').waitFor();
    expect(await page.getByRole('heading', { name: 'No alerts yet' }).isVisible()).toBe(true);
    expect(await page.getByText(admin.organization).first().isVisible()).toBe(true);
    await screenshot(page, '03-dashboard-empty');
  });

  it('lists the seeded environments in the switcher', async () => {
    const { page } = browser;
    const options = await page.getByTestId('environment-switcher').locator('option').allTextContents();
    expect(options).toEqual(['All environments', 'Staging', 'Production']);
    await page.getByTestId('environment-switcher').selectOption('production');
    await page.getByRole('heading', { name: 'No alerts yet in Production' }).waitFor();
    await screenshot(page, '04-dashboard-production');
  });

  it('keeps /setup closed once the admin exists', async () => {
    const { page } = browser;
    const response = await page.goto(`${baseUrl}/setup`);
    expect(response?.ok()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/');
    const api = await page.request.post(`${baseUrl}/api/trpc/setup.createFirstAdmin`, {
      headers: { 'content-type': 'application/json', origin: baseUrl },
      data: {
        name: 'Mallory',
        email: 'mallory@peregrine.test',
        password: 'mallory mallory mallory',
        confirmPassword: 'mallory mallory mallory',
        organizationName: 'Evil',
        setupToken,
      },
    });
    expect(api.status()).toBe(403);
  });

  it('shows the other sections in the shell', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('members-table').waitFor();
    expect(await page.getByTestId('members-table').getByText(admin.email).isVisible()).toBe(true);
    await screenshot(page, '05-settings');
    await page.getByRole('link', { name: 'Environments' }).click();
    await page.getByTestId('environments-table').waitFor();
    await screenshot(page, '06-environments');
  });

  it('switches to the dark theme from the user menu', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitemradio', { name: 'Dark' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await screenshot(page, '07-user-menu-dark');
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  });

  it('signs out', async () => {
    const { page } = browser;
    await page.getByTestId('user-menu').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL(`${baseUrl}/sign-in?signedOut=1`);
    await page.getByText('You have been signed out.').waitFor();
    await screenshot(page, '08-signed-out');
    // A deep link while signed out goes to sign-in and remembers where it was going.
    await page.goto(`${baseUrl}/settings`);
    await page.waitForURL(`${baseUrl}/sign-in?next=%2Fsettings`);
  });

  it('refuses a wrong password, then signs in again and returns to the deep link', async () => {
    const { page } = browser;
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
    await screenshot(page, '09-sign-in-error');
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${baseUrl}/settings`);
    await page.getByTestId('members-table').waitFor();
    await screenshot(page, '10-signed-in-again');
  });

  // Needs direct database access to add a second membership (no invitations yet).
  it.skipIf(!databaseUrl)('switches between organisations the user belongs to', async () => {
    const { page } = browser;
    // A second membership, as an invitation would create it.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `
        WITH org AS (INSERT INTO organizations (name, slug) VALUES ('Second Tenant', 'second-tenant') RETURNING id),
             env AS (INSERT INTO environments ("organizationId", name, "displayName", position)
                     SELECT id, 'staging', 'Staging', 0 FROM org)
        INSERT INTO memberships ("organizationId", "userId", role)
        SELECT org.id, u.id, 'viewer' FROM org, "user" u WHERE u.email = $1`,
        [admin.email],
      );
    } finally {
      await client.end();
    }
    await page.reload();
    await page.getByTestId('user-menu').click();
    await screenshot(page, '11-organisation-menu');
    await page.getByRole('menuitemradio', { name: /Second Tenant/ }).click();
    await page.waitForURL(`${baseUrl}/`);
    // With two organisations the sidebar's name is the organisation switcher.
    await vi.waitFor(
      async () =>
        expect(
          await page
            .getByTestId('organization-switcher')
            .evaluate((select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent),
        ).toBe('Second Tenant'),
      { timeout: 15_000 },
    );
    expect(await page.locator('.sidebar-org-role').textContent()).toBe('viewer');
    const options = await page.getByTestId('environment-switcher').locator('option').allTextContents();
    expect(options).toEqual(['All environments', 'Staging']);
    await screenshot(page, '12-second-organisation');
  });
});

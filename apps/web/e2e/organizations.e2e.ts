import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { completeSetup, startConsole } from './console';

const { baseUrl, databaseUrl, setupToken } = await startConsole();
const admin = {
  name: 'Grace Hopper',
  email: 'grace@peregrine.test',
  password: 'compiler since 1952',
  org: 'Harbour Ops',
};

let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  browser = await launchBrowser();
});

let memberBrowser: Awaited<ReturnType<typeof launchBrowser>> | undefined;

afterAll(async () => {
  await browser?.close();
  await memberBrowser?.close();
});

/** The organisation the sidebar's switcher shows as current. */
async function currentOrganization(): Promise<string | null> {
  return browser.page
    .getByTestId('organization-switcher')
    .evaluate((select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent ?? null);
}

describe('creating and switching organisations', () => {
  it('starts in the organisation made at first run, with no switcher yet', async () => {
    const { page } = browser;
    await completeSetup(page, baseUrl, setupToken, admin);
    await page.locator('.sidebar-org-name', { hasText: admin.org }).waitFor();
    expect(await page.getByTestId('organization-switcher').count()).toBe(0);
    // First-run setup made this one without the demo seed: no rule sets.
    await page.goto(`${baseUrl}/rules`);
    await page.getByRole('heading', { name: 'No rule sets yet' }).waitFor();
  });

  it('refuses an empty name in the New organisation dialog', async () => {
    const { page } = browser;
    await page.getByTestId('new-organization').click();
    const dialog = page.getByTestId('new-organization-dialog');
    await dialog.getByLabel('Organisation name').fill('   ');
    await dialog.getByRole('button', { name: 'Create organisation' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Name the organisation' }).waitFor();
    await screenshot(page, 'orgs-01-empty-name');
  });

  it('creates a second organisation and switches to it: admin, no alerts, the default rules active', async () => {
    const { page } = browser;
    const dialog = page.getByTestId('new-organization-dialog');
    await dialog.getByLabel('Organisation name').fill('Blue Team');
    await screenshot(page, 'orgs-02-new-organisation');
    await dialog.getByRole('button', { name: 'Create organisation' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await vi.waitFor(async () => expect(await currentOrganization()).toBe('Blue Team'), { timeout: 15_000 });
    expect(await page.locator('.sidebar-org-role').textContent()).toBe('admin');
    const choices = await page.getByTestId('organization-switcher').locator('option').allTextContents();
    expect(choices).toEqual([admin.org, 'Blue Team']);
    await screenshot(page, 'orgs-03-switched-to-new');

    await page.goto(`${baseUrl}/alerts`);
    await page.getByTestId('alerts-empty').waitFor();

    await page.goto(`${baseUrl}/rules`);
    const table = page.getByTestId('rule-sets-table');
    await table.getByRole('link', { name: 'Peregrine defaults' }).waitFor();
    const headers = await table.locator('thead th').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['Staging', 'Production']));
    // Version 1 active in both environments, as in the demo organisation.
    const row = table.locator('tbody tr', { hasText: 'Peregrine defaults' });
    const cells = await row.locator('td').allTextContents();
    const staging = headers.indexOf('Staging');
    const production = headers.indexOf('Production');
    expect([cells[staging], cells[production]]).toEqual(['v1', 'v1']);
    await screenshot(page, 'orgs-04-new-organisation-rules');
  });

  it('switches back: the first organisation still has no rule sets', async () => {
    const { page } = browser;
    await page.getByTestId('organization-switcher').selectOption({ label: admin.org });
    await page.waitForURL(`${baseUrl}/`);
    await vi.waitFor(async () => expect(await currentOrganization()).toBe(admin.org), { timeout: 15_000 });
    await page.goto(`${baseUrl}/rules`);
    await page.getByRole('heading', { name: 'No rule sets yet' }).waitFor();
    await screenshot(page, 'orgs-05-switched-back');
  });

  it('opens a link naming another organisation (?org=slug) in that organisation', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/rules?org=blue-team`);
    await page.waitForURL(`${baseUrl}/rules`);
    await page.getByTestId('rule-sets-table').getByRole('link', { name: 'Peregrine defaults' }).waitFor();
    expect(await currentOrganization()).toBe('Blue Team');
    await screenshot(page, 'orgs-05b-linked-organisation');
    // And back by the same kind of link, for the checks below.
    await page.goto(`${baseUrl}/rules?org=harbour-ops`);
    await page.getByRole('heading', { name: 'No rule sets yet' }).waitFor();
    expect(await currentOrganization()).toBe(admin.org);
  });

  it('will not let the last admin leave an organisation', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/settings`);
    await page.getByRole('button', { name: 'Leave organisation' }).click();
    await page.getByRole('button', { name: 'Leave for good' }).click();
    await page.getByRole('alert').filter({ hasText: 'last admin' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings');
    expect(await currentOrganization()).toBe(admin.org);
    await screenshot(page, 'orgs-06-last-admin-cannot-leave');
  });

  it('leaves the second organisation once someone else can run it, landing back in the first', async () => {
    const { page } = browser;
    // A co-admin joins Blue Team (as an accepted invitation would make them).
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO "user" (id, name, email, "emailVerified") VALUES ('co-admin', 'Co Admin', 'co@peregrine.test', true)`,
      );
      await client.query(
        `INSERT INTO memberships ("organizationId", "userId", role)
         SELECT id, 'co-admin', 'admin' FROM organizations WHERE name = 'Blue Team'`,
      );
    } finally {
      await client.end();
    }
    await page.getByTestId('organization-switcher').selectOption({ label: 'Blue Team' });
    await vi.waitFor(async () => expect(await currentOrganization()).toBe('Blue Team'), { timeout: 15_000 });
    await page.goto(`${baseUrl}/settings`);
    await page.getByRole('button', { name: 'Leave organisation' }).click();
    await page.getByRole('button', { name: 'Leave for good' }).click();
    // Back in the only organisation left: no switcher any more.
    await page.locator('.sidebar-org-name', { hasText: admin.org }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('organization-switcher').count()).toBe(0);
    await screenshot(page, 'orgs-07-left-second-organisation');
  });
});

describe('inviting from the switcher and deleting an organisation', () => {
  it("shows the organisation's quotas in Settings, used against the instance's limits", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/settings`);
    const quotas = page.getByTestId('quotas');
    await quotas.waitFor();
    // The defaults (PEREGRINE_MAX_SENSORS, _SOURCES, _ALERTS_RETAINED); nothing registered yet.
    expect(await quotas.getByTestId('quota-sensors').textContent()).toMatch(/Sensors\s*0 \/ 1,000/);
    expect(await quotas.getByTestId('quota-sources').textContent()).toMatch(/Sources\s*0 \/ 100/);
    expect(await quotas.getByTestId('quota-alertsRetained').textContent()).toMatch(
      /Alerts retained\s*0 \/ 1,000,000/,
    );
    await screenshot(page, 'orgs-08a-quotas');
  });

  it('shows the alerts kept, their size and the oldest in Settings, and saves retention rules and a size limit', async () => {
    const { page } = browser;
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const org = await db.query<{ id: string; env: string }>(
        `SELECT o.id, e.id AS env FROM organizations o JOIN environments e ON e."organizationId" = o.id
         WHERE o.name = $1 AND e.name = 'production'`,
        [admin.org],
      );
      const { id, env } = org.rows[0] as { id: string; env: string };
      await db.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey")
         VALUES ($1, $2, 'R', 'debug', 'syscall', 'old', '2026-11-02T10:15:00Z', 'k'),
                ($1, $2, 'R', 'critical', 'syscall', 'new', now(), 'k')`,
        [id, env],
      );
      await page.goto(`${baseUrl}/settings`);
      const panel = page.getByTestId('retention');
      await panel.waitFor();
      expect(await panel.getByTestId('retention-alerts').textContent()).toMatch(
        /Alerts kept\s*2 \/ 1,000,000/,
      );
      expect(await panel.getByTestId('retention-size').textContent()).toMatch(/KiB \/ no size limit/);
      expect(await panel.getByTestId('retention-oldest').textContent()).toContain('2026-11-02 10:15 UTC');
      expect(await panel.getByTestId('retention-rules').textContent()).toContain('No rule');

      await panel.getByTestId('retention-add').click();
      await panel.getByTestId('retention-rule').nth(0).getByLabel('Priority').selectOption('debug');
      await panel.getByTestId('retention-rule').nth(0).getByLabel('Days').fill('7');
      await panel.getByTestId('retention-add').click();
      await panel
        .getByTestId('retention-rule')
        .nth(1)
        .getByLabel('Environment')
        .selectOption({ label: 'Production' });
      await panel.getByTestId('retention-rule').nth(1).getByLabel('Priority').selectOption('critical');
      await panel.getByTestId('retention-rule').nth(1).getByLabel('Days').fill('365');
      await panel.getByTestId('retention-limit').fill('512');
      await screenshot(page, 'orgs-08b-retention-edit');
      await panel.getByTestId('retention-save').click();
      await panel.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

      // Two rules for the same environment and priority are refused with a clear message.
      await panel.getByTestId('retention-add').click();
      await panel.getByTestId('retention-rule').nth(2).getByLabel('Priority').selectOption('debug');
      await panel.getByTestId('retention-save').click();
      await panel.getByRole('alert').filter({ hasText: 'same environment and priority' }).waitFor();

      await page.reload();
      await panel.waitFor();
      await vi.waitFor(async () => expect(await panel.getByTestId('retention-rule').count()).toBe(2), {
        timeout: 15_000,
      });
      expect(await panel.getByTestId('retention-limit').inputValue()).toBe('512');
      expect(await panel.getByTestId('retention-size').textContent()).toMatch(/\/ 512\.0 MiB/);
      const rules = await db.query<{ env: string | null; priority: string | null; days: number }>(
        `SELECT "environmentId"::text AS env, priority::text, days FROM alert_retention_rules
         WHERE "organizationId" = $1 ORDER BY days`,
        [id],
      );
      expect(rules.rows).toEqual([
        { env: null, priority: 'debug', days: 7 },
        { env, priority: 'critical', days: 365 },
      ]);
      await screenshot(page, 'orgs-08c-retention-saved');
    } finally {
      await db.end();
    }
  });

  it("opens Settings' invitation form from the switcher, ready to type", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/alerts`);
    await page.getByTestId('invite-from-switcher').click();
    await page.waitForURL(`${baseUrl}/settings#invite`);
    const email = page.locator('#invite-email');
    await vi.waitFor(
      async () => expect(await email.evaluate((el) => el === document.activeElement)).toBe(true),
      {
        timeout: 15_000,
      },
    );
    await email.fill('newcomer@peregrine.test');
    await page.getByTestId('invite-form').getByRole('button', { name: 'Create invitation' }).click();
    await page.getByTestId('invitation-link').waitFor();
    await page.getByTestId('invitation-newcomer@peregrine.test').waitFor();
    await screenshot(page, 'orgs-08-invite-from-switcher');
  });

  it('deletes an organisation only once its name is typed, and lands in the one left', async () => {
    const { page } = browser;
    await page.getByTestId('new-organization').click();
    const created = page.getByTestId('new-organization-dialog');
    await created.getByLabel('Organisation name').fill('Red Team');
    await created.getByRole('button', { name: 'Create organisation' }).click();
    await vi.waitFor(async () => expect(await currentOrganization()).toBe('Red Team'), { timeout: 15_000 });

    // Someone whose only organisation Red Team is joins it by invitation (in their own browser).
    await page.goto(`${baseUrl}/settings`);
    await page.locator('#invite-email').fill('red.member@peregrine.test');
    await page.getByTestId('invite-form').getByRole('button', { name: 'Create invitation' }).click();
    const link = ((await page.getByTestId('invitation-link').locator('pre').textContent()) ?? '').trim();
    memberBrowser = await launchBrowser();
    const member = memberBrowser.page;
    await member.goto(link);
    await member.getByLabel('Your name').fill('Red Member');
    await member.getByLabel('Password', { exact: true }).fill('red member password 1');
    await member.getByLabel('Confirm password').fill('red member password 1');
    await member.getByRole('button', { name: 'Create account and join' }).click();
    await member.locator('.sidebar-org-name', { hasText: 'Red Team' }).waitFor({ timeout: 15_000 });

    await page.goto(`${baseUrl}/settings`);
    await page.getByTestId('delete-organization-open').click();
    const dialog = page.getByTestId('delete-organization-dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete for good' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Organisation name').fill('red team');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Organisation name').fill('Red Team');
    expect(await confirm.isDisabled()).toBe(false);
    await screenshot(page, 'orgs-09-delete-confirm');
    await confirm.click();

    // Back in the only organisation left: no switcher any more.
    await page.locator('.sidebar-org-name', { hasText: admin.org }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('organization-switcher').count()).toBe(0);
    await screenshot(page, 'orgs-10-deleted');

    // The member had no other organisation: the console offers to create one.
    await member.goto(`${baseUrl}/alerts`);
    await member.getByRole('heading', { name: 'No organisation' }).waitFor();
    await member.getByTestId('new-organization').waitFor();
    expect(await member.getByRole('button', { name: 'Open my other organisation' }).count()).toBe(0);
    await screenshot(member, 'orgs-10b-member-without-organisation');

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // The purge runs after the answer; the audit entry stays, at instance level.
      await vi.waitFor(
        async () => {
          const left = await client.query(`SELECT 1 FROM organizations WHERE name = 'Red Team'`);
          expect(left.rowCount).toBe(0);
        },
        { timeout: 20_000 },
      );
      const audit = await client.query(
        `SELECT "organizationId", before->>'name' AS name FROM audit_log WHERE action = 'organization.delete'`,
      );
      expect(audit.rows).toEqual([{ organizationId: null, name: 'Red Team' }]);
    } finally {
      await client.end();
    }
  });
});

describe('roles per environment and the instance audit log', () => {
  it("sets a member's role and promoter grant per environment on the members page, audited", async () => {
    const { page } = browser;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO "user" (id, name, email, "emailVerified") VALUES ('env-author', 'Env Author', 'env.author@peregrine.test', true)`,
      );
      await client.query(
        `INSERT INTO memberships ("organizationId", "userId", role)
         SELECT id, 'env-author', 'author' FROM organizations WHERE name = $1`,
        [admin.org],
      );
    } finally {
      await client.end();
    }
    await page.goto(`${baseUrl}/settings`);
    const production = page.getByLabel('Role of Env Author in Production');
    await production.selectOption('viewer');
    // Controlled by the saved grants: the controls show a change once the server has it.
    await vi.waitFor(async () => expect(await production.inputValue()).toBe('viewer'), { timeout: 15_000 });
    const promoter = page.getByLabel('Env Author promotes into Production');
    await promoter.click();
    await vi.waitFor(async () => expect(await promoter.isChecked()).toBe(true), { timeout: 15_000 });
    // An admin is admin everywhere: no grant controls on their row.
    expect(await page.getByLabel(`Role of ${admin.name} in Production`).count()).toBe(0);
    await screenshot(page, 'orgs-11-environment-grants');

    await page.goto(`${baseUrl}/audit?action=member.environment_grant`);
    const rows = page.getByTestId('audit-row');
    await vi.waitFor(async () => expect(await rows.count()).toBe(2), { timeout: 15_000 });
    await rows.first().getByRole('button', { name: 'Changes' }).click();
    const diff = page.getByTestId('audit-diff');
    await diff.waitFor();
    expect(await diff.textContent()).toMatch(/promoter\s*false\s*true/);
    await screenshot(page, 'orgs-12-grant-audit');
  });

  it('shows the first admin the instance audit log: organisations created and deleted', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/audit`);
    await page.getByRole('link', { name: 'Instance audit log' }).click();
    await page.waitForURL(`${baseUrl}/audit/instance`);
    const rows = page.getByTestId('audit-row');
    await rows.filter({ hasText: 'organization.delete' }).first().waitFor();
    expect(await rows.filter({ hasText: 'organization.create' }).count()).toBe(2);
    await page.locator('#audit-action').selectOption('organization.delete');
    await vi.waitFor(async () => expect(await rows.count()).toBe(1), { timeout: 15_000 });
    expect(await rows.first().textContent()).toContain('Red Team');
    await screenshot(page, 'orgs-13-instance-audit');
  });
});

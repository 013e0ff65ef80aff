import { createHash, randomBytes } from 'node:crypto';
import { exampleHeartbeat } from '@peregrine/protocol/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { startConsole } from './console';

const { baseUrl, databaseUrl } = await startConsole();
const password = 'correct horse battery staple';
const admin = { name: 'Grace Hopper', email: `grace.${randomBytes(3).toString('hex')}@peregrine.test` };
const invitee = { name: 'Barbara Liskov', email: `barbara.${randomBytes(3).toString('hex')}@peregrine.test` };

let adminBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let inviteeBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let bootstrapToken: string;
let inviteeLink: string;
let sensorKey: string;

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * This file's own organisation, whose first admin arrives through an invitation link made here
 * (only its hash is stored, as the console does), so the test does not depend on first-run setup
 * having happened or not.
 */
beforeAll(async () => {
  const [org] = await query<{ id: string }>(
    `INSERT INTO organizations (name, slug) VALUES ('Compiler Security', $1) RETURNING id`,
    [`compiler-security-${randomBytes(3).toString('hex')}`],
  );
  await query(
    `INSERT INTO environments ("organizationId", name, "displayName", position)
     VALUES ($1, 'staging', 'Staging', 0), ($1, 'production', 'Production', 1)`,
    [org?.id],
  );
  bootstrapToken = randomBytes(32).toString('base64url');
  await query(
    `INSERT INTO invitations ("organizationId", email, role, "tokenHash", "expiresAt")
     VALUES ($1, $2, 'admin', $3, now() + interval '1 day')`,
    [org?.id, admin.email, createHash('sha256').update(bootstrapToken).digest('hex')],
  );
  adminBrowser = await launchBrowser();
  inviteeBrowser = await launchBrowser();
});

afterAll(async () => {
  await adminBrowser?.close();
  await inviteeBrowser?.close();
});

describe('administration: invitations and sensors', () => {
  it('refuses an unknown invitation link', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/invite/${'x'.repeat(43)}`);
    await page.getByRole('heading', { name: 'Invitation not found' }).waitFor();
  });

  it('lets the invited admin create an account from the link', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/invite/${bootstrapToken}`);
    await page.getByRole('heading', { name: 'Join Compiler Security' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(admin.email);
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await screenshot(page, 'admin-01-invite-sign-up');
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByText('Compiler Security').first().waitFor();
  });

  it('invites a member with a role and shows the one-time link', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/settings`);
    await page.getByTestId('members-table').getByText(admin.email).waitFor();
    await page.getByLabel('Email').fill(invitee.email);
    await page.getByLabel('Role', { exact: true }).selectOption('triager');
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const link = page.getByTestId('invitation-link');
    await link.waitFor();
    inviteeLink = (await link.locator('pre').textContent())?.trim() ?? '';
    expect(inviteeLink).toMatch(new RegExp(`^${baseUrl}/invite/[A-Za-z0-9_-]{43}$`));
    await page.getByTestId(`invitation-${invitee.email}`).getByText('pending').waitFor();
    await screenshot(page, 'admin-02-invitation-created');
  });

  it('lets the invitee join with that role', async () => {
    const { page } = inviteeBrowser;
    await page.goto(inviteeLink);
    await page.getByText('is invited as').waitFor();
    await page.getByLabel('Your name').fill(invitee.name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await page.goto(`${baseUrl}/settings`);
    await page.getByTestId(`member-${invitee.email}`).waitFor();
    expect(await page.getByTestId(`member-${invitee.email}`).getByText('triager').isVisible()).toBe(true);
    // A triager sees the members but cannot invite.
    expect(await page.getByTestId('invite-form').count()).toBe(0);
    await screenshot(page, 'admin-03-invitee-joined');
    // The link is spent.
    await page.goto(inviteeLink);
    await page.getByText('This invitation is accepted').waitFor();
  });

  it('registers a sensor and shows its install command with the key once', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/sensors`);
    const form = page.getByTestId('sensor-form');
    await form.getByLabel('Name', { exact: true }).fill('web-1.prod');
    await form.getByLabel('Environment').selectOption({ label: 'Production' });
    await page.getByRole('button', { name: 'Register sensor' }).click();
    const install = page.getByTestId('sensor-install');
    await install.waitFor();
    const command = (await install.locator('pre').textContent()) ?? '';
    const match =
      /^sudo PEREGRINE_COLLECTOR_URL=\S+ PEREGRINE_SENSOR_KEY=(prs_[A-Za-z0-9_-]+) peregrine-sensor$/.exec(
        command.trim(),
      );
    expect(match).not.toBeNull();
    sensorKey = match?.[1] ?? '';
    await page.getByTestId('sensor-web-1.prod').getByText('Never connected').waitFor();
    await screenshot(page, 'admin-04-sensor-registered');
    const [row] = await query<{ keyHash: string; name: string }>(
      `SELECT "keyHash", s.name FROM sensors s JOIN environments e ON e.id = s."environmentId"
        WHERE s.name = 'web-1.prod' AND e.name = 'production'`,
    );
    expect(row?.keyHash).toBe(createHash('sha256').update(sensorKey).digest('hex'));
  });

  it('shows a reporting sensor with its rates and drops', async () => {
    const { page } = adminBrowser;
    const heartbeat = exampleHeartbeat({
      sensorId: 'web-1',
      hostname: 'web-1.prod',
      kernel: '6.1.0-18-amd64',
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      sentAt: new Date().toISOString(),
      rates: { captured: 1520.4, shipped: 310.2, filtered: 1210.2 },
      totals: { captured: 5_000_000, shipped: 1_000_000, filtered: 4_000_000 },
      drops: { kernel: 12, parse: 0, queue: 3, spool: 0, rejected: 0 },
      queueDepth: 42,
    });
    // What the collector stores when the sensor's heartbeat arrives (apps/collector covers the wire).
    const store = (body: object) =>
      query(
        `UPDATE sensors SET "lastSeenAt" = now(), hostname = $1, version = $2, backend = $3, "lastHeartbeat" = $4
          WHERE "keyHash" = $5`,
        [
          'web-1.prod',
          '0.1.0',
          'ebpf',
          JSON.stringify(body),
          createHash('sha256').update(sensorKey).digest('hex'),
        ],
      );
    // First it says its capture is starting (the eBPF programs loading)...
    const { sensorId, hostname, kernel, startedAt, sentAt } = heartbeat;
    await store(exampleHeartbeat({ sensorId, hostname, kernel, startedAt, sentAt, phase: 'starting' }));
    await page.reload();
    const row = page.getByTestId('sensor-web-1.prod');
    await row.getByText('Starting capture').waitFor();
    expect(await row.getByTestId('sensor-capture-starting').isVisible()).toBe(true);
    await screenshot(page, 'admin-05a-sensor-starting');
    // ...that it failed, and why (the sensor then exits)...
    const error = 'capture could not start: the kernel has no BTF (/sys/kernel/btf/vmlinux)';
    await store(exampleHeartbeat({ sensorId, hostname, kernel, startedAt, sentAt, phase: 'failed', error }));
    await page.reload();
    await row.getByTestId('sensor-capture-failed').waitFor();
    expect(await row.getByText('Capture failed · key').isVisible()).toBe(true);
    expect(await row.getByTestId('sensor-capture-failed').textContent()).toContain(error);
    await screenshot(page, 'admin-05b-sensor-capture-failed');
    // ...then, restarted, that it captures.
    await store({ ...heartbeat, phase: 'capturing' });
    await page.reload();
    await row.getByText('Online').waitFor();
    expect(await row.getByText('1,520.4').isVisible()).toBe(true);
    expect(await row.getByText('(kernel, queue)').isVisible()).toBe(true);
    await screenshot(page, 'admin-05-sensor-online');
  });

  it('adds a Kubernetes audit source and shows its webhook config with the token once', async () => {
    const { page } = adminBrowser;
    await page.getByTestId('add-source').click();
    const form = page.getByTestId('source-form');
    await form.getByLabel('Kind').selectOption('k8s_audit');
    await form.getByLabel('Name').fill('prod-cluster');
    await form.getByLabel('Environment').selectOption({ label: 'Production' });
    await form.getByRole('button', { name: 'Add source' }).click();
    const credential = page.getByTestId('source-credential');
    await credential.waitFor();
    const text = (await credential.locator('pre').textContent()) ?? '';
    expect(text).toMatch(/server: \S+\/ingest\/k8s-audit\/[0-9a-f-]{36}/);
    expect(text).toMatch(/token: pgs_/);
    await page.getByTestId('source-prod-cluster').waitFor();
    await screenshot(page, 'admin-06-source-created');
  });

  it('creates an API key, shown once, that automation uses with Authorization: Bearer', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/settings/api-keys`);
    const form = page.getByTestId('api-key-form');
    await form.getByLabel('Name').fill('Inventory script');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor();
    const key = ((await secret.locator('pre').textContent()) ?? '').trim();
    expect(key).toMatch(/^pgk_/);
    await page.getByTestId('api-keys-table').getByText('Inventory script').waitFor();
    await screenshot(page, 'admin-07-api-key-created');
    // No cookies, no Origin: just the key, acting as a viewer of this organisation.
    const listed = await fetch(`${baseUrl}/api/trpc/sensors.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { result: { data: { name: string }[] } };
    expect(body.result.data.map((s) => s.name)).toEqual(['web-1.prod']);
    const refused = await fetch(`${baseUrl}/api/trpc/apiKeys.list`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(refused.status).toBe(403);
    await page.reload();
    // The key's "Last used" cell (the fifth) shows the use just made: "now" on a quick reload,
    // "N seconds ago" when the reload took a second or more (a busy machine); "never" before.
    const keyRow = page.getByTestId('api-keys-table').locator('tbody tr', { hasText: 'Inventory script' });
    expect(await keyRow.locator('td').nth(4).textContent()).toMatch(/^(now|\d+ seconds? ago)$/);
  });

  it('records every change in the audit log with before and after', async () => {
    const { page } = adminBrowser;
    await page.goto(`${baseUrl}/settings`);
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('members.changeRole') && r.ok()),
      page.getByLabel(`Role of ${invitee.name}`, { exact: true }).selectOption('author'),
    ]);
    await page.goto(`${baseUrl}/audit`);
    await page.getByTestId('audit-row').first().waitFor();
    const actions = await page.getByTestId('audit-row').locator('code').allTextContents();
    expect(actions).toEqual(
      expect.arrayContaining([
        'member.role_change',
        'source.create',
        'sensor.register',
        'invitation.accept',
        'invitation.create',
      ]),
    );
    await page
      .getByTestId('audit-row')
      .filter({ hasText: 'member.role_change' })
      .getByRole('button', { name: 'Changes' })
      .click();
    const diff = page.getByTestId('audit-diff');
    await diff.waitFor();
    expect(await diff.getByText('triager').isVisible()).toBe(true);
    expect(await diff.getByText('author').isVisible()).toBe(true);
    await screenshot(page, 'admin-08-audit-log');
    await page.getByLabel('Action').selectOption('sensor.');
    await page.waitForURL(/action=sensor\./);
    await page.getByTestId('audit-row').first().waitFor();
    expect(await page.getByTestId('audit-row').locator('code').allTextContents()).toEqual([
      'sensor.register',
    ]);
  });
});

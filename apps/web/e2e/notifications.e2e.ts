import { createHmac } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { completeSetup } from './console';
import { reservePort } from '@peregrine/db/testing';
import { type Stack, startStack } from './stack';

/**
 * Issue #15: an admin sets notifications up in the console against the real collector: a webhook
 * channel whose test notification reaches a loopback receiver signed with its secret (which the
 * console never shows again), a channel to a receiver that is down, whose dead letter shows its
 * error and can be retried, a route, and a route sending a digest with quiet hours.
 */
const SIGNING_SECRET = 'e2e-signing-secret-0123456789';
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.end('ok');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
const downPort = await reservePort();

let stack: Stack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const pageErrors: string[] = [];
const admin = {
  name: 'Radia Perlman',
  email: 'radia@peregrine.test',
  password: 'spanning tree 1985',
  org: 'Bridge Security',
};

/** Alerts as the collector stores them: two of a payments group (error), one notice elsewhere. */
async function seedAlerts() {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const env = (
      await client.query<{ id: string; org: string }>(
        `SELECT e.id::text, e."organizationId"::text AS org FROM environments e WHERE e.name = 'production'`,
      )
    ).rows[0]!;
    const group = (
      await client.query<{ id: string }>(
        `INSERT INTO alert_groups ("organizationId", "environmentId", "dedupKey", rule, priority, source, count,
                                   "firstSeenAt", "lastSeenAt", "lastOutput")
         VALUES ($1, $2, 'e2e-payments', 'Shell in pod', 'error', 'syscall', 2, now(), now(), 'x') RETURNING id::text`,
        [env.org, env.id],
      )
    ).rows[0]!;
    for (const [ns, priority] of [
      ['payments', 'error'],
      ['payments', 'error'],
      ['default', 'notice'],
    ]) {
      await client.query(
        `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                             hostname, "eventTime", "dedupKey", "groupId")
         VALUES ($1, $2, 'Shell in pod', $3::"Priority", 'syscall', $4, $5, '{shell}', 'node-1', now(), 'e2e-payments', $6)`,
        [
          env.org,
          env.id,
          priority,
          `Shell in pod (ns=${ns})`,
          JSON.stringify({ 'k8s.ns.name': ns }),
          group.id,
        ],
      );
    }
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  stack = await startStack({
    collectorEnv: {
      COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1',
      NOTIFY_POLL_MS: '200',
      NOTIFY_MAX_ATTEMPTS: '1',
      NOTIFY_TIMEOUT_SECONDS: '3',
    },
  });
  browser = await launchBrowser();
  page = browser.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await completeSetup(page, stack.baseUrl, stack.setupToken, admin);
}, 180_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page)
    await screenshot(page, `notifications-failed-${context.task.name.replace(/\W+/g, '-').slice(0, 40)}`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  receiver.close();
});

describe('notifications page', () => {
  it('adds a webhook channel whose secret is never shown back, and its test notification arrives signed', async () => {
    await page.goto(`${stack.baseUrl}/settings/notifications`);
    const form = page.getByTestId('channel-form');
    await form.getByLabel('Kind').selectOption('webhook');
    await form.getByLabel('Name').fill('Ops hook');
    await form.getByLabel('URL').fill(receiverUrl);
    await form.getByLabel('Signing secret (16+ characters, optional)').fill(SIGNING_SECRET);
    await form.getByLabel('Headers').fill('X-Team: blue');
    await screenshot(page, 'notifications-1-new-channel');
    await form.getByRole('button', { name: 'Add channel' }).click();
    const row = page.getByTestId('channel-Ops hook');
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('hmacSecret set');
    expect(await page.content()).not.toContain(SIGNING_SECRET);

    await row.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(1);
    const request = received[0]!;
    expect(request.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', SIGNING_SECRET).update(request.body).digest('hex')}`,
    );
    expect(request.headers['x-team']).toBe('blue');
    expect(JSON.parse(request.body)).toMatchObject({
      action: 'test',
      title: '[Test] [Notice] Peregrine test notification',
    });
    const deliveries = page.getByTestId('deliveries-table');
    await deliveries.getByText('delivered', { exact: true }).waitFor({ timeout: 15_000 });

    // Editing keeps the stored secret when its field is left empty.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByTestId('channel-edit-form');
    expect(await edit.getByLabel('Signing secret (16+ characters, optional)').inputValue()).toBe('');
    await edit.getByLabel('Headers').fill('X-Team: red');
    await edit.getByRole('button', { name: 'Save channel' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(2);
    expect(received[1]!.headers['x-team']).toBe('red');
    expect(received[1]!.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', SIGNING_SECRET).update(received[1]!.body).digest('hex')}`,
    );
  });

  it('shows a dead letter with its last error, and retries it', async () => {
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByTestId('channel-form');
    await form.getByLabel('Kind').selectOption('webhook');
    await form.getByLabel('Name').fill('Broken hook');
    await form.getByLabel('URL').fill(`http://127.0.0.1:${downPort}/down`);
    await form.getByRole('button', { name: 'Add channel' }).click();
    const row = page.getByTestId('channel-Broken hook');
    await row.waitFor();
    await row.getByRole('button', { name: 'Send test' }).click();
    await page.getByLabel('Dead letters only').check();
    const deliveries = page.getByTestId('deliveries-table');
    await deliveries.getByText('ECONNREFUSED').waitFor({ timeout: 30_000 });
    await screenshot(page, 'notifications-2-dead-letter');
    await deliveries.getByRole('button', { name: 'Retry' }).click();
    // Queued again with fresh attempts, then dead again (the receiver is still down): one row.
    await expect
      .poll(async () => (await deliveries.textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/dead.*1.*ECONNREFUSED/);
    expect(await deliveries.getByRole('button', { name: 'Retry' }).count()).toBe(1);
  });

  it('adds an ordered route with a filter and a channel', async () => {
    await page.getByLabel('Dead letters only').uncheck();
    await page.getByRole('button', { name: 'Add route' }).click();
    const form = page.getByTestId('route-form');
    await form.getByLabel('Name').fill('Production errors');
    await form.getByLabel('Ops hook').check();
    await form.getByLabel('Production').check();
    await form.getByLabel('Priority level').selectOption('error');
    await form.getByLabel('Output fields').fill('k8s.ns.name=payments');
    await form.getByLabel('At most one per group every (minutes)').fill('10');
    // Two recent alerts of one group that the route matches, one it does not: the preview says so.
    await seedAlerts();
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('route-preview');
    await preview.waitFor();
    expect((await preview.textContent())?.replace(/\s+/g, ' ')).toContain(
      'Last 24 h: 2 alert(s) match; this route would have sent 1 notification(s) for 2 alert(s).',
    );
    await screenshot(page, 'notifications-3-route-preview');
    await form.getByRole('button', { name: 'Add route' }).click();
    const route = page.getByTestId('route-Production errors');
    await route.waitFor();
    const text = (await route.textContent()) ?? '';
    expect(text).toContain('env production and priority >= error and k8s.ns.name = payments');
    expect(text).toContain('Ops hook');
    expect(text).toContain('1 per group / 10 min');
    await screenshot(page, 'notifications-4-overview');
    expect(pageErrors).toEqual([]);
  });

  it('sets a route to a digest with quiet hours, refusing a time zone that does not exist', async () => {
    await page.getByRole('button', { name: 'Add route' }).click();
    const form = page.getByTestId('route-form');
    await form.getByLabel('Name', { exact: true }).fill('Ops digest');
    await form.getByLabel('Ops hook').check();
    await form.getByLabel('Send', { exact: true }).selectOption('interval');
    await form.getByLabel('Digest every (minutes)').fill('30');
    await form.getByLabel('Quiet hours', { exact: true }).check();
    await form.getByLabel('From', { exact: true }).fill('22:00');
    await form.getByLabel('To', { exact: true }).fill('07:00');
    await form.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus');
    await form.getByLabel('Still send at once from').selectOption('error');
    await form.getByRole('button', { name: 'Add route' }).click();
    const problem = form.getByTestId('route-schedule-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('“Mars/Olympus” is not a time zone');
    await form.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    // Leaves the field: its time zone suggestions (a datalist) close.
    await form.getByLabel('Time zone', { exact: true }).press('Tab');
    await problem.waitFor({ state: 'detached' });
    await screenshot(page, 'notifications-5-digest-route');
    await form.getByRole('button', { name: 'Add route' }).click();
    const route = page.getByTestId('route-Ops digest');
    await route.waitFor();
    const text = (await route.textContent()) ?? '';
    expect(text).toContain('digest every 30 min');
    expect(text).toContain('quiet 22:00–07:00 daily, weekends (Europe/Berlin), below error held');
    // Stored as the collector reads it.
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT digest, "quietHours" FROM notification_routes WHERE name = 'Ops digest'`,
      );
      expect(rows).toEqual([
        {
          digest: { mode: 'interval', minutes: 30 },
          quietHours: {
            timeZone: 'Europe/Berlin',
            start: '22:00',
            end: '07:00',
            days: [0, 1, 2, 3, 4, 5, 6],
            weekends: true,
            passPriority: 'error',
          },
        },
      ]);
    } finally {
      await client.end();
    }
    // Editing shows the stored schedule.
    await route.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByTestId('route-edit-form');
    expect(await edit.getByLabel('Send', { exact: true }).inputValue()).toBe('interval');
    expect(await edit.getByLabel('Digest every (minutes)').inputValue()).toBe('30');
    expect(await edit.getByLabel('Time zone', { exact: true }).inputValue()).toBe('Europe/Berlin');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await screenshot(page, 'notifications-6-digest-overview');
    expect(pageErrors).toEqual([]);
  });
  it('filters the delivery log by kind (alerts or digests) and by route', async () => {
    // A digest the digest route sent and an alert the production route sent, as the collector
    // records them (delivered, so its worker leaves them alone).
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO notification_outbox ("organizationId", "channelId", "routeId", action, "dedupKey", count,
                                          status, "deliveredAt", "lastStatus")
         SELECT r."organizationId", c.id, r.id, x.action, x.action || ':e2e', x.n, 'delivered', now(), 200
         FROM (VALUES ('Ops digest', 'digest', 7), ('Production errors', 'trigger', 2)) x(route, action, n)
         JOIN notification_routes r ON r.name = x.route
         JOIN notification_channels c ON c.name = 'Ops hook' AND c."organizationId" = r."organizationId"`,
      );
    } finally {
      await client.end();
    }
    await page.goto(`${stack.baseUrl}/settings/notifications`);
    const deliveries = page.getByTestId('deliveries-table');
    const rows = () => deliveries.locator('tbody tr');
    await deliveries.getByText('Ops digest').waitFor({ timeout: 15_000 });
    await page.getByLabel('Kind of delivery').selectOption('digest');
    await expect
      .poll(async () => (await rows().allTextContents()).join('|'), { timeout: 15_000 })
      .toMatch(/^[^|]*digest[^|]*Ops digest[^|]*$/);
    await screenshot(page, 'notifications-7-digest-deliveries');
    await page.getByLabel('Kind of delivery').selectOption('alert');
    await expect
      .poll(async () => (await rows().allTextContents()).join('|'), { timeout: 15_000 })
      .toMatch(/^[^|]*alert[^|]*Production errors[^|]*$/);
    // One route's deliveries, of every kind: the production route sent no digest.
    await page.getByLabel('Kind of delivery').selectOption('');
    await page.getByLabel('Route of delivery').selectOption({ label: 'Ops digest' });
    await expect
      .poll(async () => (await rows().allTextContents()).join('|'), { timeout: 15_000 })
      .toMatch(/^[^|]*Ops digest[^|]*$/);
    await page.getByLabel('Kind of delivery').selectOption('alert');
    await page.getByText('No delivery matches.').waitFor({ timeout: 15_000 });
    expect(pageErrors).toEqual([]);
  });
});

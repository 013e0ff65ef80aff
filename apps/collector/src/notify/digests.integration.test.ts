/**
 * Digests and quiet hours end to end against the real receivers of the notification tests:
 * alerts of a digest route owe one outbox row per (route, channel, period), written with the
 * alerts; the row falls due when the period ends by the collectors' clock (injected here and
 * moved forward, so no test waits for a period), is sent once as a summary in each channel's
 * shape, across a restart and with two collectors on one database. Quiet hours in Europe/Berlin
 * hold less severe alerts across midnight and the spring-forward night and send them when the
 * window ends; the severe ones still go at once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  createNotificationChannel,
  createNotificationRoute,
  DbError,
  type NotificationRouteInput,
  queueResolveNotifications,
  registerSensor,
} from '@peregrine/db';
import { DIGEST_KINDS, DIGEST_REFUSAL, QUIET_HOURS_KINDS, QUIET_HOURS_REFUSAL } from '@peregrine/protocol';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import {
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../testing/notify-receivers.js';
import { createWorld, postBatch, syscallEvent, type World } from '../testing/world.js';
import { DIGEST_GRACE_MS } from './plan-targets.js';
import { createTestPool } from '@peregrine/db/testing';

const secretKey = randomBytes(32);
const HMAC_SECRET = 'digest-signing-secret-0123456789';
const WAIT = { timeout: 30_000, interval: 50 };
const HOUR = 3_600_000;

let world: World;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let pool: pg.Pool;
let batchNo = 0;
/** The collectors' clock: every collector of this file reads it; tests move it forward. */
let now = Date.parse('2027-01-04T10:00:00Z');
const clock = () => now;
const collectors: Collector[] = [];

async function startCollector(): Promise<{ c: Collector; url: string }> {
  const c = await world.collector(
    {
      PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
      COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1,localhost',
      COLLECTOR_CONSOLE_URL: 'https://console.example.test',
      NOTIFY_POLL_MS: '100',
      // The clock stands still between the tests' moves, so a retry (due at `now` + backoff)
      // never falls due: an attempt must not time out on a loaded machine (nothing here tests
      // timeouts; the receivers answer at once).
      NOTIFY_TIMEOUT_SECONDS: '30',
      NOTIFY_MAX_ATTEMPTS: '3',
    },
    { notify: { retryBaseMs: 100, retryMaxMs: 400, ca: [smtp.cert] }, clock },
  );
  collectors.push(c);
  return { c, url: await c.start() };
}

async function channel(
  kind: Parameters<typeof createNotificationChannel>[1]['kind'],
  name: string,
  config: Record<string, unknown>,
  secrets: Record<string, string> = {},
) {
  return createNotificationChannel(
    world.db,
    { organizationId: world.organizationId, kind, name, config, secrets, secretKey },
    { userId: null },
  );
}

async function route(input: Partial<NotificationRouteInput> & { channelIds: string[]; name: string }) {
  return createNotificationRoute(
    world.db,
    {
      organizationId: world.organizationId,
      enabled: true,
      filter: {},
      overrides: {},
      throttleSeconds: 3600,
      continue: false,
      ...input,
    },
    { userId: null },
    {
      digest: { kinds: DIGEST_KINDS, refusal: DIGEST_REFUSAL },
      quietHours: { kinds: QUIET_HOURS_KINDS, refusal: QUIET_HOURS_REFUSAL },
    },
  );
}

/** Sends execve events (Shell spawned, Warning) of these process names from a host. */
async function shells(url: string, names: string[], host: string, apiKey = world.sensor.apiKey) {
  const r = await postBatch(url, apiKey, {
    sensorId: 'machine-1',
    batchId: `db-${++batchNo}`,
    seq: batchNo,
    events: names.map((n) => syscallEvent('execve', n, { hostname: host })),
  });
  expect(r.status).toBe(200);
}

/** Sends an /etc/shadow open (Sensitive file opened, Error) from a host. */
async function shadow(url: string, host: string) {
  const r = await postBatch(url, world.sensor.apiKey, {
    sensorId: 'machine-1',
    batchId: `db-${++batchNo}`,
    seq: batchNo,
    events: [syscallEvent('openat', 'cat', { fd: '/etc/shadow', hostname: host })],
  });
  expect(r.status).toBe(200);
}

async function outbox(where = 'true', params: unknown[] = []) {
  return (
    await pool.query(
      `SELECT o.*, c.name AS channel,
              (SELECT count(*)::int FROM notification_digest_alerts m WHERE m."outboxId" = o.id) AS listed
       FROM notification_outbox o JOIN notification_channels c ON c.id = o."channelId"
       WHERE ${where} ORDER BY o."createdAt", c.name`,
      params,
    )
  ).rows;
}

/** Every running collector's worker has looked for due rows once more (claims nothing new). */
async function drainAll(): Promise<number> {
  let n = 0;
  for (const c of collectors) n += (await c.notifications?.drain()) ?? 0;
  return n;
}

beforeAll(async () => {
  world = await createWorld('digest');
  pool = createTestPool(world.url, { max: 2 });
  [http, smtp] = await Promise.all([startHttpReceiver(), startSmtpReceiver()]);
}, 60_000);

afterAll(async () => {
  for (const c of collectors) await c.stop().catch(() => {});
  await Promise.all([http?.close(), smtp?.close(), pool?.end()]);
  await world?.close();
}, 60_000);

describe('notification digests', () => {
  it('refuses a digest on a route to PagerDuty, Opsgenie or falcosidekick, and quiet hours on one to falcosidekick', async () => {
    const pd = await channel('pagerduty', 'pd-refused', { url: `${http.url}/pd` }, { routingKey: 'K' });
    const hook = await channel('webhook', 'hook-ok', { url: `${http.url}/ok` });
    const sidekick = await channel('falcosidekick', 'sidekick-refused', { url: `${http.url}/fs` });
    const refused = route({
      name: 'pd digest',
      channelIds: [hook.id, pd.id],
      digest: { mode: 'interval', minutes: 60 },
    });
    await expect(refused).rejects.toBeInstanceOf(DbError);
    await expect(refused).rejects.toThrow(/PagerDuty, Opsgenie and falcosidekick.*pd-refused: pagerduty/);
    const nights = { timeZone: 'UTC', start: '22:00', end: '07:00', days: [1], weekends: false };
    await expect(
      route({ name: 'sidekick quiet', channelIds: [pd.id, sidekick.id], quietHours: nights }),
    ).rejects.toThrow(/quiet hours cannot hold them.*sidekick-refused: falcosidekick/);
    // Quiet hours on PagerDuty alone are fine (held per alert group), as is no schedule at all.
    await route({ name: 'pd quiet', channelIds: [pd.id], quietHours: nights, enabled: false });
    await route({ name: 'pd plain', channelIds: [pd.id], enabled: false });
  });

  it('sends one summary per route, channel and period when the period ends, across a restart and two collectors', async () => {
    const chans = await Promise.all([
      channel('webhook', 'dhook', { url: `${http.url}/dhook` }, { hmacSecret: HMAC_SECRET }),
      channel('slack', 'dslack', {}, { webhookUrl: `${http.url}/dslack` }),
      channel('teams', 'dteams', {}, { webhookUrl: `${http.url}/dteams` }),
      channel(
        'email',
        'dmail',
        {
          host: 'localhost',
          port: smtp.port,
          security: 'starttls',
          username: 'mailer',
          from: 'peregrine@example.test',
          to: ['soc@example.test'],
        },
        { password: 'mail-secret' },
      ),
    ]);
    const hourly = await route({
      name: 'hourly digest',
      channelIds: chans.map((c) => c.id),
      filter: { hostnames: ['d-1', 'd-2', 'd-3'] },
      digest: { mode: 'interval', minutes: 60 },
    });
    const p1 = Date.parse('2027-01-04T10:00:00Z');
    now = p1 + 60_000;
    const a = await startCollector();
    await shells(a.url, ['zsh', 'bash', 'zsh'], 'd-1');
    await shadow(a.url, 'd-2');
    // Owed at once, in the statement that stored the alerts: one row per channel for the period.
    await vi.waitFor(async () => {
      const rows = await outbox(`o.action = 'digest'`);
      expect(rows).toHaveLength(4);
      for (const r of rows) {
        expect(r).toMatchObject({
          status: 'queued',
          count: 4,
          listed: 4,
          routeId: hourly.id,
          groupId: null,
          alertId: null,
          environmentId: null,
        });
        expect(r.dedupKey).toBe(`d:${hourly.id}:${p1}`);
        expect(r.windowStart.getTime()).toBe(p1);
        expect(r.windowEnd.getTime()).toBe(p1 + HOUR);
        expect(r.nextAttemptAt.getTime()).toBe(p1 + HOUR + DIGEST_GRACE_MS);
      }
    }, WAIT);
    // Not sent one by one, and not before the period (and its grace) is over.
    now = p1 + HOUR + DIGEST_GRACE_MS - 1;
    expect(await drainAll()).toBe(0);
    expect(http.to('/dhook')).toHaveLength(0);

    // An alert at the boundary belongs to the next period.
    now = p1 + HOUR;
    await shells(a.url, ['sh'], 'd-3');
    await vi.waitFor(async () => expect(await outbox(`o.action = 'digest'`)).toHaveLength(8), WAIT);

    now = p1 + HOUR + DIGEST_GRACE_MS;
    await vi.waitFor(() => {
      for (const p of ['/dhook', '/dslack', '/dteams']) expect(http.to(p), p).toHaveLength(1);
      expect(smtp.mails).toHaveLength(1);
    }, WAIT);
    // A receiver sees the request before the worker records the answer: wait for the records too.
    await vi.waitFor(async () => {
      const first = await outbox(`o."dedupKey" = $1`, [`d:${hourly.id}:${p1}`]);
      expect(first.map((r) => r.status)).toEqual(Array(4).fill('delivered'));
    }, WAIT);
    expect(await drainAll()).toBe(0);

    // Webhook: the digest payload, signed like every webhook body.
    const hook = http.to('/dhook')[0]!;
    expect(hook.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', HMAC_SECRET).update(hook.body).digest('hex')}`,
    );
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      action: 'digest',
      reason: 'schedule',
      title: '[Digest] 4 alerts (hourly digest)',
      route: 'hourly digest',
      period: { start: '2027-01-04T10:00:00.000Z', end: '2027-01-04T11:00:00.000Z' },
      count: 4,
      counts: [
        { rule: 'Sensitive file opened', priority: 'Error', count: 1 },
        { rule: 'Shell spawned', priority: 'Warning', count: 3 },
      ],
      link: 'https://console.example.test/alerts',
    });
    // One environment here (the quiet-hours case below has two): its alerts per priority.
    expect(body.environments).toEqual([
      {
        environment: expect.any(String),
        count: 4,
        priorities: [
          { priority: 'Error', count: 1 },
          { priority: 'Warning', count: 3 },
        ],
      },
    ]);
    expect(body.alerts).toHaveLength(4);
    // Most severe first, each with a link to its group.
    expect(body.alerts[0]).toMatchObject({
      rule: 'Sensitive file opened',
      priority: 'Error',
      hostname: 'd-2',
    });
    expect(body.alerts[0].link).toBe(`https://console.example.test/alerts?group=${body.alerts[0].groupId}`);
    expect(body.alerts.slice(1).map((x: { hostname: string }) => x.hostname)).toEqual(['d-1', 'd-1', 'd-1']);

    const slack = JSON.parse(http.to('/dslack')[0]!.body);
    expect(slack.text).toBe('[Digest] 4 alerts (hourly digest)');
    expect(slack.attachments[0].color).toBe('#ea580c');
    expect(slack.attachments[0].text).toContain('2027-01-04 10:00 UTC to 2027-01-04 11:00 UTC');
    expect(slack.attachments[0].text).toContain('3 × Shell spawned (Warning)');
    expect(slack.attachments[0].text).toMatch(/_.+: 4 \(1 Error, 3 Warning\)_/);
    expect(slack.attachments[0].text).toContain(`<${body.alerts[0].link}|[Error] Sensitive file opened>`);

    const card = JSON.parse(http.to('/dteams')[0]!.body).attachments[0].content;
    expect(card.body[0].text).toBe('[Digest] 4 alerts (hourly digest)');
    expect(card.body[2].facts).toEqual([{ title: expect.any(String), value: '4 (1 Error, 3 Warning)' }]);
    expect(card.body[3].facts).toEqual([
      { title: 'Sensitive file opened (Error)', value: '1' },
      { title: 'Shell spawned (Warning)', value: '3' },
    ]);

    const mail = smtp.mails[0]!;
    expect(mail.subject).toBe('[Digest] 4 alerts (hourly digest)');
    expect(mail.text).toContain('1 × Sensitive file opened (Error)');
    expect(mail.text).toMatch(/: 4 \(1 Error, 3 Warning\)/);
    expect(mail.html).toContain('<th align="left">Environment</th>');
    expect(mail.html).toContain(`href="${body.alerts[0].link}"`);

    // Restart in the middle of period 2: what was owed before the stop is sent after it, once.
    await shells(a.url, ['zsh'], 'd-1');
    await a.c.stop();
    collectors.splice(collectors.indexOf(a.c), 1);
    const b = await startCollector();
    await shells(b.url, ['bash'], 'd-2');
    await vi.waitFor(async () => {
      const rows = await outbox(`o."dedupKey" = $1`, [`d:${hourly.id}:${p1 + HOUR}`]);
      expect(rows.map((r) => r.count)).toEqual([3, 3, 3, 3]);
    }, WAIT);

    // Two collectors on one database, both storing period 2's alerts and both delivering.
    const c2 = await startCollector();
    await Promise.all([
      shells(b.url, ['zsh'], 'd-3'),
      shells(c2.url, ['zsh', 'sh'], 'd-1'),
      shadow(c2.url, 'd-3'),
    ]);
    await vi.waitFor(async () => {
      const rows = await outbox(`o."dedupKey" = $1`, [`d:${hourly.id}:${p1 + HOUR}`]);
      expect(rows.map((r) => r.listed)).toEqual([7, 7, 7, 7]);
    }, WAIT);
    now = p1 + 2 * HOUR + DIGEST_GRACE_MS;
    await vi.waitFor(async () => {
      const rows = await outbox(`o."dedupKey" = $1`, [`d:${hourly.id}:${p1 + HOUR}`]);
      expect(rows.map((r) => r.status)).toEqual(Array(4).fill('delivered'));
    }, WAIT);
    expect(await drainAll()).toBe(0);
    expect(http.to('/dhook')).toHaveLength(2);
    expect(http.to('/dslack')).toHaveLength(2);
    expect(smtp.mails).toHaveLength(2);
    const second = JSON.parse(http.to('/dhook')[1]!.body);
    expect(second.count).toBe(7);
    expect(second.counts).toEqual([
      { rule: 'Sensitive file opened', priority: 'Error', count: 1 },
      { rule: 'Shell spawned', priority: 'Warning', count: 6 },
    ]);
    expect(second.period.start).toBe('2027-01-04T11:00:00.000Z');

    // A batch stored after its period's digest left (its clock still in the period) is not
    // lost: it goes out as a late digest of its own at once.
    now = p1 + 2 * HOUR - 1_000;
    await shells(b.url, ['zsh'], 'd-2');
    await vi.waitFor(() => expect(http.to('/dhook')).toHaveLength(3), WAIT);
    const late = JSON.parse(http.to('/dhook')[2]!.body);
    expect(late).toMatchObject({ count: 1, period: { start: '2027-01-04T11:00:00.000Z' } });
    const lateRows = await outbox(`o."dedupKey" LIKE $1`, [`d:${hourly.id}:${p1 + HOUR}:late:%`]);
    expect(lateRows).toHaveLength(4);
    await pool.query('UPDATE notification_routes SET enabled = false');
  }, 120_000);

  it('a digest row that reaches a channel which cannot carry one is dead with the reason', async () => {
    const og = await channel('opsgenie', 'og-digest', { url: `${http.url}/og` }, { apiKey: 'k' });
    // Stored directly: the console refuses such a route, an older row or a changed channel may not.
    await pool.query(
      `INSERT INTO notification_outbox ("organizationId", "channelId", action, "dedupKey", "windowStart", "windowEnd")
       VALUES ($1, $2, 'digest', 'd:manual:0', now() - interval '1 hour', now())`,
      [world.organizationId, og.id],
    );
    await vi.waitFor(async () => {
      const [row] = await outbox(`c.name = 'og-digest'`);
      expect(row.status).toBe('dead');
      expect(row.lastError).toBe(DIGEST_REFUSAL);
      expect(row.attempts).toBe(1);
    }, WAIT);
    expect(http.to('/og/v2/alerts')).toHaveLength(0);
  }, 60_000);

  it('quiet hours hold less severe alerts across midnight and the DST change, and send them when they end', async () => {
    const hook = await channel('webhook', 'qhook', { url: `${http.url}/qhook` });
    const quiet = await route({
      name: 'night shift',
      channelIds: [hook.id],
      filter: { hostnames: ['q-1'] },
      throttleSeconds: 0,
      // Saturday nights in Berlin: 2027-03-27 22:00 CET to 2027-03-28 07:00 CEST is 8 hours,
      // the clocks going from 02:00 to 03:00 in between.
      quietHours: {
        timeZone: 'Europe/Berlin',
        start: '22:00',
        end: '07:00',
        days: [6],
        weekends: false,
        passPriority: 'error',
      },
    });
    const start = Date.parse('2027-03-27T21:00:00Z');
    const end = Date.parse('2027-03-28T05:00:00Z');
    // A second environment's sensor: the held digest counts alerts per environment.
    const otherId = Object.values(world.environments).find((id) => id !== world.environmentId)!;
    const other = await registerSensor(world.db, { environmentId: otherId, name: 'node-q2' });
    const envName = async (id: string) =>
      (await pool.query<{ name: string }>('SELECT name FROM environments WHERE id = $1', [id])).rows[0]!.name;
    const [firstEnv, secondEnv] = [await envName(world.environmentId), await envName(otherId)];
    const { url } = await startCollector();
    // 21:59 Berlin: not quiet yet, sent at once.
    now = start - 60_000;
    await shells(url, ['zsh'], 'q-1');
    await vi.waitFor(() => expect(http.to('/qhook')).toHaveLength(1), WAIT);
    expect(JSON.parse(http.to('/qhook')[0]!.body).action).toBe('trigger');
    // 22:30 CET: a Warning is held; an Error (the pass priority) still goes.
    now = start + 30 * 60_000;
    await shells(url, ['bash'], 'q-1');
    await shadow(url, 'q-1');
    await vi.waitFor(() => expect(http.to('/qhook')).toHaveLength(2), WAIT);
    expect(JSON.parse(http.to('/qhook')[1]!.body).alert.rule).toBe('Sensitive file opened');
    // 01:30 CET (after midnight) and 03:30 CEST (after the jump): the same window.
    now = Date.parse('2027-03-28T00:30:00Z');
    await shells(url, ['sh'], 'q-1');
    now = Date.parse('2027-03-28T01:30:00Z');
    await shells(url, ['zsh'], 'q-1');
    await shells(url, ['bash'], 'q-1', other.apiKey);
    await vi.waitFor(async () => {
      const rows = await outbox(`o.action = 'held'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'queued', count: 4, listed: 4, routeId: quiet.id });
      expect(rows[0].windowStart.getTime()).toBe(start);
      // 07:00 CEST is 05:00 UTC (not 06:00, as it would be without the DST change).
      expect(rows[0].windowEnd.getTime()).toBe(end);
      expect(rows[0].dedupKey).toBe(`q:${quiet.id}:${end}`);
    }, WAIT);
    now = end - 1;
    expect(await drainAll()).toBe(0);
    expect(http.to('/qhook')).toHaveLength(2);
    // 07:00 CEST: the window is over; the held alerts go as one digest.
    now = end + DIGEST_GRACE_MS;
    await vi.waitFor(() => expect(http.to('/qhook')).toHaveLength(3), WAIT);
    const held = JSON.parse(http.to('/qhook')[2]!.body);
    expect(held).toMatchObject({
      action: 'digest',
      reason: 'quiet_hours',
      title: '[Digest] 4 alerts held during quiet hours (night shift)',
      period: { start: '2027-03-27T21:00:00.000Z', end: '2027-03-28T05:00:00.000Z' },
      count: 4,
      counts: [{ rule: 'Shell spawned', priority: 'Warning', count: 4 }],
    });
    // Per environment, most alerts first, each per priority.
    expect(held.environments).toEqual([
      { environment: firstEnv, count: 3, priorities: [{ priority: 'Warning', count: 3 }] },
      { environment: secondEnv, count: 1, priorities: [{ priority: 'Warning', count: 1 }] },
    ]);
    // 07:30 CEST: sent at once again.
    now = end + 30 * 60_000;
    await shells(url, ['bash'], 'q-1');
    await vi.waitFor(() => expect(http.to('/qhook')).toHaveLength(4), WAIT);
    expect(JSON.parse(http.to('/qhook')[3]!.body).action).toBe('trigger');
  }, 120_000);
  it('quiet hours hold PagerDuty and Opsgenie triggers per alert group and page when they end, once, across a restart and two collectors', async () => {
    const pd = await channel('pagerduty', 'qpd', { url: `${http.url}/qpd` }, { routingKey: 'RK' });
    const og = await channel('opsgenie', 'qog', { url: `${http.url}/qog` }, { apiKey: 'OK' });
    const pager = await route({
      name: 'pager nights',
      channelIds: [pd.id, og.id],
      filter: { hostnames: ['p-1', 'p-2'] },
      throttleSeconds: 0,
      quietHours: {
        timeZone: 'UTC',
        start: '22:00',
        end: '06:00',
        days: [0, 1, 2, 3, 4, 5, 6],
        weekends: false,
        passPriority: 'error',
      },
    });
    const start = Date.parse('2027-01-05T22:00:00Z');
    const end = Date.parse('2027-01-06T06:00:00Z');
    const pdSent = () => http.to('/qpd').map((r) => JSON.parse(r.body));
    const ogSent = () => http.to('/qog/v2/alerts').map((r) => JSON.parse(r.body));
    now = start + 10 * 60_000;
    const a = await startCollector();
    // Warnings are held; an Error (the pass priority) pages at once.
    await shells(a.url, ['zsh', 'bash'], 'p-1');
    await shadow(a.url, 'p-1');
    await vi.waitFor(() => {
      expect(pdSent().map((b) => b.payload.class)).toEqual(['Sensitive file opened']);
      expect(ogSent()).toHaveLength(1);
    }, WAIT);
    // Restart mid-window, then two collectors storing more held alerts at once.
    await a.c.stop();
    collectors.splice(collectors.indexOf(a.c), 1);
    const b = await startCollector();
    const c2 = await startCollector();
    now = start + 3 * HOUR;
    await Promise.all([shells(b.url, ['zsh'], 'p-2'), shells(c2.url, ['sh', 'zsh'], 'p-1')]);
    const groups = async () =>
      (
        await pool.query<{ groupId: string; n: number }>(
          `SELECT "groupId"::text, count(*)::int AS n FROM alerts
           WHERE hostname IN ('p-1', 'p-2') AND rule = 'Shell spawned' GROUP BY 1 ORDER BY 1`,
        )
      ).rows;
    // One held trigger per (channel, alert group), counting the group's alerts of the window.
    await vi.waitFor(async () => {
      expect((await groups()).reduce((t, g) => t + g.n, 0)).toBe(5);
      const rows = await outbox(`o.action = 'deferred'`);
      const held = await groups();
      expect(rows).toHaveLength(2 * held.length);
      for (const r of rows) {
        expect(r).toMatchObject({ status: 'queued', routeId: pager.id, listed: 0 });
        expect(r.count).toBe(held.find((g) => g.groupId === r.groupId)?.n);
        expect(r.alertId).not.toBeNull();
        expect(r.environmentId).toBe(world.environmentId);
        expect(r.dedupKey).toBe(`q:${pager.id}:${end}:${r.groupId}`);
        expect(r.windowEnd.getTime()).toBe(end);
        expect(r.nextAttemptAt.getTime()).toBe(end + DIGEST_GRACE_MS);
      }
    }, WAIT);
    const held = await groups();
    expect(held.length).toBeGreaterThan(1);
    // A group resolved in triage during the window: its resolve goes after its held trigger.
    const resolved = held[0]!.groupId;
    await queueResolveNotifications(world.db.prisma, world.organizationId, [resolved]);
    now = end - 1;
    expect(await drainAll()).toBe(0);
    expect(pdSent()).toHaveLength(1);
    // The window is over: each held group pages once per channel, with its dedup key and count.
    now = end + DIGEST_GRACE_MS;
    await vi.waitFor(async () => {
      // Each row's state first: a failed attempt shows its error here.
      const rows = await outbox(`o.action = 'deferred'`);
      expect(rows.map((r) => [r.channel, r.status, r.lastError])).toEqual(
        rows.map((r) => [r.channel, 'delivered', null]),
      );
      expect(pdSent()).toHaveLength(1 + held.length);
      expect(ogSent()).toHaveLength(1 + held.length);
    }, WAIT);
    const pages = pdSent().slice(1);
    expect(pages.map((p) => p.dedup_key).sort()).toEqual(held.map((g) => g.groupId).sort());
    for (const p of pages) {
      const n = held.find((g) => g.groupId === p.dedup_key)!.n;
      expect(p).toMatchObject({ event_action: 'trigger', payload: { class: 'Shell spawned' } });
      expect(p.payload.custom_details.count).toBe(n);
      expect(p.payload.summary).toMatch(n > 1 ? `[Quiet hours: ${n} alerts] ` : /^\[Quiet hours\] /);
    }
    expect(
      ogSent()
        .slice(1)
        .map((o) => o.alias)
        .sort(),
    ).toEqual(held.map((g) => g.groupId).sort());
    expect(http.to('/qpd').filter((r) => JSON.parse(r.body).event_action === 'resolve')).toHaveLength(0);
    now = end + DIGEST_GRACE_MS + 5_000;
    await vi.waitFor(() => {
      const resolves = pdSent().filter((p) => p.event_action === 'resolve');
      expect(resolves.map((p) => p.dedup_key)).toEqual([resolved]);
      expect(http.to(`/qog/v2/alerts/${resolved}/close`)).toHaveLength(1);
    }, WAIT);
    // Exactly once: nothing more is owed, to either collector.
    expect(await drainAll()).toBe(0);
    expect(pdSent()).toHaveLength(2 + held.length);
    expect(ogSent()).toHaveLength(1 + held.length);
    await pool.query('UPDATE notification_routes SET enabled = false');
  }, 120_000);
});

/**
 * Notifications end to end against real receivers: alerts stored by a real collector owe
 * notifications in the statement that stores them; the delivery worker sends them through the
 * outbound policy to a loopback HTTP receiver (each vendor's payload shape, the HMAC signature)
 * and an SMTP server with STARTTLS; faults (down, slow, 500 then 200, 429 with Retry-After), a
 * restart mid-delivery and two collectors on one database each deliver exactly once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  createNotificationChannel,
  createNotificationRoute,
  createNotificationStore,
  type NotificationRouteInput,
  queueTestNotification,
  triageAlerts,
} from '@peregrine/db';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../app.js';
import {
  closedPort,
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../testing/notify-receivers.js';
import { createWorld, postBatch, syscallEvent, type World } from '../testing/world.js';
import { createTestPool } from '@peregrine/db/testing';

const secretKey = randomBytes(32);
const HMAC_SECRET = 'webhook-signing-secret-0123456789';
const WAIT = { timeout: 30_000, interval: 50 };

let world: World;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let pool: pg.Pool;
let batchNo = 0;
const collectors: Collector[] = [];

/** Env of a collector that may reach the loopback receivers, with short waits for the tests. */
const envFor = (extra: Record<string, string> = {}) => ({
  PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
  COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1,localhost',
  COLLECTOR_CONSOLE_URL: 'https://console.example.test',
  NOTIFY_POLL_MS: '100',
  NOTIFY_TIMEOUT_SECONDS: '2',
  NOTIFY_MAX_ATTEMPTS: '3',
  ...extra,
});

async function startCollector(extra: Record<string, string> = {}): Promise<{ c: Collector; url: string }> {
  const c = await world.collector(envFor(extra), {
    notify: { retryBaseMs: 100, retryMaxMs: 400, ca: [smtp.cert] },
  });
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

async function route(input: Partial<NotificationRouteInput> & { channelIds: string[] }) {
  return createNotificationRoute(
    world.db,
    {
      organizationId: world.organizationId,
      name: `route ${Math.random()}`,
      enabled: true,
      filter: {},
      overrides: {},
      throttleSeconds: 3600,
      continue: false,
      ...input,
    },
    { userId: null },
  );
}

/** Sends execve events of these process names (each name its own alert group) to a collector. */
async function shells(url: string, names: string[], host = 'node-1') {
  const r = await postBatch(url, world.sensor.apiKey, {
    sensorId: 'machine-1',
    batchId: `nb-${++batchNo}`,
    seq: batchNo,
    events: names.map((n) => syscallEvent('execve', n, { hostname: host })),
  });
  expect(r.status).toBe(200);
}

async function outbox(where = 'true', params: unknown[] = []) {
  return (
    await pool.query(
      `SELECT o.*, c.name AS channel FROM notification_outbox o JOIN notification_channels c ON c.id = o."channelId" WHERE ${where} ORDER BY o."createdAt"`,
      params,
    )
  ).rows;
}

beforeAll(async () => {
  world = await createWorld('notify');
  pool = createTestPool(world.url, { max: 2 });
  [http, smtp] = await Promise.all([startHttpReceiver(), startSmtpReceiver()]);
}, 60_000);

afterAll(async () => {
  for (const c of collectors) await c.stop().catch(() => {});
  await Promise.all([http?.close(), smtp?.close(), pool?.end()]);
  await world?.close();
}, 60_000);

describe('notifications', () => {
  it('refuses loopback targets unless the operator allows them (dead, with the reason)', async () => {
    const ch = await channel('webhook', 'policy', { url: `${http.url}/policy` });
    const r = await route({ channelIds: [ch.id], filter: { rules: ['Sensitive file opened'] } });
    const { c, url } = await startCollector({ COLLECTOR_OUTBOUND_ALLOW: '' });
    await postBatch(url, world.sensor.apiKey, {
      sensorId: 'machine-1',
      batchId: `nb-${++batchNo}`,
      seq: batchNo,
      events: [syscallEvent('openat', 'cat', { fd: '/etc/shadow' })],
    });
    await vi.waitFor(async () => {
      const rows = await outbox(`c.name = 'policy'`);
      expect(rows).toHaveLength(1);
      expect(rows[0].status).toBe('dead');
      expect(rows[0].lastError).toMatch(/loopback address.*COLLECTOR_OUTBOUND_ALLOW/);
      expect(rows[0].attempts).toBe(1);
    }, WAIT);
    expect(http.to('/policy')).toHaveLength(0);
    await c.stop();
    await pool.query('DELETE FROM notification_routes WHERE id = $1', [r.id]);
  }, 60_000);

  it('sends every channel kind its vendor payload, once per group and window', async () => {
    const chans = await Promise.all([
      channel(
        'webhook',
        'hook',
        { url: `${http.url}/hook`, headers: { 'X-Team': 'blue' } },
        { hmacSecret: HMAC_SECRET },
      ),
      channel('slack', 'slack', { channel: '#sec' }, { webhookUrl: `${http.url}/slack` }),
      channel('teams', 'teams', {}, { webhookUrl: `${http.url}/teams` }),
      channel('pagerduty', 'pd', { url: `${http.url}/pd` }, { routingKey: 'R0UTINGKEY' }),
      channel('opsgenie', 'og', { url: `${http.url}/og` }, { apiKey: 'genie-key' }),
      channel('falcosidekick', 'sidekick', { url: `${http.url}/falco` }),
      channel(
        'email',
        'mail',
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
    await route({
      channelIds: chans.map((c) => c.id),
      filter: { rules: ['Shell spawned'], priority: { op: 'gte', value: 'warning' } },
      overrides: { slackChannel: '#payments' },
    });
    const { url } = await startCollector();
    await shells(url, ['zsh']);
    await vi.waitFor(() => {
      for (const p of ['/hook', '/slack', '/teams', '/pd', '/falco']) expect(http.to(p), p).toHaveLength(1);
      expect(http.to('/og/v2/alerts')).toHaveLength(1);
      expect(smtp.mails).toHaveLength(1);
    }, WAIT);
    // A receiver sees the request before the worker records the answer: wait for the records too.
    const rows = await vi.waitFor(async () => {
      const r = await outbox(`o.action = 'trigger' AND c.name <> 'policy'`);
      expect(r.map((o) => o.status)).toEqual(Array(7).fill('delivered'));
      return r;
    }, WAIT);
    const groupId = rows[0].groupId as string;
    const link = `https://console.example.test/alerts?group=${groupId}`;

    // Generic webhook: JSON, HMAC-SHA256 over the exact body, custom headers, delivery id.
    const hook = http.to('/hook')[0]!;
    expect(hook.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', HMAC_SECRET).update(hook.body).digest('hex')}`,
    );
    expect(hook.headers['x-team']).toBe('blue');
    expect(hook.headers['x-peregrine-delivery']).toBe(rows.find((r) => r.channel === 'hook').id);
    const hookBody = JSON.parse(hook.body);
    expect(hookBody).toMatchObject({
      action: 'trigger',
      groupId,
      count: 1,
      link,
      title: '[Warning] Shell spawned',
      alert: {
        rule: 'Shell spawned',
        priority: 'Warning',
        source: 'syscall',
        hostname: 'node-1',
        tags: ['shell', 'test'],
      },
    });
    expect(hookBody.alert.output_fields['proc.name']).toBe('zsh');
    expect(hookBody.alert.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

    // Slack: attachment with the priority colour, rule, fields, link; the route's channel override.
    const slack = JSON.parse(http.to('/slack')[0]!.body);
    expect(slack.channel).toBe('#payments');
    expect(slack.attachments[0]).toMatchObject({
      color: '#ca8a04',
      title: '[Warning] Shell spawned',
      title_link: link,
    });
    expect(slack.attachments[0].fields).toEqual(
      expect.arrayContaining([
        { title: 'Rule', value: 'Shell spawned', short: true },
        { title: 'proc.name', value: 'zsh', short: true },
      ]),
    );
    expect(slack.attachments[0].text).toContain('Shell spawned (proc=zsh');

    // Teams: an Adaptive Card in a message attachment, with a link action.
    const teams = JSON.parse(http.to('/teams')[0]!.body);
    expect(teams.type).toBe('message');
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = teams.attachments[0].content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      text: '[Warning] Shell spawned',
      color: 'Warning',
    });
    expect(card.body[2].facts).toEqual(expect.arrayContaining([{ title: 'Rule', value: 'Shell spawned' }]));
    expect(card.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open in Peregrine', url: link });

    // PagerDuty Events API v2: trigger with the group as dedup key.
    const pd = JSON.parse(http.to('/pd')[0]!.body);
    expect(pd).toMatchObject({
      routing_key: 'R0UTINGKEY',
      event_action: 'trigger',
      dedup_key: groupId,
      payload: {
        summary: '[Warning] Shell spawned',
        source: 'node-1',
        severity: 'warning',
        class: 'Shell spawned',
      },
      links: [{ href: link, text: 'Open in Peregrine' }],
    });
    expect(Number.isNaN(Date.parse(pd.payload.timestamp))).toBe(false);

    // Opsgenie: create with the group as alias, GenieKey auth, priority from the alert's.
    const og = http.to('/og/v2/alerts')[0]!;
    expect(og.headers.authorization).toBe('GenieKey genie-key');
    expect(JSON.parse(og.body)).toMatchObject({
      alias: groupId,
      message: '[Warning] Shell spawned',
      priority: 'P4',
      source: 'Peregrine',
    });

    // falcosidekick forward: Falco's http_output body, exactly its keys, sorted, Falco's time format.
    const falco = http.to('/falco')[0]!;
    expect(falco.headers['user-agent']).toBe('falcosecurity/falco');
    expect(falco.headers['content-type']).toBe('application/json');
    const fj = JSON.parse(falco.body);
    expect(Object.keys(fj)).toEqual([
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    expect(fj).toMatchObject({
      hostname: 'node-1',
      priority: 'Warning',
      rule: 'Shell spawned',
      source: 'syscall',
      tags: ['shell', 'test'],
    });
    expect(fj.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(fj.output_fields['proc.name']).toBe('zsh');

    // Email over STARTTLS with a login: HTML and text bodies.
    const mail = smtp.mails[0]!;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe('mailer');
    expect(mail.subject).toBe('[Warning] Shell spawned');
    expect(mail.from?.text).toBe('peregrine@example.test');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('soc@example.test');
    expect(mail.text).toContain('Shell spawned (proc=zsh');
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain('<th align="left" style="padding:2px 12px 2px 0">proc.name</th><td>zsh</td>');

    // Throttle: more alerts of the same group in the window are folded into the row's count.
    await shells(url, ['zsh', 'zsh']);
    await shells(url, ['zsh']);
    await vi.waitFor(async () => {
      const again = await outbox(`o.action = 'trigger' AND c.name = 'hook'`);
      expect(again).toHaveLength(1);
      expect(again[0].count).toBe(4);
    }, WAIT);
    // A different group is a notification of its own (its own window).
    await shells(url, ['sh']);
    await vi.waitFor(() => expect(http.to('/hook')).toHaveLength(2), WAIT);
    expect(JSON.parse(http.to('/hook')[1]!.body).alert.output_fields['proc.name']).toBe('sh');
    expect(http.to('/hook')).toHaveLength(2);

    // Resolving the group in triage resolves the PagerDuty incident and closes the Opsgenie alert.
    await triageAlerts(world.db, {
      organizationId: world.organizationId,
      target: { filter: { organizationId: world.organizationId, groupId }, maxId: '999999999' },
      change: { status: 'resolved' },
      actor: { userId: null },
    });
    await vi.waitFor(() => {
      expect(http.to('/pd')).toHaveLength(3);
      expect(http.to(`/og/v2/alerts/${groupId}/close`)).toHaveLength(1);
    }, WAIT);
    const resolve = http
      .to('/pd')
      .map((r) => JSON.parse(r.body))
      .find((b) => b.event_action === 'resolve');
    expect(resolve).toEqual({ routing_key: 'R0UTINGKEY', event_action: 'resolve', dedup_key: groupId });
    // Other kinds are not sent resolves.
    expect(http.to('/slack')).toHaveLength(2);

    // "Send test": a test row the collector delivers like any other.
    const testId = await queueTestNotification(
      world.db,
      { organizationId: world.organizationId, channelId: chans[0]!.id },
      { userId: null },
    );
    await vi.waitFor(() => expect(http.to('/hook')).toHaveLength(3), WAIT);
    const test = JSON.parse(http.to('/hook')[2]!.body);
    expect(test).toMatchObject({
      id: testId,
      action: 'test',
      title: '[Test] [Notice] Peregrine test notification',
    });
    await pool.query('DELETE FROM notification_routes');
  }, 120_000);

  it('retries with backoff, honours Retry-After, and gives up on a receiver that is down', async () => {
    const down = await closedPort();
    http.on('/slow', { delays: [3_000, 0] });
    http.on('/flaky', { plan: [500, 200] });
    http.on('/limited', { plan: [429, 200], headers: { 'retry-after': '1' } });
    http.on('/gone', { plan: [404] });
    const chans = await Promise.all([
      channel('webhook', 'down', { url: `http://127.0.0.1:${down}/down` }),
      channel('webhook', 'slow', { url: `${http.url}/slow` }),
      channel('webhook', 'flaky', { url: `${http.url}/flaky` }),
      channel('webhook', 'limited', { url: `${http.url}/limited` }),
      channel('webhook', 'gone', { url: `${http.url}/gone` }),
    ]);
    await route({ channelIds: chans.map((c) => c.id), filter: { rules: ['Sensitive file opened'] } });
    const { url } = await startCollector();
    await postBatch(url, world.sensor.apiKey, {
      sensorId: 'machine-1',
      batchId: `nb-${++batchNo}`,
      seq: batchNo,
      events: [syscallEvent('openat', 'cat', { fd: '/etc/shadow', hostname: 'faults' })],
    });
    const byName = async () =>
      Object.fromEntries(
        (await outbox(`c.name IN ('down','slow','flaky','limited','gone')`)).map((r) => [r.channel, r]),
      );
    await vi.waitFor(async () => {
      const rows = await byName();
      for (const n of ['slow', 'flaky', 'limited']) expect(rows[n]?.status, n).toBe('delivered');
      expect(rows.down?.status).toBe('dead');
      expect(rows.gone?.status).toBe('dead');
    }, WAIT);
    const rows = await byName();
    // Down: three attempts (NOTIFY_MAX_ATTEMPTS), then dead with the last error.
    expect(rows.down.attempts).toBe(3);
    expect(rows.down.lastError).toMatch(/ECONNREFUSED.*gave up after 3 attempts/);
    // 404 will not change: dead at once.
    expect(rows.gone.attempts).toBe(1);
    expect(rows.gone.lastError).toMatch(/^HTTP 404/);
    expect(rows.gone.lastStatus).toBe(404);
    expect(http.to('/gone')).toHaveLength(1);
    // Slow: the first attempt timed out (2 s) and was retried; both carried the same delivery id.
    expect(rows.slow.attempts).toBe(2);
    const slow = http.to('/slow');
    expect(slow).toHaveLength(2);
    expect(slow[0]!.headers['x-peregrine-delivery']).toBe(slow[1]!.headers['x-peregrine-delivery']);
    // 500 then 200.
    expect(rows.flaky.attempts).toBe(2);
    expect(rows.flaky.lastStatus).toBe(200);
    expect(http.to('/flaky')).toHaveLength(2);
    // 429 with Retry-After: 1 was retried after a second, not after the 100 ms backoff.
    const limited = http.to('/limited');
    expect(limited).toHaveLength(2);
    expect(limited[1]!.at - limited[0]!.at).toBeGreaterThanOrEqual(950);
    await pool.query('DELETE FROM notification_routes');
  }, 120_000);

  it('delivers exactly once across a restart mid-delivery and across two collectors', async () => {
    for (const c of collectors.splice(0)) await c.stop();
    http.on('/restart', { delays: [1_500, 0] });
    const ch = await channel('webhook', 'restart', { url: `${http.url}/restart` });
    await route({
      channelIds: [ch.id],
      filter: { rules: ['Shell spawned'], hostnames: ['restart-1', 'restart-2'] },
      continue: true,
    });
    const pair = await channel('webhook', 'pair', { url: `${http.url}/pair` });
    await route({ channelIds: [pair.id], filter: { rules: ['Shell spawned'] } });

    // Stopped while the receiver holds the request: the stop waits for the answer and records it.
    const first = await startCollector();
    await shells(first.url, ['bash'], 'restart-1');
    await vi.waitFor(() => expect(http.to('/restart')).toHaveLength(1), WAIT);
    await first.c.stop();
    const [row] = await outbox(`c.name = 'restart'`);
    expect(row.status).toBe('delivered');
    // Restarted: the next alert is delivered, the first one is not sent again.
    const second = await startCollector();
    await shells(second.url, ['bash'], 'restart-2');
    await vi.waitFor(async () => {
      const rows = await outbox(`c.name = 'restart'`);
      expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    }, WAIT);
    expect(http.to('/restart')).toHaveLength(2);
    expect(new Set(http.to('/restart').map((r) => r.headers['x-peregrine-delivery'])).size).toBe(2);

    // Two collectors on one database, each storing half the alerts and both delivering.
    const other = await startCollector();
    const hosts = Array.from({ length: 16 }, (_, i) => `pair-${i}`);
    await Promise.all(hosts.map((h, i) => shells(i % 2 ? second.url : other.url, ['bash'], h)));
    await vi.waitFor(async () => {
      const rows = await outbox(`c.name = 'pair' AND o.status = 'delivered'`);
      expect(rows).toHaveLength(16 + 2);
    }, WAIT);
    const pairs = http.to('/pair');
    expect(pairs).toHaveLength(18);
    expect(new Set(pairs.map((r) => r.headers['x-peregrine-delivery'])).size).toBe(18);
    const hostsSeen = pairs.map((r) => JSON.parse(r.body).alert.hostname as string).sort();
    expect(hostsSeen).toEqual([...hosts, 'restart-1', 'restart-2'].sort());

    // Retention: finished notifications go once they are older than NOTIFY_RETENTION_DAYS, the
    // rest stays (queued ones are still owed).
    await pool.query(
      `INSERT INTO notification_outbox ("organizationId", "channelId", action, "dedupKey", status, "nextAttemptAt")
       VALUES ($1, $2, 'test', 'owed-later', 'queued', now() + interval '1 day')`,
      [world.organizationId, pair.id],
    );
    const finished = (await outbox(`o.status IN ('delivered', 'dead')`)).length;
    expect((await second.c.retention.pruneOnce()).notifications).toBe(0);
    const pruned = await second.c.retention.pruneOnce(Date.now() + 31 * 86_400_000);
    expect(pruned.notifications).toBe(finished);
    expect((await outbox()).map((r) => r.dedupKey)).toEqual(['owed-later']);
  }, 120_000);

  it('takes over a notification whose collector died holding it, once its lease ran out', async () => {
    // No live collector while the ghost claims, so the row is surely the ghost's.
    for (const c of collectors.splice(0)) await c.stop();
    const ch = await channel('webhook', 'ghost', { url: `${http.url}/ghost` });
    // A collector that claimed the row and died before sending it: its lease (1 s) runs out.
    const ghost = createNotificationStore(world.url, { max: 1 });
    const id = await queueTestNotification(
      world.db,
      { organizationId: world.organizationId, channelId: ch.id },
      { userId: null },
    );
    // Claim until the ghost holds this row (a live collector may claim others meanwhile).
    const claimed = await ghost.claim('ghost', { limit: 50, leaseMs: 1_000 });
    expect(claimed.map((n) => n.id)).toEqual([id]);
    await startCollector();
    await vi.waitFor(async () => {
      const [row] = await outbox(`o.id = $1`, [id]);
      expect(row.status).toBe('delivered');
      expect(row.attempts).toBe(2);
      expect(row.leaseOwner).toBeNull();
    }, WAIT);
    expect(http.to('/ghost')).toHaveLength(1);
    // The dead collector's late answer changes nothing: its claim was taken over.
    expect(await ghost.delivered(id, 'ghost', 200)).toBe(false);
    await ghost.close();
  }, 60_000);
});

describe('incident routes', () => {
  it('send a new incident once and its escalation once, instead of its alerts', async () => {
    const { url } = await startCollector({ INCIDENT_WINDOW_MINUTES: '120' });
    // Alerts of the tests above still queued (their collectors stopped) are placed first: they
    // are not this route's.
    await vi.waitFor(async () => {
      expect((await pool.query('SELECT count(*)::int AS n FROM incident_queue')).rows[0].n).toBe(0);
    }, WAIT);
    const hook = await channel('webhook', 'incident hook', { url: `${http.url}/incident-hook` });
    const r = await route({ channelIds: [hook.id], sendIncidents: true });
    const container = {
      id: 'feedc0ffee0d0f6a2b1c3d4e5f60718293a4b5c6d7e8f9011223344556677889',
      image: 'nginx:1.25',
    };
    const k8s = { podName: 'incident-pod', namespace: 'prod' };
    const shell = syscallEvent('execve', 'bash', { hostname: 'node-9' });
    Object.assign(shell, { container, k8s });
    const post = async (events: ReturnType<typeof syscallEvent>[]) =>
      expect(
        (
          await postBatch(url, world.sensor.apiKey, {
            sensorId: 'machine-1',
            batchId: `nb-${++batchNo}`,
            seq: batchNo,
            events,
          })
        ).status,
      ).toBe(200);
    await post([shell]);
    await vi.waitFor(() => expect(http.to('/incident-hook')).toHaveLength(1), WAIT);
    const first = JSON.parse(http.to('/incident-hook')[0]!.body) as {
      action: string;
      title: string;
      link?: string;
    };
    expect(first.action).toBe('incident');
    expect(first.title).toMatch(/^\[Incident: score 35\] .*Shell spawned/);
    // The same process opens /etc/shadow (ERROR): the incident's score enters a higher band.
    const read = syscallEvent('openat', 'bash', { hostname: 'node-9', fd: '/etc/shadow' });
    Object.assign(read, { container, k8s, proc: { ...shell.proc } });
    await post([read]);
    await vi.waitFor(() => expect(http.to('/incident-hook')).toHaveLength(2), WAIT);
    const second = JSON.parse(http.to('/incident-hook')[1]!.body) as { action: string; title: string };
    expect(second.action).toBe('escalation');
    expect(second.title).toMatch(/^\[Incident escalated: score 4\d\]/);
    // Owed once per key, and no alert rows for the incident route. The receiver has the request
    // a moment before the worker records the answer: wait for the row to say delivered.
    await vi.waitFor(async () => {
      const rows = await outbox(`o."routeId" = $1`, [r.id]);
      expect(rows.map((x) => [x.action, x.status])).toEqual([
        ['incident', 'delivered'],
        ['escalation', 'delivered'],
      ]);
    }, WAIT);
    await pool.query(`UPDATE notification_routes SET enabled = false WHERE id = $1`, [r.id]);
  });
});

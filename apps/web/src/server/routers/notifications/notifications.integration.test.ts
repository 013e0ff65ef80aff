import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const SECRET_KEY = randomBytes(32).toString('base64');
process.env.PEREGRINE_SECRET_KEY = SECRET_KEY;
await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const db = await import('@peregrine/db');

const handle = () => db.getDb(process.env.DATABASE_URL as string);
const key = Buffer.from(SECRET_KEY, 'base64');

let admin: ReturnType<typeof createCaller>;
let triager: ReturnType<typeof createCaller>;
let environmentId: string;

beforeAll(async () => {
  const org = await createOrganization('Notifications Org');
  const adminUser = await createUser('Notifications Admin');
  const triagerUser = await createUser('Notifications Triager');
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(org.id, triagerUser.id, 'triager');
  admin = createCaller(contextFor(adminUser));
  triager = createCaller(contextFor(triagerUser));
  environmentId = (await admin.environment.list())[0]?.id as string;
});

async function storedSecrets(channelId: string) {
  const row = await handle().prisma.notificationChannel.findUniqueOrThrow({ where: { id: channelId } });
  return row.secretsEncrypted ? db.decryptSourceSecrets(key, row.secretsEncrypted) : {};
}

async function auditText(targetId: string) {
  const rows = await handle().prisma.auditLog.findMany({
    where: { targetId },
    orderBy: { createdAt: 'asc' },
  });
  return {
    actions: rows.map((r) => r.action),
    text: JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  };
}

describe('notification channels', () => {
  it('store secrets encrypted, never answer them, keep them when left empty, and audit every change', async () => {
    const created = await admin.notifications.createChannel({
      name: 'SOC Slack',
      settings: {
        kind: 'slack',
        config: { channel: '#soc' },
        secrets: { webhookUrl: 'https://hooks.slack.test/T000/B000/XXXX' },
      },
    });
    expect(created).toMatchObject({
      kind: 'slack',
      name: 'SOC Slack',
      enabled: true,
      secretNames: ['webhookUrl'],
    });
    expect(JSON.stringify(created)).not.toContain('hooks.slack.test');
    expect(await storedSecrets(created.id)).toEqual({
      webhookUrl: 'https://hooks.slack.test/T000/B000/XXXX',
    });
    const listed = await admin.notifications.listChannels();
    expect(JSON.stringify(listed)).not.toContain('hooks.slack.test');

    // Empty secret: kept. New settings applied.
    const updated = await admin.notifications.updateChannel({
      channelId: created.id,
      settings: {
        kind: 'slack',
        config: { channel: '#soc-2', titleTemplate: '%priority: %rule on %k8s.ns.name' },
        secrets: { webhookUrl: '' },
      },
    });
    expect(updated.config).toEqual({ channel: '#soc-2', titleTemplate: '%priority: %rule on %k8s.ns.name' });
    expect(await storedSecrets(created.id)).toEqual({
      webhookUrl: 'https://hooks.slack.test/T000/B000/XXXX',
    });
    // A typed secret replaces the stored one.
    await admin.notifications.updateChannel({
      channelId: created.id,
      settings: {
        kind: 'slack',
        config: {},
        secrets: { webhookUrl: 'https://hooks.slack.test/T000/B000/YYYY' },
      },
    });
    expect(await storedSecrets(created.id)).toEqual({
      webhookUrl: 'https://hooks.slack.test/T000/B000/YYYY',
    });

    const audit = await auditText(created.id);
    expect(audit.actions).toEqual([
      'notification_channel.create',
      'notification_channel.update',
      'notification_channel.update',
    ]);
    expect(audit.text).toContain('webhookUrl');
    expect(audit.text).not.toContain('hooks.slack.test/T000/B000');
  });

  it('refuse settings the kind does not accept, with the field named', async () => {
    type Settings = Parameters<typeof admin.notifications.createChannel>[0]['settings'];
    const bad: Settings[] = [
      { kind: 'slack', config: {}, secrets: {} },
      { kind: 'webhook', config: { url: 'ftp://x.example' }, secrets: {} },
      {
        kind: 'email',
        config: { host: 'smtp.example', from: 'a@example.test', to: ['nope'] },
        secrets: {},
      },
      {
        kind: 'webhook',
        config: { url: 'https://x.example', textTemplate: 'ends with %' },
        secrets: {},
      },
      {
        kind: 'webhook',
        config: { url: 'https://x.example', headers: { 'Bad Header': 'x' } },
        secrets: {},
      },
      { kind: 'pagerduty', config: {}, secrets: { routingKey: 'k', extra: 'x' } },
    ];
    const messages: string[] = [];
    for (const settings of bad) {
      const err = await admin.notifications.createChannel({ name: `bad ${messages.length}`, settings }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(await appCodeOf(Promise.reject(err))).toBe('INVALID_INPUT');
      messages.push((err as Error).message);
    }
    expect(messages[0]).toMatch(/webhookUrl/);
    expect(messages[1]).toMatch(/^url: must be an http\(s\) URL/);
    expect(messages[2]).toMatch(/^to\.0/);
    expect(messages[3]).toMatch(/textTemplate: invalid formatting syntax/);
    expect(messages[4]).toMatch(/^headers\.Bad Header: Invalid key/);
    expect(messages[5]).toMatch(/extra/);
    expect(await appCodeOf(triager.notifications.listChannels())).toBe('INSUFFICIENT_ROLE');
  });
});

describe('routes and deliveries', () => {
  it('keep routes in order, refuse other organisations’ channels, log and retry deliveries', async () => {
    const hook = await admin.notifications.createChannel({
      name: 'Hook',
      settings: {
        kind: 'webhook',
        config: { url: 'https://hooks.example.test/in' },
        secrets: { hmacSecret: 'a-signing-secret-of-16+' },
      },
    });
    const mail = await admin.notifications.createChannel({
      name: 'Mail',
      settings: {
        kind: 'email',
        config: {
          host: 'smtp.example.test',
          port: 587,
          security: 'starttls',
          from: 'p@example.test',
          to: ['soc@example.test'],
        },
        secrets: {},
      },
    });
    const first = await admin.notifications.createRoute({
      name: 'Payments errors',
      channelIds: [hook.id],
      filter: {
        environmentIds: [environmentId],
        priority: { op: 'gte', value: 'error' },
        fields: [{ key: 'k8s.ns.name', value: 'payments' }],
      },
      overrides: { slackChannel: '#payments' },
      throttleSeconds: 600,
    });
    const second = await admin.notifications.createRoute({
      name: 'Everything',
      channelIds: [mail.id, hook.id],
    });
    expect((await admin.notifications.listRoutes()).map((r) => r.name)).toEqual([
      'Payments errors',
      'Everything',
    ]);
    expect(first.filter.priority).toEqual({ op: 'gte', value: 'error' });
    const moved = await admin.notifications.moveRoute({ routeId: second.id, direction: 'up' });
    expect(moved.map((r) => [r.name, r.position])).toEqual([
      ['Everything', 0],
      ['Payments errors', 1],
    ]);
    // An environment of another organisation, or a channel that is not ours: not found.
    const other = await createOrganization('Other Notifications Org');
    const otherEnv = (
      await handle().prisma.environment.findFirstOrThrow({ where: { organizationId: other.id } })
    ).id;
    expect(
      await appCodeOf(
        admin.notifications.createRoute({
          name: 'x',
          channelIds: [hook.id],
          filter: { environmentIds: [otherEnv] },
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      await appCodeOf(
        admin.notifications.createRoute({ name: 'x', channelIds: ['00000000-0000-4000-8000-000000000000'] }),
      ),
    ).toBe('NOT_FOUND');

    // Deleting a channel takes it out of every route.
    await admin.notifications.deleteChannel({ channelId: mail.id });
    expect((await admin.notifications.listRoutes()).find((r) => r.id === second.id)?.channelIds).toEqual([
      hook.id,
    ]);

    // A test send is a queued delivery; a dead one can be retried (once dead again).
    const { deliveryId } = await admin.notifications.sendTest({ channelId: hook.id });
    const [queued] = await admin.notifications.listDeliveries({ limit: 5 });
    expect(queued).toMatchObject({
      id: deliveryId,
      action: 'test',
      status: 'queued',
      channelName: 'Hook',
      channelKind: 'webhook',
    });
    expect(await appCodeOf(admin.notifications.retryDelivery({ deliveryId }))).toBe('NOT_FOUND');
    await handle().prisma.notificationOutbox.update({
      where: { id: deliveryId },
      data: { status: 'dead', attempts: 10, lastError: 'HTTP 500: down' },
    });
    const [dead] = await admin.notifications.listDeliveries({ status: 'dead', limit: 5 });
    expect(dead).toMatchObject({ id: deliveryId, status: 'dead', lastError: 'HTTP 500: down', attempts: 10 });
    await admin.notifications.retryDelivery({ deliveryId });
    const [again] = await admin.notifications.listDeliveries({ limit: 5 });
    expect(again).toMatchObject({ id: deliveryId, status: 'queued', attempts: 0 });

    await admin.notifications.deleteRoute({ routeId: first.id });
    expect((await admin.notifications.listRoutes()).map((r) => r.name)).toEqual(['Everything']);
    const routeAudit = await auditText(first.id);
    expect(routeAudit.actions).toEqual(['notification_route.create', 'notification_route.delete']);
    expect((await auditText(second.id)).actions).toEqual([
      'notification_route.create',
      'notification_route.move',
    ]);
    expect((await auditText(deliveryId)).actions).toEqual(['notification_delivery.retry']);
    expect((await auditText(hook.id)).actions).toContain('notification_channel.test');
  });
});

describe('route preview', () => {
  it('shows the recent alerts a route would send, less those an earlier route takes, folded by its throttle, digest or quiet hours', async () => {
    const prisma = handle().prisma;
    const env = await prisma.environment.findUniqueOrThrow({ where: { id: environmentId } });
    const hook = await admin.notifications.createChannel({
      name: 'Preview hook',
      settings: { kind: 'webhook', config: { url: 'https://hooks.example.test/preview' }, secrets: {} },
    });
    const groups = await Promise.all(
      ['payments', 'default'].map((ns) =>
        prisma.alertGroup.create({
          data: {
            organizationId: env.organizationId,
            environmentId,
            dedupKey: `preview-${ns}`,
            rule: 'Shell in pod',
            priority: 'error',
            source: 'syscall',
            count: 3,
            firstSeenAt: new Date(),
            lastSeenAt: new Date(),
            lastOutput: 'x',
          },
        }),
      ),
    );
    const alert = (ns: string, groupId: string, priority: 'error' | 'notice', minutesAgo: number) => ({
      organizationId: env.organizationId,
      environmentId,
      rule: 'Shell in pod',
      priority,
      source: 'syscall',
      output: `Shell in pod (ns=${ns})`,
      outputFields: { 'k8s.ns.name': ns },
      tags: ['shell'],
      hostname: 'node-1',
      eventTime: new Date(Date.now() - minutesAgo * 60_000),
      createdAt: new Date(Date.now() - minutesAgo * 60_000),
      dedupKey: `preview-${ns}`,
      groupId,
    });
    await prisma.alert.createMany({
      data: [
        alert('payments', groups[0]!.id, 'error', 1),
        alert('payments', groups[0]!.id, 'error', 2),
        alert('payments', groups[0]!.id, 'error', 90),
        alert('default', groups[1]!.id, 'error', 3),
        alert('default', groups[1]!.id, 'notice', 4),
      ],
    });
    // Routes of the earlier test are there too: start from a clean list.
    for (const r of await admin.notifications.listRoutes())
      await admin.notifications.deleteRoute({ routeId: r.id });
    const settings = {
      name: 'Errors',
      channelIds: [hook.id],
      filter: { environmentIds: [environmentId], priority: { op: 'gte' as const, value: 'error' as const } },
      throttleSeconds: 3600,
    };
    const alone = await admin.notifications.previewRoute({ settings });
    expect(alone).toMatchObject({ hours: 24, matched: 4, takenEarlier: 0, truncated: false });
    expect(alone.samples.map((s) => s.priority)).toEqual(['error', 'error', 'error', 'error']);
    // One per group and hour window: the payments alerts (1, 2 and 90 minutes old) span one or two
    // windows by the clock, the default group's error one.
    const stored = await prisma.alert.findMany({
      where: { groupId: groups[0]!.id },
      select: { createdAt: true },
    });
    const paymentWindows = new Set(stored.map((a) => Math.floor(a.createdAt.getTime() / 3_600_000))).size;
    expect(alone.notifications).toBe(paymentWindows + 1);
    // A digest: one per period that had alerts (a daily one whose boundary is hours away: one).
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const daily = { mode: 'daily' as const, at: hhmm(Date.now() + 6 * 3_600_000), timeZone: 'UTC' };
    expect(
      (await admin.notifications.previewRoute({ settings: { ...settings, digest: daily } })).notifications,
    ).toBe(1);
    // Quiet hours since 3 hours ago hold them all for one digest, unless errors still go at once.
    const quietHours = {
      timeZone: 'UTC',
      start: hhmm(Date.now() - 3 * 3_600_000),
      end: hhmm(Date.now() + 3 * 3_600_000),
      days: [0, 1, 2, 3, 4, 5, 6],
      weekends: false,
      passPriority: 'critical' as const,
    };
    expect(
      (await admin.notifications.previewRoute({ settings: { ...settings, quietHours } })).notifications,
    ).toBe(1);
    expect(
      (
        await admin.notifications.previewRoute({
          settings: { ...settings, quietHours: { ...quietHours, passPriority: 'error' } },
        })
      ).notifications,
    ).toBe(paymentWindows + 1);
    // A paging channel cannot take the held digest: delivery holds one trigger per alert group
    // of the window for it (the collector's `deferred` rows), the webhook still one digest.
    const pd = await admin.notifications.createChannel({
      name: 'Preview PD',
      settings: {
        kind: 'pagerduty',
        config: { url: 'https://events.pagerduty.test/v2/enqueue' },
        secrets: { routingKey: 'R0UTING' },
      },
    });
    const paging = await admin.notifications.previewRoute({
      settings: { ...settings, channelIds: [hook.id, pd.id], quietHours },
    });
    expect(paging.notifications).toBe(1 + 2);
    expect(paging.channels).toEqual([
      { channelId: hook.id, name: 'Preview hook', kind: 'webhook', notifications: 1 },
      { channelId: pd.id, name: 'Preview PD', kind: 'pagerduty', notifications: 2 },
    ]);
    // Alerts quiet hours let through go to each channel one per group and throttle window.
    const passing = await admin.notifications.previewRoute({
      settings: {
        ...settings,
        channelIds: [hook.id, pd.id],
        quietHours: { ...quietHours, passPriority: 'error' },
      },
    });
    expect(passing.channels.map((c) => c.notifications)).toEqual([paymentWindows + 1, paymentWindows + 1]);
    expect(passing.notifications).toBe(2 * (paymentWindows + 1));
    await admin.notifications.deleteChannel({ channelId: pd.id });
    // An earlier route that stops takes the payments alerts.
    await admin.notifications.createRoute({
      name: 'Payments first',
      channelIds: [hook.id],
      filter: { fields: [{ key: 'k8s.ns.name', value: 'payments' }] },
    });
    const after = await admin.notifications.previewRoute({ settings });
    expect(after).toMatchObject({ matched: 4, takenEarlier: 3, notifications: 1 });
    expect(after.samples).toHaveLength(1);
    expect(after.samples[0]).toMatchObject({ rule: 'Shell in pod', groupId: groups[1]!.id });
    // Every alert its own notification without a throttle.
    expect(
      (await admin.notifications.previewRoute({ settings: { ...settings, throttleSeconds: 0 } }))
        .notifications,
    ).toBe(1);
  });
});

describe('incident route preview', () => {
  it('shows the new incidents with an alert the filter matches, and takes no alerts from later routes', async () => {
    const prisma = handle().prisma;
    const env = await prisma.environment.findUniqueOrThrow({ where: { id: environmentId } });
    const hook = await admin.notifications.createChannel({
      name: 'Incident preview hook',
      settings: { kind: 'webhook', config: { url: 'https://hooks.example.test/incidents' }, secrets: {} },
    });
    const at = new Date(Date.now() - 5 * 60_000);
    const alertOf = async (rule: string, priority: 'critical' | 'notice', ns: string) =>
      prisma.alert.create({
        data: {
          organizationId: env.organizationId,
          environmentId,
          rule,
          priority,
          source: 'syscall',
          output: `${rule} (ns=${ns})`,
          outputFields: { 'k8s.ns.name': ns },
          tags: ['incident-preview'],
          hostname: 'node-ip',
          eventTime: at,
          dedupKey: `incident-preview-${rule}`,
        },
        select: { id: true, eventTime: true },
      });
    const incidentOf = async (title: string, alerts: { id: bigint; eventTime: Date }[]) => {
      const i = await prisma.incident.create({
        data: {
          organizationId: env.organizationId,
          environmentId,
          title,
          priority: 'notice',
          tactics: [],
          sources: ['syscall'],
          alertCount: alerts.length,
          score: 30,
          firstSeenAt: at,
          lastSeenAt: at,
        },
      });
      await prisma.incidentAlert.createMany({
        data: alerts.map((a) => ({
          alertId: a.id,
          eventTime: a.eventTime,
          incidentId: i.id,
          addedBy: 'correlator',
          linkedBy: [],
        })),
      });
      return i.id;
    };
    // The critical alert is the incident's second: one matching alert is enough.
    const loud = await incidentOf('Loud incident', [
      await alertOf('Preview quiet start', 'notice', 'payments'),
      await alertOf('Preview critical', 'critical', 'payments'),
    ]);
    await incidentOf('Quiet incident', [await alertOf('Preview quiet only', 'notice', 'default')]);
    const settings = {
      name: 'Critical incidents',
      channelIds: [hook.id],
      filter: {
        priority: { op: 'gte' as const, value: 'critical' as const },
        tags: ['incident-preview'],
      },
      sendIncidents: true,
    };
    const preview = await admin.notifications.previewRoute({ settings });
    expect(preview).toMatchObject({
      sends: 'incidents',
      matched: 1,
      takenEarlier: 0,
      notifications: 1,
      truncated: false,
      samples: [],
    });
    expect(preview.incidents.map((i) => [i.id, i.title, i.status])).toEqual([
      [loud, 'Loud incident', 'open'],
    ]);
    const every = await admin.notifications.previewRoute({
      settings: { ...settings, filter: { tags: ['incident-preview'] } },
    });
    expect(every.incidents.map((i) => i.title).sort()).toEqual(['Loud incident', 'Quiet incident']);
    // Saved first and not continuing, the incident route still leaves the alerts to the routes after it.
    for (const r of await admin.notifications.listRoutes())
      await admin.notifications.deleteRoute({ routeId: r.id });
    await admin.notifications.createRoute(settings);
    const alerts = await admin.notifications.previewRoute({
      settings: { ...settings, name: 'Critical alerts', sendIncidents: false },
    });
    expect(alerts).toMatchObject({ sends: 'alerts', matched: 1, takenEarlier: 0, incidents: [] });
  });
});

describe('digests and quiet hours', () => {
  it('store a route’s digest schedule and quiet hours, validate them, and refuse one-alert channels', async () => {
    const hook = await admin.notifications.createChannel({
      name: 'Digest hook',
      settings: { kind: 'webhook', config: { url: 'https://hooks.example.test/digest' }, secrets: {} },
    });
    const pd = await admin.notifications.createChannel({
      name: 'On-call PD',
      settings: {
        kind: 'pagerduty',
        config: { url: 'https://events.pagerduty.test/v2/enqueue' },
        secrets: { routingKey: 'R0UTING' },
      },
    });
    const quietHours = {
      timeZone: 'Europe/Berlin',
      start: '22:00',
      end: '07:00',
      days: [1, 2, 3, 4, 5],
      weekends: true,
      passPriority: 'critical' as const,
    };
    const created = await admin.notifications.createRoute({
      name: 'Morning digest',
      channelIds: [hook.id],
      digest: { mode: 'daily', at: '08:00', timeZone: 'Europe/Berlin' },
      quietHours,
    });
    expect(created).toMatchObject({
      digest: { mode: 'daily', at: '08:00', timeZone: 'Europe/Berlin' },
      quietHours,
    });
    const listed = (await admin.notifications.listRoutes()).find((r) => r.id === created.id);
    expect(listed?.digest).toEqual({ mode: 'daily', at: '08:00', timeZone: 'Europe/Berlin' });
    expect(listed?.quietHours).toEqual(quietHours);
    // Stored as the collector reads them.
    const row = await handle().prisma.notificationRoute.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.digest).toEqual({ mode: 'daily', at: '08:00', timeZone: 'Europe/Berlin' });

    // Changed to an hourly digest without quiet hours, then back to one by one.
    const hourly = await admin.notifications.updateRoute({
      routeId: created.id,
      settings: { name: 'Morning digest', channelIds: [hook.id], digest: { mode: 'interval', minutes: 60 } },
    });
    expect(hourly).toMatchObject({ digest: { mode: 'interval', minutes: 60 }, quietHours: null });
    await admin.notifications.updateRoute({
      routeId: created.id,
      settings: { name: 'Morning digest', channelIds: [hook.id] },
    });
    const plain = await handle().prisma.notificationRoute.findUniqueOrThrow({ where: { id: created.id } });
    expect(plain.digest).toBeNull();
    expect(plain.quietHours).toBeNull();
    expect((await auditText(created.id)).actions).toEqual([
      'notification_route.create',
      'notification_route.update',
      'notification_route.update',
    ]);

    // Settings that cannot work are refused with the field at fault.
    const refused = async (settings: Record<string, unknown>) => {
      try {
        await admin.notifications.createRoute({ name: 'bad', channelIds: [hook.id], ...settings });
      } catch (error) {
        return { code: (error as { code?: string }).code, message: String((error as Error).message) };
      }
      return { code: 'no error', message: '' };
    };
    expect(await refused({ digest: { mode: 'daily', at: '08:00', timeZone: 'Mars/Olympus' } })).toMatchObject(
      {
        code: 'BAD_REQUEST',
        message: expect.stringContaining('is not a known time zone'),
      },
    );
    expect(await refused({ digest: { mode: 'interval', minutes: 2 } })).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('at least 5 minutes'),
    });
    expect(await refused({ digest: { mode: 'daily', at: '25:00', timeZone: 'UTC' } })).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('HH:MM'),
    });
    expect(await refused({ quietHours: { ...quietHours, days: [], weekends: false } })).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('choose at least one day'),
    });
    // PagerDuty takes one alert per message: no digest; quiet hours hold a trigger per group.
    const withPd = admin.notifications.createRoute({
      name: 'pd digest',
      channelIds: [hook.id, pd.id],
      digest: { mode: 'interval', minutes: 30 },
    });
    expect(await appCodeOf(withPd)).toBe('INVALID_INPUT');
    await expect(withPd).rejects.toThrow(/PagerDuty, Opsgenie and falcosidekick.*On-call PD: pagerduty/);
    const pdQuiet = await admin.notifications.createRoute({
      name: 'pd quiet',
      channelIds: [pd.id],
      quietHours,
    });
    expect(pdQuiet).toMatchObject({ digest: null, quietHours });
    // falcosidekick forwards every alert: quiet hours cannot hold them.
    const sidekick = await admin.notifications.createChannel({
      name: 'Sidekick',
      settings: { kind: 'falcosidekick', config: { url: 'https://sidekick.example.test/' }, secrets: {} },
    });
    const withSidekick = admin.notifications.createRoute({
      name: 'sidekick quiet',
      channelIds: [pd.id, sidekick.id],
      quietHours,
    });
    expect(await appCodeOf(withSidekick)).toBe('INVALID_INPUT');
    await expect(withSidekick).rejects.toThrow(/quiet hours cannot hold them.*Sidekick: falcosidekick/);
    const pdRoute = await admin.notifications.createRoute({ name: 'pd plain', channelIds: [pd.id] });
    expect(pdRoute).toMatchObject({ digest: null, quietHours: null });

    // The delivery log filters by kind (alerts or digests) and route, and names the route.
    const orgId = (await handle().prisma.environment.findUniqueOrThrow({ where: { id: environmentId } }))
      .organizationId;
    const owed = (routeId: string, channelId: string, action: string) =>
      handle().prisma.notificationOutbox.create({
        data: {
          organizationId: orgId,
          channelId,
          routeId,
          action,
          dedupKey: `${action}:${crypto.randomUUID()}`,
        },
        select: { id: true },
      });
    const digestRow = await owed(created.id, hook.id, 'digest');
    const heldRow = await owed(created.id, hook.id, 'held');
    const deferredRow = await owed(pdQuiet.id, pd.id, 'deferred');
    const triggerRow = await owed(pdRoute.id, pd.id, 'trigger');
    const ids = async (input: Parameters<typeof admin.notifications.listDeliveries>[0]) =>
      (await admin.notifications.listDeliveries(input)).map((d) => d.id).sort();
    expect(await ids({ kind: 'digest', limit: 50 })).toEqual([digestRow.id, heldRow.id].sort());
    expect(await ids({ kind: 'alert', limit: 50 })).toEqual(
      expect.arrayContaining([deferredRow.id, triggerRow.id].sort()),
    );
    expect(await ids({ kind: 'alert', limit: 50 })).not.toContain(digestRow.id);
    expect(await ids({ kind: 'alert', routeId: pdQuiet.id, limit: 50 })).toEqual([deferredRow.id]);
    expect(await ids({ kind: 'digest', routeId: pdQuiet.id, limit: 50 })).toEqual([]);
    expect(await ids({ routeId: created.id, limit: 50 })).toEqual([digestRow.id, heldRow.id].sort());
    const [named] = await admin.notifications.listDeliveries({ routeId: pdQuiet.id, limit: 5 });
    expect(named).toMatchObject({ action: 'deferred', routeId: pdQuiet.id, routeName: 'pd quiet' });
    await expect(
      admin.notifications.listDeliveries({ routeId: 'not-a-uuid', limit: 5 }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    // A triager may not change routes.
    expect(
      await appCodeOf(
        triager.notifications.createRoute({
          name: 'triager digest',
          channelIds: [hook.id],
          digest: { mode: 'interval', minutes: 30 },
        }),
      ),
    ).toBe('INSUFFICIENT_ROLE');
  });
});

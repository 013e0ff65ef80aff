import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import { DbError } from '../errors.js';
import type { NotificationChannelKind, NotificationStatus } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import { decryptSourceSecrets, encryptSourceSecrets, mergeSecrets } from './sources-secrets.js';

/**
 * The console's side of notifications: channels (settings, secrets encrypted under
 * PEREGRINE_SECRET_KEY like cloud-source secrets and never read back), ordered routes, and the
 * outbox as a delivery log (recent deliveries, dead letters, retry, test sends). Every change is
 * audited in its transaction; audit entries name secrets, never their values.
 */

/** A channel as the console shows it: settings and the names of its secrets, no secret values. */
export interface NotificationChannelDto {
  id: string;
  kind: NotificationChannelKind;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Names of the secrets set; null when they cannot be read with this key. */
  secretNames: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A route as stored. */
export interface NotificationRouteDto {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  filter: Record<string, unknown>;
  channelIds: string[];
  overrides: Record<string, unknown>;
  throttleSeconds: number;
  continue: boolean;
  /** Digest schedule (protocol `DigestScheduleSchema`); null: alerts are sent one by one. */
  digest: Record<string, unknown> | null;
  /** Quiet hours (protocol `QuietHoursSchema`); null: none. */
  quietHours: Record<string, unknown> | null;
  /** Sends incidents (new, and escalated a band of 10) instead of alerts. */
  sendIncidents: boolean;
  updatedAt: Date;
}

/** One outbox row as the delivery log lists it. */
export interface NotificationDeliveryDto {
  id: string;
  channelId: string;
  channelName: string | null;
  channelKind: NotificationChannelKind | null;
  action: string;
  status: NotificationStatus;
  attempts: number;
  count: number;
  groupId: string | null;
  rule: string | null;
  /** The route that owed it (null: a test, or the route was deleted). */
  routeId: string | null;
  routeName: string | null;
  lastError: string | null;
  lastStatus: number | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

/**
 * What a delivery is about: one alert group (`trigger`, a trigger held through quiet hours
 * `deferred`, `resolve`) or a digest (a route's period `digest`, or quiet hours' `held`).
 */
export const DELIVERY_ACTIONS = {
  alert: ['trigger', 'deferred', 'resolve'],
  digest: ['digest', 'held'],
} as const;
export type DeliveryKind = keyof typeof DELIVERY_ACTIONS;

const CHANNEL_SELECT = {
  id: true,
  kind: true,
  name: true,
  enabled: true,
  config: true,
  secretsEncrypted: true,
  createdAt: true,
  updatedAt: true,
} as const;

function secretNames(blob: Uint8Array | null, key: Buffer | null): string[] | null {
  if (!blob || blob.length === 0) return [];
  if (!key) return null;
  try {
    return Object.keys(decryptSourceSecrets(key, blob)).sort();
  } catch {
    return null;
  }
}

function toChannel(
  row: {
    id: string;
    kind: NotificationChannelKind;
    name: string;
    enabled: boolean;
    config: unknown;
    secretsEncrypted: Uint8Array | null;
    createdAt: Date;
    updatedAt: Date;
  },
  key: Buffer | null,
): NotificationChannelDto {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled,
    config: (row.config ?? {}) as Record<string, unknown>,
    secretNames: secretNames(row.secretsEncrypted, key),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const channelAudit = (c: NotificationChannelDto) => ({
  kind: c.kind,
  name: c.name,
  enabled: c.enabled,
  config: c.config,
  secrets: c.secretNames ?? ['(unreadable)'],
});

const conflict = (err: unknown, name: string | undefined): never => {
  if ((err as { code?: string }).code === 'P2002')
    throw new DbError('CONFLICT', `a channel named "${name}" already exists`);
  throw err;
};

/** The organisation's channels, by name. */
export async function listNotificationChannels(
  db: Db,
  organizationId: string,
  secretKey: Buffer | null,
): Promise<NotificationChannelDto[]> {
  const rows = await db.prisma.notificationChannel.findMany({
    where: { organizationId },
    orderBy: { name: 'asc' },
    select: CHANNEL_SELECT,
  });
  return rows.map((r) => toChannel(r, secretKey));
}

/** Creates a channel; `secrets` (empty values left out) are encrypted under `secretKey`. */
export async function createNotificationChannel(
  db: Db,
  input: {
    organizationId: string;
    kind: NotificationChannelKind;
    name: string;
    enabled?: boolean;
    config: Record<string, unknown>;
    secrets: Record<string, string>;
    secretKey: Buffer | null;
  },
  actor: Actor,
): Promise<NotificationChannelDto> {
  const secrets = Object.fromEntries(Object.entries(input.secrets).filter(([, v]) => v !== ''));
  if (Object.keys(secrets).length > 0 && !input.secretKey)
    throw new DbError('INVALID', 'PEREGRINE_SECRET_KEY is not set: channel secrets cannot be stored');
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.notificationChannel.create({
        data: {
          organizationId: input.organizationId,
          kind: input.kind,
          name: input.name,
          enabled: input.enabled ?? true,
          config: input.config as object,
          secretsEncrypted:
            Object.keys(secrets).length > 0 && input.secretKey
              ? encryptSourceSecrets(input.secretKey, secrets)
              : null,
        },
        select: CHANNEL_SELECT,
      });
      const dto = toChannel(row, input.secretKey);
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: 'notification_channel.create',
        targetType: 'notification_channel',
        targetId: row.id,
        after: channelAudit(dto),
      });
      return dto;
    });
  } catch (err) {
    return conflict(err, input.name);
  }
}

/**
 * Changes a channel. `secrets` is merged into the stored ones: a string sets a secret, null
 * removes it, an absent name keeps what is stored (the form never sees a secret to keep it).
 */
export async function updateNotificationChannel(
  db: Db,
  input: {
    organizationId: string;
    channelId: string;
    name?: string | undefined;
    enabled?: boolean | undefined;
    config?: Record<string, unknown> | undefined;
    secrets?: Record<string, string | null> | undefined;
    secretKey: Buffer | null;
  },
  actor: Actor,
): Promise<NotificationChannelDto> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.notificationChannel.findFirst({
        where: { id: input.channelId, organizationId: input.organizationId },
        select: CHANNEL_SELECT,
      });
      if (!row) throw new DbError('NOT_FOUND', 'notification channel not found');
      const before = toChannel(row, input.secretKey);
      const changes = Object.entries(input.secrets ?? {}).filter(([, v]) => v !== '');
      let secretsEncrypted: Uint8Array<ArrayBuffer> | null | undefined;
      if (changes.length > 0) {
        secretsEncrypted = mergeSecrets(input.secretKey, row.secretsEncrypted, changes, 'channel secrets');
      }
      const updated = await tx.notificationChannel.update({
        where: { id: row.id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          ...(input.config !== undefined ? { config: input.config as object } : {}),
          ...(secretsEncrypted !== undefined ? { secretsEncrypted } : {}),
        },
        select: CHANNEL_SELECT,
      });
      const after = toChannel(updated, input.secretKey);
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: 'notification_channel.update',
        targetType: 'notification_channel',
        targetId: row.id,
        before: channelAudit(before),
        after: {
          ...channelAudit(after),
          ...(changes.length > 0 ? { secretsChanged: changes.map(([n]) => n).sort() } : {}),
        },
      });
      return after;
    });
  } catch (err) {
    return conflict(err, input.name);
  }
}

/** Deletes a channel, its owed notifications, and its place in every route. */
export async function deleteNotificationChannel(
  db: Db,
  input: { organizationId: string; channelId: string; secretKey: Buffer | null },
  actor: Actor,
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const row = await tx.notificationChannel.findFirst({
      where: { id: input.channelId, organizationId: input.organizationId },
      select: CHANNEL_SELECT,
    });
    if (!row) throw new DbError('NOT_FOUND', 'notification channel not found');
    await tx.notificationChannel.delete({ where: { id: row.id } });
    await tx.notificationOutbox.deleteMany({ where: { channelId: row.id } });
    await tx.$executeRaw`UPDATE notification_routes SET "channelIds" = array_remove("channelIds", ${row.id}::uuid),
      "updatedAt" = now() WHERE "organizationId" = ${input.organizationId}::uuid AND ${row.id}::uuid = ANY("channelIds")`;
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'notification_channel.delete',
      targetType: 'notification_channel',
      targetId: row.id,
      before: channelAudit(toChannel(row, input.secretKey)),
    });
  });
}

const ROUTE_SELECT = {
  id: true,
  name: true,
  position: true,
  enabled: true,
  filter: true,
  channelIds: true,
  overrides: true,
  throttleSeconds: true,
  continue: true,
  digest: true,
  quietHours: true,
  sendIncidents: true,
  updatedAt: true,
} as const;

function toRoute(r: {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  filter: unknown;
  channelIds: string[];
  overrides: unknown;
  throttleSeconds: number;
  continue: boolean;
  digest: unknown;
  quietHours: unknown;
  sendIncidents: boolean;
  updatedAt: Date;
}): NotificationRouteDto {
  return {
    ...r,
    filter: (r.filter ?? {}) as Record<string, unknown>,
    overrides: (r.overrides ?? {}) as Record<string, unknown>,
    digest: (r.digest ?? null) as Record<string, unknown> | null,
    quietHours: (r.quietHours ?? null) as Record<string, unknown> | null,
  };
}

/** The organisation's routes in the order they are matched. */
export async function listNotificationRoutes(
  db: Db,
  organizationId: string,
): Promise<NotificationRouteDto[]> {
  const rows = await db.prisma.notificationRoute.findMany({
    where: { organizationId },
    orderBy: [{ position: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
    select: ROUTE_SELECT,
  });
  return rows.map(toRoute);
}

/** A route's editable settings. */
export interface NotificationRouteInput {
  name: string;
  enabled: boolean;
  filter: Record<string, unknown>;
  channelIds: string[];
  overrides: Record<string, unknown>;
  throttleSeconds: number;
  continue: boolean;
  /** Validated by the caller (protocol schemas); null or absent: unset. */
  digest?: Record<string, unknown> | null | undefined;
  quietHours?: Record<string, unknown> | null | undefined;
  /** Sends incidents (new, escalated) instead of alerts; absent: false on create, unchanged on update. */
  sendIncidents?: boolean | undefined;
}

/** The channel kinds a route with a digest, or with quiet hours, may use (with the refusals' wording). */
export interface ScheduleKinds {
  digest: { kinds: readonly string[]; refusal: string };
  quietHours: { kinds: readonly string[]; refusal: string };
}

/**
 * The route's channels must be the organisation's own; a route with a digest or quiet hours
 * may only use the kinds that can carry them (`scheduleKinds`).
 */
async function checkChannels(
  tx: Pick<Db['prisma'], 'notificationChannel'>,
  organizationId: string,
  input: Pick<NotificationRouteInput, 'channelIds' | 'digest' | 'quietHours'>,
  scheduleKinds?: ScheduleKinds,
): Promise<void> {
  const rows = await tx.notificationChannel.findMany({
    where: { organizationId, id: { in: input.channelIds } },
    select: { kind: true, name: true },
  });
  if (rows.length !== new Set(input.channelIds).size)
    throw new DbError('NOT_FOUND', 'a channel of the route does not exist');
  const rules = [
    ...(scheduleKinds && input.digest ? [scheduleKinds.digest] : []),
    ...(scheduleKinds && input.quietHours ? [scheduleKinds.quietHours] : []),
  ];
  for (const rule of rules) {
    const refused = rows.filter((r) => !rule.kinds.includes(r.kind));
    if (refused.length > 0)
      throw new DbError(
        'INVALID',
        `${rule.refusal} (${refused.map((r) => `${r.name}: ${r.kind}`).join(', ')})`,
      );
  }
}

/** Nullable JSON as Prisma writes it (SQL NULL for null). */
const jsonOrNull = (v: Record<string, unknown> | null | undefined) => (v ? (v as object) : Prisma.DbNull);

/** Adds a route at the end of the list. */
export async function createNotificationRoute(
  db: Db,
  input: { organizationId: string } & NotificationRouteInput,
  actor: Actor,
  scheduleKinds?: ScheduleKinds,
): Promise<NotificationRouteDto> {
  return db.prisma.$transaction(async (tx) => {
    await checkChannels(tx, input.organizationId, input, scheduleKinds);
    const last = await tx.notificationRoute.aggregate({
      where: { organizationId: input.organizationId },
      _max: { position: true },
    });
    const { organizationId, ...data } = input;
    const row = await tx.notificationRoute.create({
      data: {
        organizationId,
        ...data,
        filter: data.filter as object,
        overrides: data.overrides as object,
        digest: jsonOrNull(data.digest),
        quietHours: jsonOrNull(data.quietHours),
        position: (last._max.position ?? -1) + 1,
      },
      select: ROUTE_SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId,
      action: 'notification_route.create',
      targetType: 'notification_route',
      targetId: row.id,
      after: toRoute(row),
    });
    return toRoute(row);
  });
}

/** Changes a route's settings (its position is changed with `moveNotificationRoute`). */
export async function updateNotificationRoute(
  db: Db,
  input: { organizationId: string; routeId: string } & NotificationRouteInput,
  actor: Actor,
  scheduleKinds?: ScheduleKinds,
): Promise<NotificationRouteDto> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.notificationRoute.findFirst({
      where: { id: input.routeId, organizationId: input.organizationId },
      select: ROUTE_SELECT,
    });
    if (!row) throw new DbError('NOT_FOUND', 'notification route not found');
    await checkChannels(tx, input.organizationId, input, scheduleKinds);
    const { organizationId, routeId, ...data } = input;
    const updated = await tx.notificationRoute.update({
      where: { id: routeId },
      data: {
        ...data,
        filter: data.filter as object,
        overrides: data.overrides as object,
        digest: jsonOrNull(data.digest),
        quietHours: jsonOrNull(data.quietHours),
      },
      select: ROUTE_SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId,
      action: 'notification_route.update',
      targetType: 'notification_route',
      targetId: routeId,
      before: toRoute(row),
      after: toRoute(updated),
    });
    return toRoute(updated);
  });
}

/** Moves a route one place up or down in the matching order. */
export async function moveNotificationRoute(
  db: Db,
  input: { organizationId: string; routeId: string; direction: 'up' | 'down' },
  actor: Actor,
): Promise<NotificationRouteDto[]> {
  return db.prisma.$transaction(async (tx) => {
    const routes = await tx.notificationRoute.findMany({
      where: { organizationId: input.organizationId },
      orderBy: [{ position: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
      select: { id: true, name: true },
    });
    const i = routes.findIndex((r) => r.id === input.routeId);
    if (i < 0) throw new DbError('NOT_FOUND', 'notification route not found');
    const j = input.direction === 'up' ? i - 1 : i + 1;
    if (j >= 0 && j < routes.length) {
      const [moved] = routes.splice(i, 1);
      routes.splice(j, 0, moved!);
    }
    // Renumbered from 0: positions stay dense whatever edits came before.
    for (const [position, r] of routes.entries())
      await tx.notificationRoute.update({ where: { id: r.id }, data: { position } });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'notification_route.move',
      targetType: 'notification_route',
      targetId: input.routeId,
      after: { order: routes.map((r) => r.name) },
    });
    const rows = await tx.notificationRoute.findMany({
      where: { organizationId: input.organizationId },
      orderBy: [{ position: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
      select: ROUTE_SELECT,
    });
    return rows.map(toRoute);
  });
}

/** Deletes a route (notifications it already owed are still delivered). */
export async function deleteNotificationRoute(
  db: Db,
  input: { organizationId: string; routeId: string },
  actor: Actor,
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const row = await tx.notificationRoute.findFirst({
      where: { id: input.routeId, organizationId: input.organizationId },
      select: ROUTE_SELECT,
    });
    if (!row) throw new DbError('NOT_FOUND', 'notification route not found');
    await tx.notificationRoute.delete({ where: { id: row.id } });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'notification_route.delete',
      targetType: 'notification_route',
      targetId: row.id,
      before: toRoute(row),
    });
  });
}

/** Recent deliveries of the organisation, newest first (optionally of one status or channel). */
export async function listNotificationDeliveries(
  db: Db,
  organizationId: string,
  options: {
    status?: NotificationStatus | undefined;
    channelId?: string | undefined;
    /** Only deliveries about one alert group, or only digests (`DELIVERY_ACTIONS`). */
    kind?: DeliveryKind | undefined;
    routeId?: string | undefined;
    limit?: number;
  } = {},
): Promise<NotificationDeliveryDto[]> {
  const actions = options.kind ? [...DELIVERY_ACTIONS[options.kind]] : null;
  const rows = await db.prisma.$queryRaw<NotificationDeliveryDto[]>`
    SELECT o.id::text, o."channelId"::text, c.name AS "channelName", c.kind AS "channelKind", o.action,
           o.status, o.attempts, o.count, o."groupId"::text, a.rule, o."routeId"::text, r.name AS "routeName",
           o."lastError", o."lastStatus", o."nextAttemptAt", o."createdAt", o."deliveredAt"
    FROM notification_outbox o
    LEFT JOIN notification_channels c ON c.id = o."channelId"
    LEFT JOIN notification_routes r ON r.id = o."routeId"
    LEFT JOIN alerts a ON a.id = o."alertId"
    WHERE o."organizationId" = ${organizationId}::uuid
      AND (${options.status ?? null}::text IS NULL OR o.status::text = ${options.status ?? null}::text)
      AND (${options.channelId ?? null}::uuid IS NULL OR o."channelId" = ${options.channelId ?? null}::uuid)
      AND (${actions}::text[] IS NULL OR o.action = ANY(${actions}::text[]))
      AND (${options.routeId ?? null}::uuid IS NULL OR o."routeId" = ${options.routeId ?? null}::uuid)
    ORDER BY o."createdAt" DESC, o.id DESC
    LIMIT ${Math.min(Math.max(options.limit ?? 50, 1), 500)}`;
  return rows;
}

/** Queues a dead notification again with a fresh set of attempts. */
export async function retryNotificationDelivery(
  db: Db,
  input: { organizationId: string; deliveryId: string },
  actor: Actor,
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const n = await tx.notificationOutbox.updateMany({
      where: { id: input.deliveryId, organizationId: input.organizationId, status: 'dead' },
      data: { status: 'queued', attempts: 0, nextAttemptAt: new Date(), updatedAt: new Date() },
    });
    if (n.count === 0) throw new DbError('NOT_FOUND', 'no dead notification with this id');
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'notification_delivery.retry',
      targetType: 'notification_delivery',
      targetId: input.deliveryId,
    });
  });
}

/** Owes a test notification to a channel (a collector sends it like any other); returns its id. */
export async function queueTestNotification(
  db: Db,
  input: { organizationId: string; channelId: string },
  actor: Actor,
): Promise<string> {
  return db.prisma.$transaction(async (tx) => {
    const channel = await tx.notificationChannel.findFirst({
      where: { id: input.channelId, organizationId: input.organizationId },
      select: { id: true, name: true },
    });
    if (!channel) throw new DbError('NOT_FOUND', 'notification channel not found');
    const row = await tx.notificationOutbox.create({
      data: {
        organizationId: input.organizationId,
        channelId: channel.id,
        action: 'test',
        dedupKey: `test:${crypto.randomUUID()}`,
      },
      select: { id: true },
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'notification_channel.test',
      targetType: 'notification_channel',
      targetId: channel.id,
      after: { name: channel.name, deliveryId: row.id },
    });
    return row.id;
  });
}

/**
 * Owes a `resolve` to every PagerDuty and Opsgenie channel that was sent a trigger for these
 * alert groups (run in the transaction that resolves them). Once per channel and group: a group
 * resolved, reopened and resolved again within a second is resolved once. A trigger still held
 * by quiet hours (`deferred`, queued) gets its resolve due just after it, so the incident the
 * held trigger opens when the window ends is closed rather than left open.
 */
export async function queueResolveNotifications(
  tx: Pick<Db['prisma'], '$executeRaw'>,
  organizationId: string,
  groupIds: readonly string[],
): Promise<number> {
  if (groupIds.length === 0) return 0;
  return tx.$executeRaw`
    INSERT INTO notification_outbox ("organizationId", "environmentId", "channelId", "routeId", "groupId",
                                     "alertId", action, "dedupKey", count, "nextAttemptAt")
    SELECT DISTINCT ON (o."channelId", o."groupId") o."organizationId", o."environmentId", o."channelId",
           o."routeId", o."groupId", o."alertId", 'resolve',
           'r:' || o."groupId" || ':' || floor(extract(epoch FROM now())), 1,
           CASE WHEN o.action = 'deferred' AND o.status IN ('queued', 'sending')
                THEN greatest(now(), o."nextAttemptAt" + interval '5 seconds') ELSE now() END
    FROM notification_outbox o
    JOIN notification_channels c ON c.id = o."channelId" AND c.kind IN ('pagerduty', 'opsgenie')
    WHERE o."organizationId" = ${organizationId}::uuid AND o.action IN ('trigger', 'deferred')
      AND o."groupId" = ANY(${[...groupIds]}::uuid[])
    ORDER BY o."channelId", o."groupId", o."createdAt" DESC
    ON CONFLICT ("channelId", "dedupKey") DO NOTHING`;
}

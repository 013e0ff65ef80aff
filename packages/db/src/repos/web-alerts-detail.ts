import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';
import { parseJsonExact } from './json-exact.js';
import { type AlertListRow, getAlertsByIds } from './web-alerts-list.js';

export interface AlertNoteDto {
  id: string;
  body: string;
  authorId: string | null;
  /** The API key that wrote it (automation), when no user did. */
  authorApiKeyId: string | null;
  /** The user's or the API key's name; null once the user is deleted. */
  authorName: string | null;
  createdAt: Date;
}

export interface AlertActivityDto {
  id: string;
  action: string;
  actorId: string | null;
  /** The API key that acted (automation), when no user did. */
  actorApiKeyId: string | null;
  /** The user's or the API key's name; null once the user is deleted. */
  actorName: string | null;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

export interface AlertGroupSummary {
  id: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** The stored raw event an alert came from (cloud sources keep theirs for backtests and tests). */
export interface AlertRawEvent {
  id: string;
  source: string;
  eventTime: Date;
  /** The event as received, 64-bit integers kept exact as decimal strings. */
  payload: unknown;
}

export interface AlertDetail extends AlertListRow {
  environmentName: string;
  environmentDisplayName: string;
  sensorId: string | null;
  cloudSourceId: string | null;
  dedupKey: string;
  group: AlertGroupSummary | null;
  /** The raw event behind the alert, when its source stores raw events and it is still kept. */
  rawEvent: AlertRawEvent | null;
  notes: AlertNoteDto[];
  activities: AlertActivityDto[];
}

/** One alert with its group, notes and triage history; null when it is not in the organisation. */
export async function getAlertDetail(
  db: Db,
  organizationId: string,
  id: string,
): Promise<AlertDetail | null> {
  const [row] = await getAlertsByIds(db, organizationId, [id]);
  if (!row) return null;
  const alertId = BigInt(id);
  const [extra, group, notes, activities, rawEvent] = await Promise.all([
    // By id alone (unique from its sequence); the primary key also holds the partition's eventTime.
    db.prisma.alert.findFirstOrThrow({
      where: { id: alertId },
      select: {
        sensorId: true,
        cloudSourceId: true,
        dedupKey: true,
        environment: { select: { name: true, displayName: true } },
      },
    }),
    row.groupId
      ? db.prisma.alertGroup.findUnique({
          where: { id: row.groupId },
          select: { id: true, count: true, firstSeenAt: true, lastSeenAt: true },
        })
      : null,
    db.prisma.alertNote.findMany({
      where: { alertId },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        body: true,
        authorId: true,
        authorApiKeyId: true,
        createdAt: true,
        author: { select: { name: true } },
        authorApiKey: { select: { name: true } },
      },
    }),
    db.prisma.alertActivity.findMany({
      where: { alertId },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        action: true,
        actorId: true,
        actorApiKeyId: true,
        before: true,
        after: true,
        createdAt: true,
        actor: { select: { name: true } },
        actorApiKey: { select: { name: true } },
      },
    }),
    getAlertRawEvent(db, alertId),
  ]);
  return {
    ...row,
    environmentName: extra.environment.name,
    environmentDisplayName: extra.environment.displayName,
    sensorId: extra.sensorId,
    cloudSourceId: extra.cloudSourceId,
    dedupKey: extra.dedupKey,
    group: group ? { ...group, count: Number(group.count) } : null,
    rawEvent,
    notes: notes.map((n) => ({
      id: n.id,
      body: n.body,
      authorId: n.authorId,
      authorApiKeyId: n.authorApiKeyId,
      authorName: n.author?.name ?? n.authorApiKey?.name ?? null,
      createdAt: n.createdAt,
    })),
    activities: activities.map((a) => ({
      id: a.id,
      action: a.action,
      actorId: a.actorId,
      actorApiKeyId: a.actorApiKeyId,
      actorName: a.actor?.name ?? a.actorApiKey?.name ?? null,
      before: a.before,
      after: a.after,
      createdAt: a.createdAt,
    })),
  };
}

/**
 * The raw event stored with the same ingest key in the alert's environment: the event the rule
 * fired on (the collector stores both in one statement). Sensor and Falco alerts have none.
 */
async function getAlertRawEvent(db: Db, alertId: bigint): Promise<AlertRawEvent | null> {
  const [row] = await db.prisma.$queryRaw<{ id: string; source: string; eventTime: Date; payload: string }[]>`
    SELECT r.id::text AS id, r.source, r."eventTime", r.payload::text AS payload
    FROM alerts a
    JOIN raw_events r ON r."environmentId" = a."environmentId" AND r."ingestKey" = a."ingestKey"
    WHERE a.id = ${alertId}
    LIMIT 1`;
  return row ? { ...row, payload: parseJsonExact(row.payload) } : null;
}

export interface RelatedAlert {
  id: string;
  rule: string;
  priority: Priority;
  hostname: string | null;
  output: string;
  eventTime: Date;
  status: AlertStatus;
}

export interface RelatedAlerts {
  sameGroup: RelatedAlert[];
  sameHost: RelatedAlert[];
  sameRule: RelatedAlert[];
}

/**
 * Alerts near this one: the newest of its group, and those on the same host or of the same rule
 * within `windowMinutes` of it. Each is a short index range scan.
 */
export async function getRelatedAlerts(
  db: Db,
  organizationId: string,
  id: string,
  options: { limit?: number; windowMinutes?: number } = {},
): Promise<RelatedAlerts | null> {
  const limit = options.limit ?? 10;
  const window = `${options.windowMinutes ?? 60} minutes`;
  const base = await db.prisma.alert.findFirst({
    where: { id: BigInt(id), organizationId },
    select: { environmentId: true, groupId: true, hostname: true, rule: true, eventTime: true },
  });
  if (!base) return null;
  const columns = Prisma.sql`a.id::text AS id, a.rule, a.priority::text AS priority, a.hostname, a.output,
    a."eventTime", a.status::text AS status`;
  const near = Prisma.sql`a."environmentId" = ${base.environmentId}::uuid AND a.id <> ${BigInt(id)}
    AND a."eventTime" BETWEEN ${base.eventTime}::timestamptz - ${window}::interval
                          AND ${base.eventTime}::timestamptz + ${window}::interval`;
  const [sameGroup, sameHost, sameRule] = await Promise.all([
    base.groupId
      ? db.prisma.$queryRaw<RelatedAlert[]>`
          SELECT ${columns} FROM alerts a
          WHERE a."groupId" = ${base.groupId}::uuid AND a.id <> ${BigInt(id)}
          ORDER BY a."eventTime" DESC, a.id DESC LIMIT ${limit}`
      : Promise.resolve([]),
    base.hostname
      ? db.prisma.$queryRaw<RelatedAlert[]>`
          SELECT ${columns} FROM alerts a WHERE ${near} AND a.hostname = ${base.hostname}
          ORDER BY a."eventTime" DESC, a.id DESC LIMIT ${limit}`
      : Promise.resolve([]),
    db.prisma.$queryRaw<RelatedAlert[]>`
      SELECT ${columns} FROM alerts a WHERE ${near} AND a.rule = ${base.rule}
      ORDER BY a."eventTime" DESC, a.id DESC LIMIT ${limit}`,
  ]);
  return { sameGroup, sameHost, sameRule };
}

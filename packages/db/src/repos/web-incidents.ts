import type { Db, Prisma } from '../client.js';
import type { IncidentStatus, Priority } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import type { IncidentScoring } from './incident-correlator.js';
import { type AlertFilter, alertWhere } from './web-alerts-filter.js';

type Tx = Parameters<Parameters<Prisma['$transaction']>[0]>[0];

/** An incident as the list shows it. */
export interface IncidentSummaryDto {
  id: string;
  environmentId: string;
  environmentName: string;
  title: string;
  status: IncidentStatus;
  score: number;
  priority: Priority;
  tactics: string[];
  sources: string[];
  alertCount: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  assignee: { id: string; name: string } | null;
  /** The entities its alerts name most (linking kinds only), at most six. */
  entities: { kind: string; value: string; label: string | null }[];
}

/** One entity of an incident. */
export interface IncidentEntityDto {
  id: string;
  kind: string;
  value: string;
  label: string | null;
  /** Alerts of the incident naming it. */
  alerts: number;
}

/** One item of an incident's timeline: an alert, or a raw event naming its entities. */
export interface IncidentTimelineItemDto {
  ref: 'alert' | 'raw';
  id: string;
  source: string;
  eventTime: Date;
  /** Ids among the incident's entities it names. */
  entityIds: string[];
  alert?: { rule: string; priority: Priority; output: string; hostname: string | null; tags: string[] };
  /** A raw event's name (`eventName`, `eventType`, verb and resource, ...) and its payload. */
  raw?: { summary: string; payload: unknown };
}

export interface IncidentActivityDto {
  id: string;
  kind: string;
  detail: unknown;
  actor: string | null;
  createdAt: Date;
}

export interface IncidentDetailDto extends IncidentSummaryDto {
  resolution: string | null;
  mergedIntoId: string | null;
  entities: IncidentEntityDto[];
  timeline: IncidentTimelineItemDto[];
  activities: IncidentActivityDto[];
}

/** Raw events this long before the first and after the last alert are read for the timeline. */
const RAW_MARGIN_MS = 60 * 60_000;

/** The incident's environment (for permission checks); null when it is not the organisation's. */
export async function incidentEnvironment(
  db: Db,
  organizationId: string,
  id: string,
): Promise<{ environmentId: string } | null> {
  return db.prisma.incident.findFirst({ where: { id, organizationId }, select: { environmentId: true } });
}

/** Incidents, most recently active first (`ids`: exactly those; `listIncidentPage` pages). */
export async function listIncidents(
  db: Db,
  input: {
    organizationId: string;
    environmentId?: string | undefined;
    status?: IncidentStatus[] | undefined;
    /** Exactly these incidents (merged ones included). */
    ids?: string[] | undefined;
    limit: number;
    linkKinds: readonly string[];
  },
): Promise<IncidentSummaryDto[]> {
  const rows = await db.prisma.incident.findMany({
    where: {
      organizationId: input.organizationId,
      ...(input.ids ? { id: { in: input.ids } } : { mergedIntoId: null }),
      ...(input.environmentId ? { environmentId: input.environmentId } : {}),
      ...(input.status?.length ? { status: { in: input.status } } : {}),
    },
    orderBy: [{ lastSeenAt: 'desc' }, { id: 'desc' }],
    take: input.limit,
    select: {
      id: true,
      environmentId: true,
      environment: { select: { name: true } },
      title: true,
      status: true,
      score: true,
      priority: true,
      tactics: true,
      sources: true,
      alertCount: true,
      firstSeenAt: true,
      lastSeenAt: true,
      assignee: { select: { id: true, name: true } },
    },
  });
  const ids = rows.map((r) => r.id);
  const entities =
    ids.length === 0
      ? []
      : await db.prisma.$queryRawUnsafe<
          { incidentId: string; kind: string; value: string; label: string | null; n: number }[]
        >(
          `SELECT x."incidentId", x.kind, x.value, x.label, x.n FROM (
             SELECT ia."incidentId"::text AS "incidentId", e.kind, e.value, e.label, count(*)::int AS n,
                    row_number() OVER (PARTITION BY ia."incidentId" ORDER BY count(*) DESC, e.kind, e.value) AS k
             FROM incident_alerts ia
             JOIN entity_occurrences o ON o."alertId" = ia."alertId"
             JOIN entities e ON e.id = o."entityId"
             WHERE ia."incidentId" = ANY($1::uuid[]) AND e.kind = ANY($2::text[])
             GROUP BY ia."incidentId", e.kind, e.value, e.label) x
           WHERE x.k <= 6 ORDER BY x.n DESC`,
          ids,
          [...input.linkKinds],
        );
  return rows.map(({ environment, ...r }) => ({
    ...r,
    environmentName: environment.name,
    entities: entities
      .filter((e) => e.incidentId === r.id)
      .map((e) => ({ kind: e.kind, value: e.value, label: e.label })),
  }));
}

/**
 * Keyset cursor of the incident list: the last row's `lastSeenAt` as Postgres prints it
 * (microseconds, which a JS Date would truncate, and so skip or repeat rows) and its id. Opaque to
 * clients.
 */
function encodeIncidentCursor(lastSeenText: string, id: string): string {
  return Buffer.from(JSON.stringify([lastSeenText, id])).toString('base64url');
}

/** The cursor's parts, or null when `encodeIncidentCursor` did not make it. */
export function decodeIncidentCursor(cursor: string): { lastSeenAt: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(value[0]) &&
      typeof value[1] === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value[1])
    ) {
      return { lastSeenAt: value[0], id: value[1] };
    }
  } catch {
    // fall through: not one of ours
  }
  return null;
}

/**
 * SQL: incident `i` has at least one alert in [from, to) carrying one of `tags` (placeholders of
 * the statement). An incident whose alerts all lie in the range is decided by its summary
 * (`alertTags`), one with alerts on both sides of an edge by its alerts in the range.
 */
const HAS_TAGS_IN_RANGE = (from: string, to: string, tags: string) => `
  i."alertsTo" >= ${from} AND i."alertsFrom" < ${to}
  AND CASE WHEN i."alertsFrom" >= ${from} AND i."alertsTo" < ${to} THEN i."alertTags" && ${tags}::text[]
           ELSE EXISTS (SELECT 1 FROM incident_alerts ia
                        WHERE ia."incidentId" = i.id AND ia."eventTime" >= ${from} AND ia."eventTime" < ${to}
                          AND ia.tags && ${tags}::text[])
      END`;

/**
 * A page of incidents, most recently active first (merged ones left out), with the filters kept
 * across pages: keyset on (`lastSeenAt`, id) at the database's own precision. `nextCursor` is null
 * on the last page.
 */
export async function listIncidentPage(
  db: Db,
  input: {
    organizationId: string;
    environmentId?: string | undefined;
    status?: IncidentStatus[] | undefined;
    /**
     * Only incidents with at least one alert in [from, to) carrying one of `tags` (the ATT&CK
     * filter: the tags that reach its technique or tactic, `listIncidentTagsInRange`).
     */
    withTags?: { from: Date; to: Date; tags: readonly string[] } | undefined;
    limit: number;
    /** From the previous page's `nextCursor`; one this function did not make is refused (null answer). */
    cursor?: string | undefined;
    linkKinds: readonly string[];
  },
): Promise<{ items: IncidentSummaryDto[]; nextCursor: string | null } | null> {
  const after = input.cursor === undefined ? null : decodeIncidentCursor(input.cursor);
  if (input.cursor !== undefined && after === null) return null;
  const page = await db.prisma.$queryRawUnsafe<{ id: string; lastSeen: string }[]>(
    `SELECT i.id::text AS id, i."lastSeenAt"::text AS "lastSeen" FROM incidents i
     WHERE i."organizationId" = $1::uuid AND i."mergedIntoId" IS NULL
       AND ($2::uuid IS NULL OR i."environmentId" = $2::uuid)
       AND ($3::text[] IS NULL OR i.status::text = ANY($3::text[]))
       AND ($4::timestamptz IS NULL OR (i."lastSeenAt", i.id) < ($4::timestamptz, $5::uuid))
       AND ($7::text[] IS NULL OR (${HAS_TAGS_IN_RANGE('$8', '$9', '$7')}))
     ORDER BY i."lastSeenAt" DESC, i.id DESC
     LIMIT $6`,
    input.organizationId,
    input.environmentId ?? null,
    input.status?.length ? input.status : null,
    after?.lastSeenAt ?? null,
    after?.id ?? null,
    input.limit + 1,
    input.withTags?.tags ?? null,
    input.withTags?.from ?? null,
    input.withTags?.to ?? null,
  );
  const shown = page.slice(0, input.limit);
  const rows = await listIncidents(db, {
    organizationId: input.organizationId,
    ids: shown.map((r) => r.id),
    limit: shown.length,
    linkKinds: input.linkKinds,
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const last = shown.at(-1);
  return {
    items: shown.flatMap((r) => byId.get(r.id) ?? []),
    nextCursor: page.length > input.limit && last ? encodeIncidentCursor(last.lastSeen, last.id) : null,
  };
}

/** An incident an alert belongs to, as the alert's page names it. */
export interface AlertIncidentDto {
  id: string;
  title: string;
  status: IncidentStatus;
  score: number;
  priority: Priority;
  alertCount: number;
}

/**
 * The incidents of the organisation holding an alert (one, or none before the correlator placed
 * it; a merged incident's alerts moved to the one it merged into), most severe score first.
 */
export async function listAlertIncidents(
  db: Db,
  input: { organizationId: string; alertId: string },
): Promise<AlertIncidentDto[]> {
  return db.prisma.$queryRawUnsafe<AlertIncidentDto[]>(
    `SELECT i.id::text AS id, i.title, i.status::text AS status, i.score, i.priority::text AS priority,
            i."alertCount"
     FROM incident_alerts ia JOIN incidents i ON i.id = ia."incidentId"
     WHERE ia."alertId" = $2::bigint AND i."organizationId" = $1::uuid
     ORDER BY i.score DESC, i.id`,
    input.organizationId,
    input.alertId,
  );
}

/**
 * Incidents opened since `from` that an incident route with this filter would have been owed
 * (newest first, at most `limit` + 1 so the caller can tell there were more): those with at least
 * one alert the filter matches, with the alert list's conditions (`alertWhere`), as the
 * correlator's `incidentNotificationHook` decides.
 */
export async function listIncidentsForRoute(
  db: Db,
  input: { filter: AlertFilter; from: Date; limit: number },
): Promise<(AlertIncidentDto & { createdAt: Date })[]> {
  return db.prisma.$queryRaw<(AlertIncidentDto & { createdAt: Date })[]>`
    SELECT i.id::text AS id, i.title, i.status::text AS status, i.score, i.priority::text AS priority,
           i."alertCount", i."createdAt"
    FROM incidents i
    WHERE i."organizationId" = ${input.filter.organizationId}::uuid AND i."createdAt" >= ${input.from}
      AND EXISTS (
        SELECT 1 FROM incident_alerts ia
        JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
        WHERE ia."incidentId" = i.id AND ${alertWhere(input.filter, { kind: 'scan' })})
    ORDER BY i."createdAt" DESC, i.id DESC
    LIMIT ${input.limit + 1}`;
}

/** One incident with its entities, timeline (alerts and raw events in time order) and history. */
export async function getIncident(
  db: Db,
  input: { organizationId: string; id: string; linkKinds: readonly string[]; rawLimit?: number },
): Promise<IncidentDetailDto | null> {
  const [summary] = await listIncidents(db, {
    organizationId: input.organizationId,
    ids: [input.id],
    limit: 1,
    linkKinds: input.linkKinds,
  });
  if (!summary) return null;
  const extra = await db.prisma.incident.findUniqueOrThrow({
    where: { id: input.id },
    select: { resolution: true, mergedIntoId: true },
  });
  const alerts = await db.prisma.$queryRawUnsafe<
    {
      id: string;
      rule: string;
      priority: Priority;
      source: string;
      output: string;
      hostname: string | null;
      tags: string[];
      eventTime: Date;
    }[]
  >(
    `SELECT a.id::text AS id, a.rule, a.priority::text AS priority, a.source, a.output, a.hostname, a.tags, a."eventTime"
     FROM incident_alerts ia JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
     WHERE ia."incidentId" = $1::uuid ORDER BY a."eventTime", a.id LIMIT 1000`,
    input.id,
  );
  const named = await db.prisma.$queryRawUnsafe<
    { alertId: string; id: string; kind: string; value: string; label: string | null }[]
  >(
    `SELECT o."alertId"::text AS "alertId", e.id::text AS id, e.kind, e.value, e.label
     FROM incident_alerts ia JOIN entity_occurrences o ON o."alertId" = ia."alertId"
     JOIN entities e ON e.id = o."entityId"
     WHERE ia."incidentId" = $1::uuid`,
    input.id,
  );
  const entities = new Map<string, IncidentEntityDto>();
  const perAlert = new Map<string, string[]>();
  for (const n of named) {
    const e = entities.get(n.id) ?? { id: n.id, kind: n.kind, value: n.value, label: n.label, alerts: 0 };
    e.alerts++;
    entities.set(n.id, e);
    perAlert.set(n.alertId, [...(perAlert.get(n.alertId) ?? []), n.id]);
  }
  const linking = [...entities.values()].filter((e) => input.linkKinds.includes(e.kind)).map((e) => e.id);
  const raw =
    linking.length === 0
      ? []
      : await db.prisma.$queryRawUnsafe<
          { id: string; source: string; eventTime: Date; payload: unknown; entityIds: string[] }[]
        >(
          `SELECT r.id::text AS id, r.source, r."eventTime", r.payload, x."entityIds"
           FROM (
             SELECT o."rawEventId", array_agg(DISTINCT o."entityId"::text) AS "entityIds"
             FROM entity_occurrences o
             WHERE o."entityId" = ANY($1::uuid[]) AND o."rawEventId" IS NOT NULL
               AND o."eventTime" BETWEEN $2 AND $3
             GROUP BY o."rawEventId" ORDER BY min(o."eventTime") LIMIT $4
           ) x JOIN raw_events r ON r.id = x."rawEventId"`,
          linking,
          new Date(summary.firstSeenAt.getTime() - RAW_MARGIN_MS),
          new Date(summary.lastSeenAt.getTime() + RAW_MARGIN_MS),
          input.rawLimit ?? 200,
        );
  const timeline: IncidentTimelineItemDto[] = [
    ...alerts.map((a) => ({
      ref: 'alert' as const,
      id: a.id,
      source: a.source,
      eventTime: a.eventTime,
      entityIds: perAlert.get(a.id) ?? [],
      alert: { rule: a.rule, priority: a.priority, output: a.output, hostname: a.hostname, tags: a.tags },
    })),
    ...raw.map((r) => ({
      ref: 'raw' as const,
      id: r.id,
      source: r.source,
      eventTime: r.eventTime,
      entityIds: r.entityIds,
      raw: { summary: rawSummary(r.payload), payload: r.payload },
    })),
  ].sort(
    (x, y) =>
      x.eventTime.getTime() - y.eventTime.getTime() || (x.ref === y.ref ? 0 : x.ref === 'raw' ? -1 : 1),
  );
  const activities = await db.prisma.incidentActivity.findMany({
    where: { incidentId: input.id },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, kind: true, detail: true, createdAt: true, actor: { select: { name: true } } },
  });
  return {
    ...summary,
    ...extra,
    entities: [...entities.values()].sort((a, b) => b.alerts - a.alerts || a.kind.localeCompare(b.kind)),
    timeline,
    activities: activities.map((a) => ({
      id: a.id.toString(),
      kind: a.kind,
      detail: a.detail,
      actor: a.actor?.name ?? null,
      createdAt: a.createdAt,
    })),
  };
}

/** A short name for a raw event of any source (CloudTrail, k8s audit, Okta, GitHub, GCP). */
function rawSummary(stored: unknown): string {
  const env = stored as { ts?: unknown; payload?: unknown } | null;
  const p = (
    env && typeof env.ts === 'string' && env.payload && typeof env.payload === 'object' ? env.payload : stored
  ) as Record<string, unknown> | null;
  if (!p || typeof p !== 'object') return 'event';
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const ref = p.objectRef as Record<string, unknown> | undefined;
  return (
    s(p.eventName) ??
    s(p.eventType) ??
    (s(p.verb)
      ? [s(p.verb), s(ref?.resource), s(ref?.subresource), s(ref?.name)].filter(Boolean).join(' ')
      : undefined) ??
    (s(p.webhook_type) ? [s(p.webhook_type), s(p.action)].filter(Boolean).join('.') : undefined) ??
    s((p.protoPayload as Record<string, unknown> | undefined)?.methodName) ??
    'event'
  );
}

async function activity(
  tx: Tx,
  incidentId: string,
  actor: Actor,
  kind: string,
  detail: unknown,
): Promise<void> {
  await tx.incidentActivity.create({
    data: {
      incidentId,
      actorId: actor.userId ?? null,
      kind,
      detail: JSON.parse(
        JSON.stringify({ ...(detail as object), ...(actor.apiKeyId ? { apiKeyId: actor.apiKeyId } : {}) }),
      ),
    },
  });
}

/** Sets status, assignee and/or resolution; each change is an activity and an audit entry. */
export async function updateIncident(
  db: Db,
  input: {
    organizationId: string;
    id: string;
    actor: Actor;
    status?: IncidentStatus | undefined;
    assigneeId?: string | null | undefined;
    resolution?: string | null | undefined;
  },
): Promise<{ status: IncidentStatus; assigneeId: string | null; resolution: string | null } | null> {
  return db.prisma.$transaction(async (tx) => {
    const before = await tx.incident.findFirst({
      where: { id: input.id, organizationId: input.organizationId },
      select: { status: true, assigneeId: true, resolution: true },
    });
    if (!before) return null;
    const data: { status?: IncidentStatus; assigneeId?: string | null; resolution?: string | null } = {};
    if (input.status !== undefined && input.status !== before.status) data.status = input.status;
    if (input.assigneeId !== undefined && input.assigneeId !== before.assigneeId)
      data.assigneeId = input.assigneeId;
    if (input.resolution !== undefined && input.resolution !== before.resolution)
      data.resolution = input.resolution;
    if (Object.keys(data).length === 0) return before;
    const after = await tx.incident.update({
      where: { id: input.id },
      data: { ...data, updatedAt: new Date() },
      select: { status: true, assigneeId: true, resolution: true },
    });
    for (const [kind, value] of Object.entries(data)) {
      await activity(tx, input.id, input.actor, kind === 'assigneeId' ? 'assignee' : kind, {
        from: before[kind as keyof typeof before],
        to: value,
      });
    }
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'incident.update',
      targetType: 'incident',
      targetId: input.id,
      before,
      after,
    });
    return after;
  });
}

/** Adds a note to an incident (an activity of kind `note`, audited). */
export async function addIncidentNote(
  db: Db,
  input: { organizationId: string; id: string; actor: Actor; body: string },
): Promise<{ createdAt: Date } | null> {
  return db.prisma.$transaction(async (tx) => {
    const found = await tx.incident.findFirst({
      where: { id: input.id, organizationId: input.organizationId },
      select: { id: true },
    });
    if (!found) return null;
    await activity(tx, input.id, input.actor, 'note', { body: input.body });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'incident.note',
      targetType: 'incident',
      targetId: input.id,
      after: { body: input.body },
    });
    return { createdAt: new Date() };
  });
}

/** Recomputes an incident's priority, tactics, sources, counts, times and score from its alerts. */
async function recompute(tx: Tx, id: string, scoring: IncidentScoring): Promise<void> {
  const rows = await tx.$queryRawUnsafe<
    { priority: Priority; tags: string[]; source: string; first: Date; last: Date; n: number }[]
  >(
    `SELECT min(a.priority)::text AS priority, array_agg(DISTINCT t.tag) FILTER (WHERE t.tag IS NOT NULL) AS tags,
            string_agg(DISTINCT a.source, ',') AS source, min(a."eventTime") AS first, max(a."eventTime") AS last,
            count(DISTINCT a.id)::int AS n
     FROM incident_alerts ia JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
     LEFT JOIN LATERAL unnest(a.tags) AS t(tag) ON true
     WHERE ia."incidentId" = $1::uuid`,
    id,
  );
  const r = rows[0];
  if (!r || r.n === 0) return;
  const tactics = scoring.tactics(r.tags ?? []);
  const sources = r.source.split(',').sort();
  const score = scoring.score({
    priority: r.priority,
    tactics: tactics.length,
    sources: sources.length,
    alerts: r.n,
  });
  await tx.incident.update({
    where: { id },
    data: {
      priority: r.priority,
      tactics,
      sources,
      alertCount: r.n,
      firstSeenAt: r.first,
      lastSeenAt: r.last,
      score,
      updatedAt: new Date(),
    },
  });
}

/**
 * Merges incidents into `targetId` (same environment): their alerts move there, they are kept as
 * merged (their history stays readable), the target is recomputed. Activity on both, audited.
 */
export async function mergeIncidents(
  db: Db,
  input: {
    organizationId: string;
    targetId: string;
    sourceIds: string[];
    actor: Actor;
    scoring: IncidentScoring;
  },
): Promise<{ id: string; moved: number } | 'not_found' | 'other_environment'> {
  return db.prisma.$transaction(async (tx) => {
    const all = await tx.incident.findMany({
      where: {
        organizationId: input.organizationId,
        id: { in: [input.targetId, ...input.sourceIds] },
        mergedIntoId: null,
      },
      select: { id: true, environmentId: true },
    });
    const target = all.find((i) => i.id === input.targetId);
    const sources = input.sourceIds.filter((id) => id !== input.targetId);
    if (!target || sources.some((id) => !all.some((i) => i.id === id))) return 'not_found';
    if (all.some((i) => i.environmentId !== target.environmentId)) return 'other_environment';
    const moved = await tx.$executeRawUnsafe(
      `UPDATE incident_alerts SET "incidentId" = $1::uuid, "addedBy" = 'merge' WHERE "incidentId" = ANY($2::uuid[])`,
      input.targetId,
      sources,
    );
    await tx.incident.updateMany({
      where: { id: { in: sources } },
      data: {
        mergedIntoId: input.targetId,
        alertCount: 0,
        status: 'resolved',
        resolution: 'Merged',
        updatedAt: new Date(),
      },
    });
    await recompute(tx, input.targetId, input.scoring);
    await activity(tx, input.targetId, input.actor, 'merged', { from: sources, alerts: moved });
    for (const id of sources) await activity(tx, id, input.actor, 'merged_into', { into: input.targetId });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'incident.merge',
      targetType: 'incident',
      targetId: input.targetId,
      after: { merged: sources, alerts: moved },
    });
    return { id: input.targetId, moved };
  });
}

/**
 * Moves alerts out of an incident into a new one (same environment). The correlator never moves
 * a placed alert again, so the split stays. Activity on both, audited.
 */
export async function splitIncident(
  db: Db,
  input: {
    organizationId: string;
    id: string;
    alertIds: string[];
    actor: Actor;
    scoring: IncidentScoring;
    title?: string;
  },
): Promise<{ id: string } | 'not_found' | 'all_alerts'> {
  return db.prisma.$transaction(async (tx) => {
    const from = await tx.incident.findFirst({
      where: { id: input.id, organizationId: input.organizationId, mergedIntoId: null },
      select: {
        id: true,
        organizationId: true,
        environmentId: true,
        title: true,
        priority: true,
        alertCount: true,
      },
    });
    if (!from) return 'not_found';
    const picked = await tx.$queryRawUnsafe<{ alertId: string; eventTime: Date; rule: string }[]>(
      `SELECT ia."alertId"::text AS "alertId", ia."eventTime", a.rule
       FROM incident_alerts ia JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
       WHERE ia."incidentId" = $1::uuid AND ia."alertId" = ANY($2::bigint[])
       ORDER BY ia."eventTime" FOR UPDATE OF ia`,
      input.id,
      input.alertIds,
    );
    if (picked.length !== new Set(input.alertIds).size) return 'not_found';
    const total = await tx.incidentAlert.count({ where: { incidentId: input.id } });
    if (picked.length >= total) return 'all_alerts';
    const first = picked[0]!;
    const created = await tx.incident.create({
      data: {
        organizationId: from.organizationId,
        environmentId: from.environmentId,
        title: (input.title ?? `${first.rule} (split from ${from.title})`).slice(0, 300),
        priority: from.priority,
        tactics: [],
        sources: [],
        firstSeenAt: first.eventTime,
        lastSeenAt: first.eventTime,
      },
      select: { id: true },
    });
    await tx.$executeRawUnsafe(
      `UPDATE incident_alerts SET "incidentId" = $1::uuid, "addedBy" = 'split' WHERE "alertId" = ANY($2::bigint[])`,
      created.id,
      picked.map((p) => p.alertId),
    );
    await recompute(tx, created.id, input.scoring);
    await recompute(tx, input.id, input.scoring);
    await activity(tx, input.id, input.actor, 'split', {
      to: created.id,
      alerts: picked.map((p) => p.alertId),
    });
    await activity(tx, created.id, input.actor, 'split_from', {
      from: input.id,
      alerts: picked.map((p) => p.alertId),
    });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'incident.split',
      targetType: 'incident',
      targetId: input.id,
      after: { to: created.id, alerts: picked.map((p) => p.alertId) },
    });
    return { id: created.id };
  });
}

/** Where incident ATT&CK reads look: one environment's incidents, alerts in [from, to). */
export interface IncidentTagScope {
  organizationId: string;
  environmentId: string;
  from: Date;
  to: Date;
}

/**
 * Every tag of the alerts of the environment's incidents that have alerts in [from, to) (a
 * superset of the tags of their alerts in the range): what a caller maps to find the tags that
 * reach an ATT&CK id (`listIncidentPage`'s `withTags`). From the incidents' summaries, no alert read.
 */
export async function listIncidentTagsInRange(db: Db, scope: IncidentTagScope): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ tag: string }[]>(
    `SELECT DISTINCT t AS tag FROM incidents i, unnest(i."alertTags") AS t
     WHERE i."environmentId" = $2::uuid AND i."organizationId" = $1::uuid AND i."mergedIntoId" IS NULL
       AND i."alertsTo" >= $3 AND i."alertsFrom" < $4`,
    scope.organizationId,
    scope.environmentId,
    scope.from,
    scope.to,
  );
  return rows.map((r) => r.tag);
}

/** How many incidents have, among their alerts in the range, exactly this set of distinct tags. */
export interface TagSetIncidentCount {
  /** Distinct tags, sorted. */
  tags: string[];
  count: number;
}

/**
 * The environment's incidents with alerts in [from, to), counted per set of distinct tags of
 * those alerts: each incident once, so an id (technique or tactic) that the caller finds named by
 * a set's tags has exactly the sum of the counts of the sets naming it: as many as
 * `listIncidentPage` lists `withTags` that reach it. An incident whose alerts all lie in the range
 * is counted from its own row (`alertTags`, `alertsFrom`, `alertsTo`, kept by triggers on
 * incident_alerts); only those with alerts on both sides of an edge read their incident_alerts
 * rows in the range.
 * Reading every incident_alerts row of the range instead took 540-640 ms at 10M alerts over 30
 * days (docs/BENCHMARKS.md, "ATT&CK matrix").
 */
export async function countIncidentsByTagSet(
  db: Db,
  scope: IncidentTagScope,
): Promise<TagSetIncidentCount[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ sets: string | null }[]>(
    // Grouped by the sets' text: sorting 24 000 arrays element by element cost as much as the rest
    // of the statement (10M alerts, 30 days). The answer is one JSON text: 15 000 rows of arrays
    // through the driver took 1.4x as long.
    `SELECT json_agg(json_build_array(g.tags, g.n))::text AS sets
     FROM (
       SELECT min(s.tags) AS tags, count(*) AS n
       FROM (
         SELECT CASE WHEN i."alertsFrom" >= $3 AND i."alertsTo" < $4 THEN i."alertTags"
                     ELSE (SELECT array_agg(DISTINCT t) FROM incident_alerts ia, unnest(ia.tags) AS t
                           WHERE ia."incidentId" = i.id AND ia."eventTime" >= $3 AND ia."eventTime" < $4)
                END AS tags
         FROM incidents i
         WHERE i."environmentId" = $2::uuid AND i."organizationId" = $1::uuid AND i."mergedIntoId" IS NULL
           AND i."alertsTo" >= $3 AND i."alertsFrom" < $4
         -- A fence: without it the set of an incident on an edge was read three times (the filter,
         -- the group and the aggregate each asked for it).
         OFFSET 0
       ) s
       WHERE cardinality(s.tags) > 0
       GROUP BY s.tags::text
     ) g`,
    scope.organizationId,
    scope.environmentId,
    scope.from,
    scope.to,
  );
  const sets = JSON.parse(rows[0]?.sets ?? '[]') as [string[], number][];
  return sets.map(([tags, count]) => ({ tags, count }));
}

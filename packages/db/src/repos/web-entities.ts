import type { Db } from '../client.js';
import type { Priority } from '../generated/prisma/enums.js';
import { parseJsonExact } from './json-exact.js';

/** An entity as the console shows it. */
export interface EntityDto {
  id: string;
  environmentId: string;
  kind: string;
  value: string;
  label: string | null;
}

/** The alert an entity context is built around. */
export interface EntityContextAlert {
  id: string;
  environmentId: string;
  source: string;
  eventTime: Date;
  outputFields: Record<string, unknown>;
}

/** One alert or raw event naming some of the entities asked about. */
export interface EntityActivityItem {
  ref: 'alert' | 'raw';
  id: string;
  source: string;
  eventTime: Date;
  environmentId: string;
  /** Ids of the asked entities it names. */
  entityIds: string[];
  /** For alerts. */
  alert?: { rule: string; priority: Priority; output: string; hostname: string | null };
  /** For raw events: the payload as stored. */
  payload?: unknown;
}

/** The entities an organisation's alert names, with the alert; null when it is not the org's. */
export async function getAlertEntities(
  db: Db,
  organizationId: string,
  alertId: string,
): Promise<{ alert: EntityContextAlert; entities: EntityDto[] } | null> {
  const id = BigInt(alertId);
  const alerts = await db.prisma.$queryRawUnsafe<
    { id: bigint; environmentId: string; source: string; eventTime: Date; outputFields: string }[]
  >(
    `SELECT id, "environmentId"::text AS "environmentId", source, "eventTime", "outputFields"::text AS "outputFields"
     FROM alerts
     WHERE id = $1 AND "organizationId" = $2::uuid LIMIT 1`,
    id,
    organizationId,
  );
  const a = alerts[0];
  if (!a) return null;
  // The occurrences' alertId index finds the alert's entities; the eventTime bound is the alert's.
  const entities = await db.prisma.$queryRawUnsafe<EntityDto[]>(
    `SELECT e.id::text AS id, e."environmentId"::text AS "environmentId", e.kind, e.value, e.label
     FROM entity_occurrences o JOIN entities e ON e.id = o."entityId"
     WHERE o."alertId" = $1 AND o."environmentId" = $2::uuid
     ORDER BY e.kind, e.value`,
    id,
    a.environmentId,
  );
  return {
    alert: {
      id: a.id.toString(),
      environmentId: a.environmentId,
      source: a.source,
      eventTime: a.eventTime,
      // Exact: nanosecond times stay whole.
      outputFields: (parseJsonExact(a.outputFields) ?? {}) as Record<string, unknown>,
    },
    entities,
  };
}

/** An entity of one of the organisation's environments, by kind and value; null when unknown. */
export async function findEntity(
  db: Db,
  input: { organizationId: string; environmentId: string; kind: string; value: string },
): Promise<EntityDto | null> {
  const row = await db.prisma.entity.findFirst({
    where: {
      organizationId: input.organizationId,
      environmentId: input.environmentId,
      kind: input.kind,
      value: input.value,
    },
    select: { id: true, environmentId: true, kind: true, value: true, label: true },
  });
  return row;
}

/**
 * What named the given entities between `from` and `to` (exclusive), newest first: each alert or
 * raw event once, with the entities of `entityIds` it names. At most `limit` items; `truncated`
 * when there were more. Each entity reads its occurrences newest first from the (entity, time)
 * primary key, at most `limit + 1` each, so a busy entity costs no more than a quiet one.
 */
export async function getEntityActivity(
  db: Db,
  input: {
    organizationId: string;
    entityIds: string[];
    from: Date;
    to: Date;
    limit: number;
    /** Left out (the alert the context is built around). */
    excludeAlertId?: string;
  },
): Promise<{ items: EntityActivityItem[]; truncated: boolean }> {
  if (input.entityIds.length === 0) return { items: [], truncated: false };
  const occ = await db.prisma.$queryRawUnsafe<
    {
      entityId: string;
      eventTime: Date;
      source: string;
      alertId: bigint | null;
      rawEventId: bigint | null;
      environmentId: string;
    }[]
  >(
    `SELECT o."entityId"::text AS "entityId", o."eventTime", o.source, o."alertId", o."rawEventId",
            o."environmentId"::text AS "environmentId"
     FROM unnest($1::uuid[]) AS e(id)
     JOIN entities en ON en.id = e.id AND en."organizationId" = $5::uuid
     CROSS JOIN LATERAL (
       SELECT * FROM entity_occurrences o
       WHERE o."entityId" = e.id AND o."eventTime" >= $2 AND o."eventTime" < $3
         AND o."alertId" IS DISTINCT FROM coalesce($6::bigint, -1)
       ORDER BY o."eventTime" DESC LIMIT $4) o`,
    input.entityIds,
    input.from,
    input.to,
    input.limit + 1,
    input.organizationId,
    input.excludeAlertId === undefined ? null : BigInt(input.excludeAlertId),
  );
  const byRef = new Map<string, EntityActivityItem>();
  for (const o of occ) {
    const ref = o.alertId !== null ? 'alert' : 'raw';
    const id = (o.alertId ?? o.rawEventId)!.toString();
    const key = `${ref}:${id}`;
    const item = byRef.get(key);
    if (item) {
      if (!item.entityIds.includes(o.entityId)) item.entityIds.push(o.entityId);
      continue;
    }
    byRef.set(key, {
      ref,
      id,
      source: o.source,
      eventTime: o.eventTime,
      environmentId: o.environmentId,
      entityIds: [o.entityId],
    });
  }
  const sorted = [...byRef.values()].sort(
    (a, b) => b.eventTime.getTime() - a.eventTime.getTime() || b.id.localeCompare(a.id),
  );
  const items = sorted.slice(0, input.limit);
  const perEntity = new Map<string, number>();
  for (const o of occ) perEntity.set(o.entityId, (perEntity.get(o.entityId) ?? 0) + 1);
  const truncated = sorted.length > input.limit || [...perEntity.values()].some((n) => n > input.limit);
  const alertItems = items.filter((i) => i.ref === 'alert');
  const rawItems = items.filter((i) => i.ref === 'raw');
  // The alerts and the raw events are read at once (two connections when the pool has them).
  const readAlerts = async () => {
    if (alertItems.length === 0) return;
    // By (id, eventTime): the alerts' primary key, so each lookup touches one partition.
    const rows = await db.prisma.$queryRawUnsafe<
      { id: bigint; rule: string; priority: Priority; output: string; hostname: string | null }[]
    >(
      `SELECT id, rule, priority, output, hostname FROM alerts
       WHERE (id, "eventTime") IN (SELECT * FROM unnest($1::bigint[], $2::timestamptz[]))
         AND "organizationId" = $3::uuid`,
      alertItems.map((i) => BigInt(i.id)),
      alertItems.map((i) => i.eventTime),
      input.organizationId,
    );
    const byId = new Map(rows.map((r) => [r.id.toString(), r]));
    for (const i of alertItems) {
      const r = byId.get(i.id);
      if (r) i.alert = { rule: r.rule, priority: r.priority, output: r.output, hostname: r.hostname };
    }
  };
  const readRaw = async () => {
    if (rawItems.length === 0) return;
    const rows = await db.prisma.$queryRawUnsafe<{ id: bigint; payload: string }[]>(
      `SELECT id, payload::text AS payload FROM raw_events WHERE id = ANY($1::bigint[]) AND "organizationId" = $2::uuid`,
      rawItems.map((i) => BigInt(i.id)),
      input.organizationId,
    );
    const byId = new Map(rows.map((r) => [r.id.toString(), r]));
    for (const i of rawItems) {
      const r = byId.get(i.id);
      if (r) i.payload = parseJsonExact(r.payload);
    }
  };
  await Promise.all([readAlerts(), readRaw()]);
  // An occurrence whose alert or raw event is gone (deleted meanwhile) is left out.
  return { items: items.filter((i) => i.alert !== undefined || i.payload !== undefined), truncated };
}

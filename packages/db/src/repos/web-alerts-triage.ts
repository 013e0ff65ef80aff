import type { Db } from '../client.js';
import { queueResolveNotifications } from './web-admin-notifications.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import { type AlertFilter, alertWhere } from './web-alerts-filter.js';

/** What a triage action sets; absent keys are left alone, `assigneeId: null` unassigns. */
export interface TriageChange {
  status?: AlertStatus | undefined;
  assigneeId?: string | null | undefined;
}

/** Either explicit alerts, or everything matching a filter up to the id the user confirmed. */
export type TriageTarget = { ids: string[] } | { filter: AlertFilter; maxId: string };

export interface TriageResult {
  /** Alerts whose status or assignee actually changed. */
  updated: number;
  /** Alerts matched but already in the requested state. */
  unchanged: number;
}

interface LockedRow {
  id: string;
  /** As Postgres prints it (microseconds): with it the update reaches only the partitions it needs. */
  eventTime: string;
  status: AlertStatus;
  assigneeId: string | null;
}

/** Rows per transaction: short locks, bounded audit entries, progress on huge selections. */
export const TRIAGE_BATCH_SIZE = 1000;

/**
 * A batch locks, updates and records up to TRIAGE_BATCH_SIZE alerts: on a loaded server, or on a
 * week's partition filled faster than autovacuum analyses it, that outlasts Prisma's 5 s default
 * and the whole triage failed. The bound stays (a stuck batch still ends).
 */
const BATCH_TRANSACTION = { maxWait: 10_000, timeout: 60_000 };

function actionOf(change: TriageChange): string {
  if (change.status !== undefined && change.assigneeId !== undefined) return 'triaged';
  return change.status !== undefined ? 'status_changed' : 'assigned';
}

async function applyBatch(
  tx: Prisma.TransactionClient,
  organizationId: string,
  actor: Actor,
  change: TriageChange,
  rows: LockedRow[],
): Promise<number> {
  const changed = rows.filter(
    (r) =>
      (change.status !== undefined && r.status !== change.status) ||
      (change.assigneeId !== undefined && r.assigneeId !== change.assigneeId),
  );
  if (changed.length === 0) return 0;
  const ids = changed.map((r) => r.id);
  const times = [...new Set(changed.map((r) => r.eventTime))];
  const sets: Prisma.Sql[] = [];
  if (change.status !== undefined) sets.push(Prisma.sql`status = ${change.status}::"AlertStatus"`);
  if (change.assigneeId !== undefined) sets.push(Prisma.sql`"assigneeId" = ${change.assigneeId}`);
  await tx.$executeRaw`UPDATE alerts SET ${Prisma.join(sets, ', ')} WHERE id = ANY(${ids}::bigint[]) AND "eventTime" = ANY(${times}::timestamptz[])`;
  const after = {
    ...(change.status !== undefined ? { status: change.status } : {}),
    ...(change.assigneeId !== undefined ? { assigneeId: change.assigneeId } : {}),
  };
  const befores = changed.map((r) => ({
    id: r.id,
    before: {
      ...(change.status !== undefined ? { status: r.status } : {}),
      ...(change.assigneeId !== undefined ? { assigneeId: r.assigneeId } : {}),
    },
  }));
  const action = actionOf(change);
  await tx.$executeRaw`
    INSERT INTO alert_activities (id, "alertId", "actorId", "actorApiKeyId", action, before, after)
    SELECT gen_random_uuid(), x.id, ${actor.userId ?? null}, ${actor.apiKeyId ?? null}::uuid, ${action}, x.before,
      ${JSON.stringify(after)}::jsonb
    FROM jsonb_to_recordset(${JSON.stringify(befores)}::jsonb) AS x(id bigint, before jsonb)`;
  // One audit entry per batch: every alert's before state, and the after state they all share.
  await recordAudit(tx, actor, {
    organizationId,
    action: `alert.${action}`,
    targetType: 'alert',
    targetId: ids.length === 1 ? (ids[0] ?? null) : null,
    before: ids.length === 1 ? befores[0]?.before : { alerts: befores },
    after: ids.length === 1 ? after : { ...after, count: ids.length },
  });
  return changed.length;
}

/**
 * Sets status and/or assignee on alerts of one organisation, in batches of `TRIAGE_BATCH_SIZE`
 * (one transaction each), writing an activity per alert and an audit entry per batch.
 */
export async function triageAlerts(
  db: Db,
  input: { organizationId: string; actor: Actor; change: TriageChange; target: TriageTarget },
): Promise<TriageResult> {
  const { organizationId, actor, change, target } = input;
  if (change.status === undefined && change.assigneeId === undefined) return { updated: 0, unchanged: 0 };
  let updated = 0;
  let matched = 0;
  if ('ids' in target) {
    const unique = [...new Set(target.ids)];
    for (let i = 0; i < unique.length; i += TRIAGE_BATCH_SIZE) {
      const chunk = unique.slice(i, i + TRIAGE_BATCH_SIZE);
      await db.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<LockedRow[]>`
          SELECT id::text AS id, "eventTime"::text AS "eventTime", status::text AS status, "assigneeId" FROM alerts
          WHERE "organizationId" = ${organizationId}::uuid AND id = ANY(${chunk}::bigint[])
          ORDER BY id FOR UPDATE`;
        matched += rows.length;
        updated += await applyBatch(tx, organizationId, actor, change, rows);
      }, BATCH_TRANSACTION);
    }
  } else {
    // Walk the match downwards by id from the confirmed maximum: each batch resumes below the
    // last one, so progress holds even when the change removes rows from the filter.
    let below: string = (BigInt(target.maxId) + 1n).toString();
    const where = alertWhere({ ...target.filter, organizationId });
    for (;;) {
      const rows = await db.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<LockedRow[]>`
          SELECT a.id::text AS id, a."eventTime"::text AS "eventTime", a.status::text AS status, a."assigneeId" FROM alerts a
          WHERE ${where} AND a.id < ${below}::bigint
          ORDER BY a.id DESC LIMIT ${TRIAGE_BATCH_SIZE} FOR UPDATE`;
        updated += await applyBatch(tx, organizationId, actor, change, locked);
        return locked;
      }, BATCH_TRANSACTION);
      matched += rows.length;
      const last = rows.at(-1);
      if (!last || rows.length < TRIAGE_BATCH_SIZE) break;
      below = last.id;
    }
    if (target.filter.groupId) {
      const groupId = target.filter.groupId;
      await db.prisma.$transaction(async (tx) => {
        // Triage of a whole group also marks the group, which the grouped view shows.
        const marked = await tx.alertGroup.updateMany({
          where: { id: groupId, organizationId },
          data: {
            ...(change.status !== undefined ? { status: change.status } : {}),
            ...(change.assigneeId !== undefined ? { assigneeId: change.assigneeId } : {}),
          },
        });
        // A resolved group resolves the PagerDuty incident / closes the Opsgenie alert it raised.
        if (change.status === 'resolved' && marked.count > 0)
          await queueResolveNotifications(tx, organizationId, [groupId]);
      });
    }
  }
  return { updated, unchanged: matched - updated };
}

/** Adds a note to an alert (with its activity and audit entry); null when the alert is not in the organisation. */
export async function addAlertNote(
  db: Db,
  input: { organizationId: string; alertId: string; body: string; actor: Actor },
): Promise<{ id: string; createdAt: Date } | null> {
  return db.prisma.$transaction(async (tx) => {
    const alert = await tx.alert.findFirst({
      where: { id: BigInt(input.alertId), organizationId: input.organizationId },
      select: { id: true },
    });
    if (!alert) return null;
    const note = await tx.alertNote.create({
      data: {
        alertId: alert.id,
        authorId: input.actor.userId ?? null,
        authorApiKeyId: input.actor.apiKeyId ?? null,
        body: input.body,
      },
      select: { id: true, createdAt: true },
    });
    await tx.alertActivity.create({
      data: {
        alertId: alert.id,
        actorId: input.actor.userId ?? null,
        actorApiKeyId: input.actor.apiKeyId ?? null,
        action: 'note_added',
        after: { noteId: note.id, body: input.body },
      },
    });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'alert.note_added',
      targetType: 'alert',
      targetId: input.alertId,
      after: { noteId: note.id, body: input.body },
    });
    return note;
  });
}

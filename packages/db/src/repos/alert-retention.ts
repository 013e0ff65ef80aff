import type pg from 'pg';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';
import type { Priority } from '../generated/prisma/enums.js';

/** What runs a statement: the collector's pool or one of its clients. */
type Queryable = Pick<pg.Pool, 'query'>;

const DAY_MS = 86_400_000;
/** The alert partitions' span: one UTC week. */
export const WEEK_MS = 7 * DAY_MS;

/** Keep alerts `days` days; null environment or priority: every one. */
export interface AlertRetentionRuleDto {
  environmentId: string | null;
  priority: Priority | null;
  days: number;
}

/** An organisation's retention settings with what it stores now. */
export interface AlertRetentionDto {
  rules: AlertRetentionRuleDto[];
  storageLimitBytes: number | null;
  usage: {
    alerts: number;
    /** Its alerts times their estimated size each (see BYTES_PER_ALERT). */
    estimatedBytes: number;
    /** Event time of the oldest alert kept; null with none. */
    oldestEventTime: Date | null;
  };
}

/** Upper limit on a rule: 100 years, so days * 1 day stays a sane interval. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * Every (organisation, environment, priority) with the days its most specific rule keeps alerts
 * (environment and priority, then environment, then priority, then the organisation's default);
 * null when no rule matches (kept until the size limit or the quota). Ties (only possible when
 * rules were written outside the console) keep the longer.
 */
const EFFECTIVE_RULES = `
  SELECT e."organizationId" AS org, e.id AS env, p.priority,
         (SELECT r.days FROM alert_retention_rules r
           WHERE r."organizationId" = e."organizationId"
             AND (r."environmentId" = e.id OR r."environmentId" IS NULL)
             AND (r.priority = p.priority OR r.priority IS NULL)
           ORDER BY (r."environmentId" IS NULL), (r.priority IS NULL), r.days DESC
           LIMIT 1) AS days
  FROM environments e CROSS JOIN unnest(enum_range(NULL::"Priority")) AS p(priority)`;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Monday 00:00 UTC of the week holding `ms`: the alert partitions' weeks. */
export function alertWeekStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
}

/** The alert partitions, oldest first (the default partition has no bounds and is left out). */
export async function listAlertPartitions(
  q: Queryable,
): Promise<{ name: string; from: Date; to: Date; rows: number }[]> {
  const r = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.alerts'::regclass AND c.relname ~ '^alerts_p[0-9]{8}$' ORDER BY 1`,
  );
  const out = [];
  for (const { name } of r.rows) {
    const y = name.slice(8, 12);
    const m = name.slice(12, 14);
    const d = name.slice(14, 16);
    const from = new Date(`${y}-${m}-${d}T00:00:00Z`);
    // Names come from the catalogue and match the pattern above.
    const n = await q.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`);
    out.push({ name, from, to: new Date(from.getTime() + WEEK_MS), rows: Number(n.rows[0]?.n ?? 0) });
  }
  return out;
}

/**
 * Creates the partitions of this week and the next `weeksAhead`, and of any week of the last 400
 * days the default partition holds rows of (stored while their week had no partition: they move
 * in). Returns the partitions created.
 */
export async function ensureAlertPartitions(
  q: Queryable,
  now: number,
  weeksAhead: number,
): Promise<string[]> {
  const weeks = new Set<string>();
  const first = alertWeekStart(now);
  for (let i = 0; i <= weeksAhead; i++) weeks.add(isoDay(first + i * WEEK_MS));
  const stray = await q.query<{ w: string }>(
    `SELECT DISTINCT to_char(date_trunc('week', "eventTime" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS w
     FROM alerts_default WHERE "eventTime" >= $1 AND "eventTime" < $2`,
    [new Date(now - 400 * DAY_MS), new Date(first + (weeksAhead + 1) * WEEK_MS)],
  );
  for (const { w } of stray.rows) weeks.add(w);
  const created: string[] = [];
  for (const w of [...weeks].sort()) {
    const r = await q.query<{ created: boolean }>('SELECT alerts_ensure_partition($1::date) AS created', [w]);
    if (r.rows[0]?.created) created.push(`alerts_p${w.replace(/-/g, '')}`);
  }
  return created;
}

/**
 * Drops each week's partition whose every alert is past its rule: the week ended at least as many
 * days ago as the longest rule of any environment and priority it holds alerts of (no rule: never).
 * Returns what it dropped.
 */
export async function dropExpiredAlertPartitions(
  q: Queryable,
  now: number,
): Promise<{ partition: string; alerts: number }[]> {
  const dropped: { partition: string; alerts: number }[] = [];
  for (const p of await listAlertPartitions(q)) {
    if (p.to.getTime() > now) continue;
    // A pair that would keep any of the week's alerts, and has some there, keeps the partition.
    const blocked = await q.query(
      `WITH eff AS (${EFFECTIVE_RULES})
       SELECT 1 FROM eff
       WHERE (eff.days IS NULL OR $1::timestamptz > $2::timestamptz - eff.days * interval '1 day')
         AND EXISTS (SELECT 1 FROM "${p.name}" a WHERE a."environmentId" = eff.env AND a.priority = eff.priority)
       LIMIT 1`,
      [p.to, new Date(now)],
    );
    if (blocked.rowCount) continue;
    const r = await q.query<{ n: string }>('SELECT alerts_drop_partition($1) AS n', [p.name]);
    dropped.push({ partition: p.name, alerts: Number(r.rows[0]?.n ?? 0) });
  }
  return dropped;
}

/**
 * The tail of an alert delete (`d`: the deleted ids): their entity occurrences and incident links go in the same
 * statement (a week dropped whole loses them in `alerts_drop_partition`); answers `n`, the alerts.
 */
const DELETE_OCCURRENCES = `o AS (
         DELETE FROM entity_occurrences WHERE "alertId" IN (SELECT id FROM d) RETURNING 1
       ), il AS (
         DELETE FROM incident_alerts WHERE "alertId" IN (SELECT id FROM d) RETURNING 1
       ), iq AS (
         DELETE FROM incident_queue WHERE "alertId" IN (SELECT id FROM d) RETURNING 1
       )
       SELECT (SELECT count(*) FROM d) AS n, (SELECT count(*) FROM o) AS o,
              (SELECT count(*) FROM il) + (SELECT count(*) FROM iq) AS i`;

/**
 * Deletes at most `batch` alerts past their rule for each environment and priority that has some
 * (the remainder partitions cannot drop: a week holding both 7-day and 365-day alerts, or the
 * default partition). Oldest first; each batch its own statement. Returns the alerts deleted.
 */
export async function deleteExpiredAlerts(q: Queryable, now: number, batch: number): Promise<number> {
  const pairs = await q.query<{ env: string; priority: string; cutoff: Date }>(
    `WITH eff AS (${EFFECTIVE_RULES})
     SELECT env, priority::text AS priority, $1::timestamptz - days * interval '1 day' AS cutoff
     FROM eff WHERE days IS NOT NULL`,
    [new Date(now)],
  );
  let deleted = 0;
  for (const { env, priority, cutoff } of pairs.rows) {
    // The outer time bound lets the plan skip every partition newer than the cutoff.
    const r = await q.query<{ n: string }>(
      `WITH d AS (
         DELETE FROM alerts
         WHERE "environmentId" = $1::uuid AND priority = $2::"Priority" AND "eventTime" < $3
           AND (id, "eventTime") IN (
             SELECT id, "eventTime" FROM alerts
             WHERE "environmentId" = $1::uuid AND priority = $2::"Priority" AND "eventTime" < $3
             ORDER BY "eventTime" LIMIT $4)
         RETURNING id
       ), ${DELETE_OCCURRENCES}`,
      [env, priority, cutoff, batch],
    );
    deleted += Number(r.rows[0]?.n ?? 0);
  }
  return deleted;
}

/** How long an alert's identity (alert_ingest_keys) is kept: redeliveries come within days. */
export const ALERT_INGEST_KEY_DAYS = 30;

/** Deletes at most `batch` alert identities older than ALERT_INGEST_KEY_DAYS; returns how many. */
export async function expireAlertIngestKeys(q: Queryable, now: number, batch: number): Promise<number> {
  const r = await q.query(
    `DELETE FROM alert_ingest_keys WHERE ("environmentId", "ingestKey", rule) IN (
       SELECT "environmentId", "ingestKey", rule FROM alert_ingest_keys
       WHERE "createdAt" < $1::timestamptz - $2 * interval '1 day' ORDER BY "createdAt" LIMIT $3)`,
    [new Date(now), ALERT_INGEST_KEY_DAYS, batch],
  );
  return r.rowCount ?? 0;
}

/**
 * Bytes an organisation's alert takes, estimated: the average size of its newest 1 000 rows times
 * the alert partitions' total size (indexes, TOAST) over their table size. Not the partitions'
 * size over the alerts counted: deleted rows leave their space behind until it is reused, and
 * that ratio would grow with every deletion and delete more again.
 */
const BYTES_PER_ALERT = `
  SELECT coalesce((SELECT avg(pg_column_size(s.*)) FROM (
           SELECT * FROM alerts WHERE "organizationId" = $1::uuid ORDER BY "eventTime" DESC LIMIT 1000) s), 0)
       * coalesce((SELECT sum(pg_total_relation_size(inhrelid))::float8 / nullif(sum(pg_relation_size(inhrelid)), 0)
                   FROM pg_inherits WHERE inhparent = 'public.alerts'::regclass), 1) AS "perAlert"`;

/**
 * Deletes each organisation's oldest alerts past its limit: `maxAlerts` (the instance's
 * PEREGRINE_MAX_ALERTS_RETAINED) and its size limit (converted to alerts at the current average
 * size per alert), at most `batch` per organisation per call. Returns the alerts deleted.
 */
export async function enforceAlertLimits(q: Queryable, maxAlerts: number, batch: number): Promise<number> {
  const orgs = await q.query<{ id: string; limitBytes: string | null; n: string }>(
    `SELECT o.id, o."alertStorageLimitBytes" AS "limitBytes",
            (SELECT count(*) FROM alerts a WHERE a."organizationId" = o.id) AS n
     FROM organizations o WHERE o."deletingAt" IS NULL`,
  );
  let deleted = 0;
  for (const o of orgs.rows) {
    let limit = maxAlerts;
    if (o.limitBytes !== null && Number(o.n) > 0) {
      const r = await q.query<{ perAlert: number }>(BYTES_PER_ALERT, [o.id]);
      const perAlert = Number(r.rows[0]?.perAlert ?? 0);
      if (perAlert > 0) limit = Math.min(limit, Math.floor(Number(o.limitBytes) / perAlert));
    }
    const excess = Number(o.n) - limit;
    if (excess <= 0) continue;
    const r = await q.query<{ n: string }>(
      `WITH d AS (
         DELETE FROM alerts WHERE "organizationId" = $1::uuid AND (id, "eventTime") IN (
           SELECT id, "eventTime" FROM alerts WHERE "organizationId" = $1::uuid
           ORDER BY "eventTime", id LIMIT $2)
         RETURNING id
       ), ${DELETE_OCCURRENCES}`,
      [o.id, Math.min(batch, excess)],
    );
    deleted += Number(r.rows[0]?.n ?? 0);
  }
  return deleted;
}

/** An organisation's retention rules, size limit and what it stores (the console's settings). */
export async function getAlertRetention(db: Db, organizationId: string): Promise<AlertRetentionDto> {
  const [org, rules, usage] = await Promise.all([
    db.prisma.organization.findUnique({
      where: { id: organizationId },
      select: { alertStorageLimitBytes: true },
    }),
    db.prisma.alertRetentionRule.findMany({
      where: { organizationId },
      select: { environmentId: true, priority: true, days: true },
      orderBy: [{ days: 'asc' }, { createdAt: 'asc' }],
    }),
    db.prisma.$queryRaw<{ n: bigint; oldest: Date | null }[]>`
      SELECT (SELECT count(*) FROM alerts WHERE "organizationId" = ${organizationId}::uuid) AS n,
             (SELECT min("eventTime") FROM alerts WHERE "organizationId" = ${organizationId}::uuid) AS oldest`,
  ]);
  if (!org) throw new DbError('NOT_FOUND', 'organisation not found');
  const u = usage[0];
  const alerts = Number(u?.n ?? 0);
  const perAlert =
    alerts > 0
      ? Number(
          (await db.prisma.$queryRawUnsafe<{ perAlert: number }[]>(BYTES_PER_ALERT, organizationId))[0]
            ?.perAlert ?? 0,
        )
      : 0;
  return {
    rules: rules.map((r) => ({ environmentId: r.environmentId, priority: r.priority, days: r.days })),
    storageLimitBytes: org.alertStorageLimitBytes === null ? null : Number(org.alertStorageLimitBytes),
    usage: {
      alerts,
      estimatedBytes: Math.round(alerts * perAlert),
      oldestEventTime: u?.oldest ?? null,
    },
  };
}

/**
 * Replaces an organisation's retention rules and size limit (audited). Refuses (BAD_REQUEST) two
 * rules for the same environment and priority, or an environment of another organisation.
 */
export async function setAlertRetention(
  db: Db,
  input: {
    organizationId: string;
    rules: AlertRetentionRuleDto[];
    storageLimitBytes: number | null;
    actor: Actor;
  },
): Promise<void> {
  const seen = new Set<string>();
  for (const r of input.rules) {
    const key = `${r.environmentId ?? '*'}|${r.priority ?? '*'}`;
    if (seen.has(key)) {
      throw new DbError('INVALID', 'two retention rules for the same environment and priority');
    }
    seen.add(key);
    if (!Number.isInteger(r.days) || r.days < 1 || r.days > MAX_RETENTION_DAYS) {
      throw new DbError('INVALID', `retention days must be a whole number from 1 to ${MAX_RETENTION_DAYS}`);
    }
  }
  const envIds = [...new Set(input.rules.flatMap((r) => (r.environmentId ? [r.environmentId] : [])))];
  await db.prisma.$transaction(async (tx) => {
    const found = await tx.environment.count({
      where: { id: { in: envIds }, organizationId: input.organizationId },
    });
    if (found !== envIds.length) throw new DbError('INVALID', 'unknown environment in a retention rule');
    const before = await tx.alertRetentionRule.findMany({
      where: { organizationId: input.organizationId },
      select: { environmentId: true, priority: true, days: true },
    });
    const org = await tx.organization.update({
      where: { id: input.organizationId },
      data: {
        alertStorageLimitBytes: input.storageLimitBytes === null ? null : BigInt(input.storageLimitBytes),
      },
      select: { alertStorageLimitBytes: true },
    });
    await tx.alertRetentionRule.deleteMany({ where: { organizationId: input.organizationId } });
    await tx.alertRetentionRule.createMany({
      data: input.rules.map((r) => ({ organizationId: input.organizationId, ...r })),
    });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'organization.retention.update',
      targetType: 'organization',
      targetId: input.organizationId,
      before: { rules: before },
      after: {
        rules: input.rules,
        storageLimitBytes: org.alertStorageLimitBytes === null ? null : String(org.alertStorageLimitBytes),
      },
    });
  });
}

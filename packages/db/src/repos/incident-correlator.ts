import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import type { Priority } from '../generated/prisma/enums.js';
import { type AlertFilter, alertWhere } from './web-alerts-filter.js';

/**
 * How the correlator links and scores (the engine's incident policy, handed in by the collector:
 * this package imports no engine).
 */
export interface IncidentPolicy {
  /** Alerts this far apart (either way) in event time may link. */
  windowMs: number;
  /** What sharing an entity of a kind weighs; kinds not listed (or 0) never link. */
  weights: Readonly<Record<string, number>>;
  /** The shared weight at which an alert joins an incident. */
  threshold: number;
  /** An entity linking this many open incidents of the window is common and links none. */
  commonIncidents: number;
  /**
   * An entity named by alerts of more than this many alert groups (rule and key fields) in the
   * window (among its latest 500 alerts there) is common and links none: a NAT gateway's IP, a
   * node, a shared CI account.
   */
  commonGroups: number;
  /** Other spellings of a principal: exact values, and `emailOf` (`<x>@…` principals). */
  principalAliases(value: string): { exact: string[]; emailOf: string | null };
  scoring: IncidentScoring;
}

/** An incident's tactics and score (the engine's `incidentTactics` / `incidentScore`). */
export interface IncidentScoring {
  /** ATT&CK tactic ids, matrix order, named by tags (tactic ids such as `TA0002` included). */
  tactics(tags: readonly string[]): string[];
  score(input: { priority: Priority; tactics: number; sources: number; alerts: number }): number;
}

/** An incident the correlator created or grew in one pass. */
export interface IncidentChange {
  incidentId: string;
  organizationId: string;
  environmentId: string;
  created: boolean;
  /** Score before the pass (0 for a new one) and after. */
  previousScore: number;
  score: number;
}

export interface CorrelationResult {
  /** Queued alerts handled (placed, or gone meanwhile). */
  handled: number;
  changes: IncidentChange[];
}

/**
 * Called inside the correlator's transaction with what it changed, before the commit: whatever it
 * writes (the notification outbox) commits or rolls back with the placement.
 */
export type IncidentChangeHook = (tx: pg.PoolClient, changes: readonly IncidentChange[]) => Promise<void>;

interface QueuedRow {
  alertId: string;
  eventTime: Date;
  environmentId: string;
  organizationId: string;
}

interface AlertRow {
  id: string;
  rule: string;
  priority: Priority;
  source: string;
  tags: string[];
  eventTime: Date;
}

interface NamedEntity {
  id: string;
  kind: string;
  value: string;
  label: string | null;
}

interface IncidentRow {
  id: string;
  priority: Priority;
  tactics: string[];
  sources: string[];
  alertCount: number;
  score: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** Kinds whose entity names the incident in its title, best first. */
const TITLE_KINDS = ['pod', 'container', 'repository', 'principal', 'user', 'host', 'ip'];

/**
 * One pass of the incident correlator: claims up to `limit` queued alerts (`FOR UPDATE SKIP
 * LOCKED`: two collectors never take the same), serialises per environment on an advisory lock
 * (so two collectors never open two incidents for related alerts at once), places each alert
 * (event time order) in the open incident of its environment it shares the most weight of
 * entities with inside the window, or in a new one, and deletes the queue rows: all in one
 * transaction, so a crash places nothing and loses nothing. Alerts already placed are never
 * moved again: a split by hand stays split.
 */
export async function correlateQueuedAlerts(
  pool: pg.Pool,
  policy: IncidentPolicy,
  options: { limit?: number; onChanges?: IncidentChangeHook } = {},
): Promise<CorrelationResult> {
  const client = await pool.connect();
  // A checked-out client's connection lost between queries (the server stopped or restarted) is
  // an 'error' event on the client, which the pool's idle-client handler does not cover: without
  // a listener it is an uncaught exception that ends the collector. The query in hand fails too,
  // so the pass rolls back below and the client is destroyed, not reused.
  let lost: Error | undefined;
  const onLost = (err: Error) => {
    lost = err;
  };
  client.on('error', onLost);
  try {
    await client.query('BEGIN');
    const claimed = await client.query<QueuedRow>(
      `SELECT "alertId"::text AS "alertId", "eventTime", "environmentId"::text AS "environmentId",
              "organizationId"::text AS "organizationId"
       FROM incident_queue ORDER BY "queuedAt", "alertId" LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [options.limit ?? 200],
    );
    if (claimed.rows.length === 0) {
      await client.query('COMMIT');
      return { handled: 0, changes: [] };
    }
    const envs = [...new Set(claimed.rows.map((r) => r.environmentId))].sort();
    for (const env of envs) {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('incidents:' || $1))`, [env]);
    }
    const changes = new Map<string, IncidentChange>();
    const rows = [...claimed.rows].sort(
      (a, b) =>
        a.eventTime.getTime() - b.eventTime.getTime() || Number(BigInt(a.alertId) - BigInt(b.alertId)),
    );
    // The claim's alerts with what they name, read at once (one round trip per claim).
    const read = await client.query<AlertRow & { placed: boolean; named: NamedEntity[] }>(
      `SELECT a.id::text AS id, a.rule, a.priority::text AS priority, a.source, a.tags, a."eventTime",
              EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia."alertId" = a.id) AS placed,
              coalesce((SELECT json_agg(json_build_object('id', e.id::text, 'kind', e.kind, 'value', e.value,
                                                          'label', e.label))
                        FROM entities e
                        WHERE e.id IN (SELECT o."entityId" FROM entity_occurrences o
                                       WHERE o."alertId" = a.id AND o."environmentId" = a."environmentId")),
                       '[]'::json) AS named
       FROM alerts a
       JOIN unnest($1::bigint[], $2::timestamptz[]) AS q(id, et) ON a.id = q.id AND a."eventTime" = q.et`,
      [rows.map((r) => r.alertId), rows.map((r) => r.eventTime)],
    );
    const byId = new Map(read.rows.map((r) => [r.id, r]));
    for (const q of rows) {
      const a = byId.get(q.alertId);
      // Gone before it was correlated (retention), or placed already: nothing to do.
      if (a && !a.placed) await placeAlert(client, policy, q, a, a.named, changes);
    }
    await client.query('DELETE FROM incident_queue WHERE "alertId" = ANY($1::bigint[])', [
      claimed.rows.map((r) => r.alertId),
    ]);
    const list = [...changes.values()];
    if (options.onChanges && list.length > 0) await options.onChanges(client, list);
    await client.query('COMMIT');
    return { handled: claimed.rows.length, changes: list };
  } catch (err) {
    if (!lost) await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', onLost);
    client.release(lost);
  }
}

async function placeAlert(
  client: pg.PoolClient,
  policy: IncidentPolicy,
  q: QueuedRow,
  a: AlertRow,
  named: NamedEntity[],
  changes: Map<string, IncidentChange>,
): Promise<void> {
  const linking = named.filter((e) => (policy.weights[e.kind] ?? 0) > 0);
  // Each linking entity, with its other spellings (principals), as one logical entity.
  const groups = new Map<string, { weight: number; ids: string[] }>();
  for (const e of linking) groups.set(e.id, { weight: policy.weights[e.kind]!, ids: [e.id] });
  for (const e of linking) {
    if (e.kind !== 'principal') continue;
    const alias = policy.principalAliases(e.value);
    const found = await client.query<{ id: string }>(
      `SELECT id::text AS id FROM entities
       WHERE "environmentId" = $1::uuid AND kind = 'principal'
         AND (value = ANY($2::text[]) OR ($3::text IS NOT NULL AND left(value, length($3) + 1) = $3 || '@'))`,
      [q.environmentId, alias.exact, alias.emailOf],
    );
    groups.get(e.id)!.ids.push(...found.rows.map((r) => r.id).filter((id) => id !== e.id));
  }
  const allIds = [...groups.values()].flatMap((g) => g.ids);
  const window = `${Math.round(policy.windowMs)} milliseconds`;
  // The open incidents each entity reaches in the window, and whether the entity is common: named
  // by alerts of too many alert groups there (among its latest 500), counted only for entities
  // that reach an incident. One round trip.
  const hits =
    allIds.length === 0
      ? []
      : (
          await client.query<{ entityId: string; incidentId: string; common: boolean }>(
            `WITH hits AS (
               SELECT DISTINCT o."entityId", ia."incidentId"
               FROM entity_occurrences o
               JOIN incident_alerts ia ON ia."alertId" = o."alertId"
               JOIN incidents i ON i.id = ia."incidentId"
               WHERE o."entityId" = ANY($1::uuid[]) AND o."alertId" IS NOT NULL
                 AND o."eventTime" BETWEEN $2::timestamptz - $3::interval AND $2::timestamptz + $3::interval
                 AND i."environmentId" = $4::uuid AND i.status <> 'resolved' AND i."mergedIntoId" IS NULL
             ), common AS (
               SELECT s.id
               FROM (SELECT DISTINCT "entityId" AS id FROM hits) s
               CROSS JOIN LATERAL (
                 SELECT o."alertId", o."eventTime" FROM entity_occurrences o
                 WHERE o."entityId" = s.id AND o."alertId" IS NOT NULL
                   AND o."eventTime" BETWEEN $2::timestamptz - $3::interval AND $2::timestamptz + $3::interval
                 ORDER BY o."eventTime" DESC LIMIT 500) o
               JOIN alerts al ON al.id = o."alertId" AND al."eventTime" = o."eventTime"
               GROUP BY s.id HAVING count(DISTINCT al."groupId") > $5
             )
             SELECT h."entityId"::text AS "entityId", h."incidentId"::text AS "incidentId",
                    h."entityId" IN (SELECT id FROM common) AS common
             FROM hits h`,
            [allIds, a.eventTime, window, q.environmentId, policy.commonGroups],
          )
        ).rows;
  const common = new Set(hits.filter((h) => h.common).map((h) => h.entityId));
  const incidentsOf = new Map<string, Set<string>>();
  for (const h of hits) {
    if (common.has(h.entityId)) continue;
    const s = incidentsOf.get(h.entityId) ?? new Set<string>();
    incidentsOf.set(h.entityId, s);
    s.add(h.incidentId);
  }
  const weightOf = new Map<string, number>();
  const linkedBy = new Map<string, string[]>();
  for (const [key, g] of groups) {
    const incidents = new Set(g.ids.flatMap((id) => [...(incidentsOf.get(id) ?? [])]));
    if (incidents.size >= policy.commonIncidents) continue; // common: links nothing
    for (const inc of incidents) {
      weightOf.set(inc, (weightOf.get(inc) ?? 0) + g.weight);
      linkedBy.set(inc, [...(linkedBy.get(inc) ?? []), key]);
    }
  }
  const candidates = [...weightOf.entries()].filter(([, w]) => w >= policy.threshold);
  let target: IncidentRow | undefined;
  if (candidates.length > 0) {
    const rows = (
      await client.query<IncidentRow>(
        `SELECT id::text AS id, priority::text AS priority, tactics, sources, "alertCount", score,
                "firstSeenAt", "lastSeenAt"
         FROM incidents WHERE id = ANY($1::uuid[]) FOR UPDATE`,
        [candidates.map(([id]) => id)],
      )
    ).rows;
    // Most shared weight, then the incident closest in time.
    const distance = (r: IncidentRow) =>
      Math.max(
        0,
        r.firstSeenAt.getTime() - a.eventTime.getTime(),
        a.eventTime.getTime() - r.lastSeenAt.getTime(),
      );
    rows.sort((x, y) => weightOf.get(y.id)! - weightOf.get(x.id)! || distance(x) - distance(y));
    target = rows[0];
  }
  const priorityRank = await priorityOrder(client);
  if (target) {
    const priority = priorityRank(a.priority) < priorityRank(target.priority) ? a.priority : target.priority;
    const tactics = policy.scoring.tactics([...target.tactics, ...a.tags]);
    const sources = [...new Set([...target.sources, a.source])].sort();
    const alertCount = target.alertCount + 1;
    const score = policy.scoring.score({
      priority,
      tactics: tactics.length,
      sources: sources.length,
      alerts: alertCount,
    });
    await client.query(
      `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", "linkedBy")
       VALUES ($1, $2, $3::uuid, 'correlator', $4::uuid[])`,
      [a.id, a.eventTime, target.id, linkedBy.get(target.id) ?? []],
    );
    await client.query(
      `UPDATE incidents SET priority = $2::"Priority", tactics = $3, sources = $4, "alertCount" = $5, score = $6,
              "firstSeenAt" = LEAST("firstSeenAt", $7), "lastSeenAt" = GREATEST("lastSeenAt", $7), "updatedAt" = now()
       WHERE id = $1::uuid`,
      [target.id, priority, tactics, sources, alertCount, score, a.eventTime],
    );
    const prev = changes.get(target.id);
    changes.set(target.id, {
      incidentId: target.id,
      organizationId: q.organizationId,
      environmentId: q.environmentId,
      created: prev?.created ?? false,
      previousScore: prev?.previousScore ?? target.score,
      score,
    });
    return;
  }
  const tactics = policy.scoring.tactics(a.tags);
  const score = policy.scoring.score({
    priority: a.priority,
    tactics: tactics.length,
    sources: 1,
    alerts: 1,
  });
  const subject = TITLE_KINDS.map((k) => named.find((e) => e.kind === k)).find((e) => e !== undefined);
  const title = subject ? `${a.rule} · ${subject.label ?? subject.value}` : a.rule;
  const created = await client.query<{ id: string }>(
    `INSERT INTO incidents ("organizationId", "environmentId", title, priority, tactics, sources, "alertCount",
                            score, "firstSeenAt", "lastSeenAt")
     VALUES ($1::uuid, $2::uuid, $3, $4::"Priority", $5, $6, 1, $7, $8, $8) RETURNING id::text AS id`,
    [
      q.organizationId,
      q.environmentId,
      title.slice(0, 300),
      a.priority,
      tactics,
      [a.source],
      score,
      a.eventTime,
    ],
  );
  const id = created.rows[0]!.id;
  await client.query(
    `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", "linkedBy")
     VALUES ($1, $2, $3::uuid, 'correlator', '{}')`,
    [a.id, a.eventTime, id],
  );
  await client.query(
    `INSERT INTO incident_activities ("incidentId", kind, detail) VALUES ($1::uuid, 'created', $2::jsonb)`,
    [id, JSON.stringify({ alertId: a.id, rule: a.rule })],
  );
  changes.set(id, {
    incidentId: id,
    organizationId: q.organizationId,
    environmentId: q.environmentId,
    created: true,
    previousScore: 0,
    score,
  });
}

let priorityRanks: Map<string, number> | undefined;

/** Ranks of the Priority enum (most severe first), read once from Postgres. */
async function priorityOrder(client: pg.PoolClient): Promise<(p: string) => number> {
  if (!priorityRanks) {
    const r = await client.query<{ p: string[] }>(`SELECT enum_range(NULL::"Priority")::text[] AS p`);
    priorityRanks = new Map(r.rows[0]!.p.map((p, i) => [p, i]));
  }
  const ranks = priorityRanks;
  return (p) => ranks.get(p) ?? 99;
}

/** Queued alerts not yet correlated (metrics, tests). */
export async function countQueuedForIncidents(pool: Pick<pg.Pool, 'query'>): Promise<number> {
  const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM incident_queue');
  return Number(r.rows[0]?.n ?? 0);
}

/** The score band an escalation is owed for: a notification each time the score enters a higher ten. */
const band = (score: number) => Math.floor(score / 10);

/**
 * A route's filter as the alert list reads it (`alertWhere`): the stored JSON parsed by the caller
 * (this package does not know the wire schema), null when it does not parse (the route is skipped,
 * as alert routing skips it).
 */
export type RouteAlertFilter = Pick<
  AlertFilter,
  'environmentIds' | 'priority' | 'rules' | 'sources' | 'tags' | 'hostnames' | 'text' | 'fields'
>;

/**
 * Owes incident notifications in the correlator's transaction (an `IncidentChangeHook`): a new
 * incident, and one whose score rose into a higher band of ten, to every channel of the
 * organisation's enabled routes that send incidents and whose filter at least one of the
 * incident's alerts matches (the alert list's own conditions, `alertWhere`, so the console's
 * route preview and the list agree). Keyed `i:<incident>:new` / `i:<incident>:b<band>` per
 * channel (unique): owed once whichever collector correlates, and never again on a retry.
 */
export function incidentNotificationHook(
  routeFilter: (stored: unknown, routeId: string) => RouteAlertFilter | null,
): IncidentChangeHook {
  return async (tx, changes) => {
    const owed = changes.flatMap((c) => {
      const key = c.created
        ? `i:${c.incidentId}:new`
        : band(c.score) > band(c.previousScore)
          ? `i:${c.incidentId}:b${band(c.score)}`
          : null;
      if (key === null) return [];
      return [
        {
          org: c.organizationId,
          env: c.environmentId,
          inc: c.incidentId,
          act: c.created ? 'incident' : 'escalation',
          key,
        },
      ];
    });
    if (owed.length === 0) return;
    const routes = (
      await tx.query<{ id: string; organizationId: string; filter: unknown }>(
        `SELECT id::text AS id, "organizationId"::text AS "organizationId", filter
         FROM notification_routes
         WHERE "organizationId" = ANY($1::uuid[]) AND enabled AND "sendIncidents"
         ORDER BY "organizationId", position, id`,
        [[...new Set(owed.map((o) => o.org))]],
      )
    ).rows;
    // Per route, which of its organisation's owed incidents have an alert its filter matches: one
    // statement for every route (an EXISTS per incident stops at the first matching alert).
    const parts: Prisma.Sql[] = [];
    for (const r of routes) {
      const filter = routeFilter(r.filter, r.id);
      const incidents = [...new Set(owed.filter((o) => o.org === r.organizationId).map((o) => o.inc))];
      if (!filter || incidents.length === 0) continue;
      parts.push(Prisma.sql`
        SELECT ${r.id}::text AS "routeId", x.inc::text AS "incidentId"
        FROM unnest(${incidents}::uuid[]) AS x(inc)
        WHERE EXISTS (
          SELECT 1 FROM incident_alerts ia
          JOIN alerts a ON a.id = ia."alertId" AND a."eventTime" = ia."eventTime"
          WHERE ia."incidentId" = x.inc
            AND ${alertWhere({ ...filter, organizationId: r.organizationId }, { kind: 'scan' })})`);
    }
    if (parts.length === 0) return;
    const query = Prisma.join(parts, ' UNION ALL ');
    const matched = (await tx.query<{ routeId: string; incidentId: string }>(query.text, query.values)).rows;
    const sends = matched.flatMap((m) =>
      owed.filter((o) => o.inc === m.incidentId).map((o) => ({ ...o, route: m.routeId })),
    );
    if (sends.length === 0) return;
    await tx.query(
      `INSERT INTO notification_outbox ("organizationId", "environmentId", "channelId", "routeId", "incidentId",
                                        action, "dedupKey", "nextAttemptAt", count)
       SELECT x.org, x.env, ch.id, r.id, x.inc, x.act, x.key, now(), 1
       FROM jsonb_to_recordset($1::jsonb) AS x(org uuid, env uuid, inc uuid, act text, key text, route uuid)
       JOIN notification_routes r ON r.id = x.route AND r."organizationId" = x.org
       CROSS JOIN LATERAL unnest(r."channelIds") AS u(cid)
       JOIN notification_channels ch ON ch.id = u.cid AND ch."organizationId" = x.org AND ch.enabled
       ORDER BY ch.id, x.key, r.id
       ON CONFLICT ("channelId", "dedupKey") DO NOTHING`,
      [JSON.stringify(sends)],
    );
  };
}

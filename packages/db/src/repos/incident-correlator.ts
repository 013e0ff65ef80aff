import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import type { Priority } from '../generated/prisma/enums.js';
import { anyBetween, insertAscending } from './sorted-times.js';
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

/**
 * The shortest incident window the correlator takes: its reach reads incident_entity_buckets, five
 * minutes wide, which answer exactly for windows of half that or more.
 */
export const MIN_INCIDENT_WINDOW_MS = 150_000;

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
 *
 * The claim is placed set-wise, in a fixed number of statements whatever its size: what the
 * database knows (the claim's alerts, their entities and occurrences, principal spellings, the
 * open incidents each entity reaches in the window and whether it is common there) is read at
 * once, the alerts are placed one after another in memory (each sees the placements before it,
 * exactly as one statement per alert would), and the result is written at once.
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
    const rows = [...claimed.rows].sort(
      (a, b) =>
        a.eventTime.getTime() - b.eventTime.getTime() || Number(BigInt(a.alertId) - BigInt(b.alertId)),
    );
    // The claim's alerts with what they name and where (occurrences, event time in microseconds).
    const read = await client.query<
      AlertRow & { placed: boolean; named: NamedEntity[]; occ: [string, string][] }
    >(
      `SELECT a.id::text AS id, a.rule, a.priority::text AS priority, a.source, coalesce(a.tags, '{}') AS tags,
              a."eventTime",
              -- A probe per alert: as EXISTS the planner hashed all of incident_alerts per pass.
              coalesce((SELECT true FROM incident_alerts ia WHERE ia."alertId" = a.id), false) AS placed,
              coalesce((SELECT json_agg(json_build_object('id', e.id::text, 'kind', e.kind, 'value', e.value,
                                                          'label', e.label))
                        FROM entities e
                        WHERE e.id IN (SELECT o."entityId" FROM entity_occurrences o
                                       WHERE o."alertId" = a.id AND o."environmentId" = a."environmentId")),
                       '[]'::json) AS named,
              coalesce((SELECT json_agg(json_build_array(o."entityId"::text,
                                          ((extract(epoch FROM o."eventTime") * 1000000)::bigint)::text))
                        FROM entity_occurrences o WHERE o."alertId" = a.id),
                       '[]'::json) AS occ
       FROM alerts a
       JOIN unnest($1::bigint[], $2::timestamptz[]) AS q(id, et) ON a.id = q.id AND a."eventTime" = q.et`,
      [rows.map((r) => r.alertId), rows.map((r) => r.eventTime)],
    );
    const byId = new Map(read.rows.map((r) => [r.id, r]));
    // Gone before it was correlated (retention), or placed already: nothing to do.
    const todo = rows.flatMap((q) => {
      const a = byId.get(q.alertId);
      return a && !a.placed ? [{ q, a }] : [];
    });
    const changes =
      todo.length === 0 ? new Map<string, IncidentChange>() : await placeClaim(client, policy, todo);
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

type ClaimAlert = {
  q: QueuedRow;
  a: AlertRow & { named: NamedEntity[]; occ: [string, string][] };
};

/** An incident as the claim's placements leave it (read under FOR UPDATE, or opened by the claim). */
interface PlacedIncident extends IncidentRow {
  organizationId: string;
  environmentId: string;
  created: boolean;
  /** Score before the pass (0 for a new one). */
  previousScore: number;
  /** The order incidents were opened in (the older wins a tie). */
  rank: number;
  title: string;
  /** The alert that opened it (its activity entry). */
  opener?: { alertId: string; rule: string };
  /** Placements changed it (written back). */
  touched: boolean;
}

/**
 * Places a claim's alerts (event time order) in memory over what the database says at once, and
 * writes the result in a few statements: the same placements, alert by alert, as reading and
 * writing per alert would make.
 */
async function placeClaim(
  client: pg.PoolClient,
  policy: IncidentPolicy,
  todo: ClaimAlert[],
): Promise<Map<string, IncidentChange>> {
  const windowMs = Math.round(policy.windowMs);
  // The reach reads five-minute buckets of occurrences: exact for windows of 2.5 minutes or more.
  if (!(windowMs >= MIN_INCIDENT_WINDOW_MS))
    throw new RangeError(`incident window ${windowMs} ms: it must be at least ${MIN_INCIDENT_WINDOW_MS} ms`);
  const window = `${windowMs} milliseconds`;
  // Each alert's linking entities, each with its other spellings (principals), as one logical entity.
  const principalKeys = new Map<
    string,
    { env: string; value: string; alias: ReturnType<IncidentPolicy['principalAliases']> }
  >();
  for (const { q, a } of todo)
    for (const e of a.named)
      if (e.kind === 'principal' && (policy.weights[e.kind] ?? 0) > 0) {
        const key = `${q.environmentId}|${e.value}`;
        if (!principalKeys.has(key))
          principalKeys.set(key, {
            env: q.environmentId,
            value: e.value,
            alias: policy.principalAliases(e.value),
          });
      }
  const spellings = new Map<string, string[]>();
  if (principalKeys.size > 0) {
    const found = await client.query<{ k: string; id: string }>(
      `SELECT x.k, e.id::text AS id
       FROM jsonb_to_recordset($1::jsonb) AS x(k text, env uuid, exact text[], email text)
       JOIN entities e ON e."environmentId" = x.env AND e.kind = 'principal'
        AND (e.value = ANY(x.exact) OR (x.email IS NOT NULL AND left(e.value, length(x.email) + 1) = x.email || '@'))`,
      [
        JSON.stringify(
          [...principalKeys].map(([k, p]) => ({
            k,
            env: p.env,
            exact: p.alias.exact,
            email: p.alias.emailOf,
          })),
        ),
      ],
    );
    for (const r of found.rows) spellings.set(r.k, [...(spellings.get(r.k) ?? []), r.id]);
  }
  const plans = todo.map(({ q, a }) => {
    const groups = new Map<string, { weight: number; ids: string[] }>();
    for (const e of a.named) {
      const weight = policy.weights[e.kind] ?? 0;
      if (weight <= 0) continue;
      const others =
        e.kind === 'principal'
          ? (spellings.get(`${q.environmentId}|${e.value}`) ?? []).filter((id) => id !== e.id)
          : [];
      groups.set(e.id, { weight, ids: [e.id, ...others] });
    }
    return { q, a, groups, t: a.eventTime.getTime() };
  });
  // Where each of the claim's alerts names each entity (microseconds), in claim order.
  const occurrences = new Map<string, { us: number; at: number }[]>();
  plans.forEach((p, at) => {
    for (const [entityId, us] of p.a.occ) {
      const list = occurrences.get(entityId) ?? [];
      occurrences.set(entityId, list);
      list.push({ us: Number(us), at });
    }
  });
  const near = (us: number, t: number) => us >= (t - windowMs) * 1000 && us <= (t + windowMs) * 1000;
  // The (entity, event time) pairs the placements ask about. `batch`: an alert of the claim placed
  // before names the entity in the window, so it reaches an incident whatever the database says.
  // `shared`: one of several spellings of a principal (its commonness matters however many
  // incidents it reaches, since the others may still link).
  const pairs = new Map<
    string,
    { entity: string; t: number; env: string; batch: boolean; shared: boolean }
  >();
  const pairKey = (entity: string, t: number, env: string) => `${entity}|${t}|${env}`;
  plans.forEach((p, at) => {
    for (const g of p.groups.values())
      for (const id of g.ids) {
        const key = pairKey(id, p.t, p.q.environmentId);
        const batch = (occurrences.get(id) ?? []).some((o) => o.at < at && near(o.us, p.t));
        const shared = g.ids.length > 1;
        const prev = pairs.get(key);
        if (prev) {
          prev.batch ||= batch;
          prev.shared ||= shared;
        } else pairs.set(key, { entity: id, t: p.t, env: p.q.environmentId, batch, shared });
      }
  });
  // The open incidents each pair reaches through what is placed already (at most
  // `commonIncidents` of them: an entity reaching that many links nothing, whichever they are),
  // and which pairs are common: named by alerts of too many alert groups in the window (among
  // its latest 500). Commonness is counted only where it can change a placement: for pairs that
  // reach an incident, unless they reach so many that they link nothing anyway (and are no
  // principal's spelling). One round trip for the claim.
  const pairList = [...pairs.values()];
  const reach = new Map<number, Set<string>>();
  const common = new Set<number>();
  if (pairList.length > 0) {
    const r = await client.query<{ i: string; incidentId: string | null; common: boolean }>(
      `WITH p AS (
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::boolean[], $5::boolean[])
                       WITH ORDINALITY AS p(entity, t, env, batch, shared, i)
       ), runs AS MATERIALIZED (
         -- Each entity's pairs, in runs whose windows overlap (times at most 2w apart): one range of
         -- buckets per run, read once, instead of one per pair.
         SELECT r.entity, r.env, min(r.t) - $6::interval AS lo, max(r.t) + $6::interval AS hi
         FROM (
           SELECT q.*, sum(CASE WHEN q.gap THEN 1 ELSE 0 END) OVER (PARTITION BY q.entity, q.env ORDER BY q.t) AS run
           FROM (
             SELECT p.entity, p.env, p.t,
                    p.t - lag(p.t) OVER (PARTITION BY p.entity, p.env ORDER BY p.t) > 2 * $6::interval AS gap
             FROM p
           ) q
         ) r
         GROUP BY r.entity, r.env, r.run
       ), reached AS MATERIALIZED (
         -- Each run's buckets of open incidents (incident_entity_buckets: the earliest and latest
         -- time the entity occurs among an incident's alerts per five minutes), read once. A
         -- bucket's times lie within five minutes, so for w >= 2.5 minutes a time is within w of one
         -- of them exactly when it lies in [lo - w, hi + w]; buckets starting from five minutes
         -- before the run hold every occurrence in it.
         -- The buckets are probed per run (a lateral subquery kept apart by OFFSET 0) and each
         -- incident by its key (a scalar subquery): without statistics (a fresh installation,
         -- autovacuum off) the planner paired every run with every open incident first and probed
         -- the buckets 620 000 times, 1.8 s a pass (docs/BENCHMARKS.md, twelfth stop).
         SELECT r.entity, r.env, b.inc, b.lo, b.hi
         FROM runs r
         CROSS JOIN LATERAL (
           SELECT b."incidentId" AS inc, b.lo, b.hi FROM incident_entity_buckets b
           WHERE b."entityId" = r.entity AND b.bucket >= r.lo - interval '5 minutes' AND b.bucket <= r.hi
           OFFSET 0
         ) b
         WHERE (SELECT i."environmentId" = r.env AND i.status <> 'resolved' AND i."mergedIntoId" IS NULL
                FROM incidents i WHERE i.id = b.inc)
       ), hits AS MATERIALIZED (
         -- At most $8 incidents per pair (an entity reaching that many links nothing, whichever
         -- they are).
         SELECT x.i, x.inc AS "incidentId"
         FROM (
           SELECT p.i, rb.inc, row_number() OVER (PARTITION BY p.i ORDER BY rb.inc) AS k
           FROM p
           JOIN reached rb ON rb.entity = p.entity AND rb.env = p.env
            AND p.t BETWEEN rb.lo - $6::interval AND rb.hi + $6::interval
           GROUP BY p.i, rb.inc
         ) x
         WHERE x.k <= $8
       ), asked AS MATERIALIZED (
         SELECT p.* FROM p
         LEFT JOIN (SELECT h.i, count(*) AS n FROM hits h GROUP BY h.i) c ON c.i = p.i
         WHERE (p.batch OR c.n > 0) AND (p.shared OR coalesce(c.n, 0) < $8)
       ), spans AS MATERIALIZED (
         -- Once per entity, the answer every asked pair of it shares when their windows hold the
         -- same latest 500 occurrences (entity_alert_groups_span; NULL when they may not).
         SELECT s.entity, entity_alert_groups_span(s.entity, min(s.t), max(s.t), $6::interval, 500) AS groups
         FROM asked s GROUP BY s.entity
       ), common AS (
         -- The alert groups of the entity's latest 500 alerts in the window: the span's answer, or
         -- per pair (entity_alert_groups: the primary key read backwards, stopping at 500).
         SELECT s.i
         FROM asked s JOIN spans sp ON sp.entity = s.entity
         WHERE coalesce(sp.groups, entity_alert_groups(s.entity, s.t - $6::interval, s.t + $6::interval, 500)) > $7
       )
       SELECT h.i::text AS i, h."incidentId"::text AS "incidentId", false AS common FROM hits h
       UNION ALL
       SELECT c.i::text, NULL, true FROM common c`,
      [
        pairList.map((x) => x.entity),
        pairList.map((x) => new Date(x.t)),
        pairList.map((x) => x.env),
        pairList.map((x) => x.batch),
        pairList.map((x) => x.shared),
        window,
        policy.commonGroups,
        Math.max(1, policy.commonIncidents),
      ],
    );
    for (const row of r.rows) {
      const i = Number(row.i) - 1;
      if (row.common) common.add(i);
      else if (row.incidentId) {
        const set = reach.get(i) ?? new Set<string>();
        reach.set(i, set);
        set.add(row.incidentId);
      }
    }
  }
  const pairIndex = new Map(pairList.map((x, i) => [pairKey(x.entity, x.t, x.env), i]));
  // The incidents reached, locked (in id order) and read once.
  const incidents = new Map<string, PlacedIncident>();
  const reached = [...new Set([...reach.values()].flatMap((s) => [...s]))].sort();
  if (reached.length > 0) {
    const locked = await client.query<
      IncidentRow & { organizationId: string; environmentId: string; title: string; createdAt: Date }
    >(
      `SELECT id::text AS id, priority::text AS priority, tactics, sources, "alertCount", score,
              "firstSeenAt", "lastSeenAt", "organizationId"::text AS "organizationId",
              "environmentId"::text AS "environmentId", title, "createdAt"
       FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [reached],
    );
    locked.rows
      .sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1))
      .forEach((r, rank) => {
        const { createdAt: _, ...row } = r;
        incidents.set(r.id, { ...row, created: false, previousScore: r.score, rank, touched: false });
      });
  }
  const priorityRank = await priorityOrder(client);
  // Which incident each of the claim's alerts joined (index in `plans`), as placed.
  const placedIn: string[] = [];
  const links: {
    alertId: string;
    eventTime: Date;
    incidentId: string;
    linkedBy: string[];
    tags: string[];
  }[] = [];
  const changes = new Map<string, IncidentChange>();
  // The occurrences of the claim's alerts placed so far, per entity and the incident their alert
  // joined: their times (µs), ascending. An alert reaches such an incident when one of them is in
  // its window: a search per incident, where scanning every earlier occurrence of the entity made
  // a claim quadratic (1,000 alerts naming one host: half a million steps per entity).
  const placedTimes = new Map<string, Map<string, number[]>>();
  plans.forEach((p, at) => {
    const { q, a } = p;
    const incidentsOf = (id: string): Set<string> => {
      const i = pairIndex.get(pairKey(id, p.t, q.environmentId));
      if (i === undefined || common.has(i)) return new Set();
      const out = new Set(reach.get(i) ?? []);
      const byIncident = placedTimes.get(id);
      if (byIncident !== undefined) {
        const lo = (p.t - windowMs) * 1000;
        const hi = (p.t + windowMs) * 1000;
        for (const [incident, times] of byIncident) if (anyBetween(times, lo, hi)) out.add(incident);
      }
      return out;
    };
    const weightOf = new Map<string, number>();
    const linkedBy = new Map<string, string[]>();
    for (const [key, g] of p.groups) {
      const reachedBy = new Set(g.ids.flatMap((id) => [...incidentsOf(id)]));
      if (reachedBy.size >= policy.commonIncidents) continue; // common: links nothing
      for (const inc of reachedBy) {
        weightOf.set(inc, (weightOf.get(inc) ?? 0) + g.weight);
        linkedBy.set(inc, [...(linkedBy.get(inc) ?? []), key]);
      }
    }
    // Most shared weight, then the incident closest in time, then the one seen first, then the older.
    const distance = (r: PlacedIncident) =>
      Math.max(0, r.firstSeenAt.getTime() - p.t, p.t - r.lastSeenAt.getTime());
    const target = [...weightOf.entries()]
      .filter(([, w]) => w >= policy.threshold)
      // An incident deleted since the reach was read (its organisation purged) is not there.
      .flatMap(([id]) => incidents.get(id) ?? [])
      .sort(
        (x, y) =>
          weightOf.get(y.id)! - weightOf.get(x.id)! ||
          distance(x) - distance(y) ||
          x.firstSeenAt.getTime() - y.firstSeenAt.getTime() ||
          x.rank - y.rank,
      )[0];
    if (target) {
      target.priority =
        priorityRank(a.priority) < priorityRank(target.priority) ? a.priority : target.priority;
      target.tactics = policy.scoring.tactics([...target.tactics, ...a.tags]);
      target.sources = [...new Set([...target.sources, a.source])].sort();
      target.alertCount += 1;
      target.score = policy.scoring.score({
        priority: target.priority,
        tactics: target.tactics.length,
        sources: target.sources.length,
        alerts: target.alertCount,
      });
      if (a.eventTime < target.firstSeenAt) target.firstSeenAt = a.eventTime;
      if (a.eventTime > target.lastSeenAt) target.lastSeenAt = a.eventTime;
      target.touched = true;
      placedIn.push(target.id);
      links.push({
        alertId: a.id,
        eventTime: a.eventTime,
        incidentId: target.id,
        linkedBy: linkedBy.get(target.id) ?? [],
        tags: a.tags,
      });
    } else {
      const tactics = policy.scoring.tactics(a.tags);
      const subject = TITLE_KINDS.map((k) => a.named.find((e) => e.kind === k)).find((e) => e !== undefined);
      const title = subject ? `${a.rule} · ${subject.label ?? subject.value}` : a.rule;
      const opened: PlacedIncident = {
        id: randomUUID(),
        organizationId: q.organizationId,
        environmentId: q.environmentId,
        title: title.slice(0, 300),
        priority: a.priority,
        tactics,
        sources: [a.source],
        alertCount: 1,
        score: policy.scoring.score({ priority: a.priority, tactics: tactics.length, sources: 1, alerts: 1 }),
        firstSeenAt: a.eventTime,
        lastSeenAt: a.eventTime,
        created: true,
        previousScore: 0,
        rank: incidents.size,
        opener: { alertId: a.id, rule: a.rule },
        touched: true,
      };
      incidents.set(opened.id, opened);
      placedIn.push(opened.id);
      links.push({
        alertId: a.id,
        eventTime: a.eventTime,
        incidentId: opened.id,
        linkedBy: [],
        tags: a.tags,
      });
    }
    const inc = incidents.get(placedIn[at]!)!;
    for (const [entityId, us] of a.occ) {
      let byIncident = placedTimes.get(entityId);
      if (byIncident === undefined) {
        byIncident = new Map();
        placedTimes.set(entityId, byIncident);
      }
      let times = byIncident.get(inc.id);
      if (times === undefined) {
        times = [];
        byIncident.set(inc.id, times);
      }
      insertAscending(times, Number(us));
    }
    changes.set(inc.id, {
      incidentId: inc.id,
      organizationId: q.organizationId,
      environmentId: q.environmentId,
      created: inc.created,
      previousScore: inc.previousScore,
      score: inc.score,
    });
  });
  const touched = [...incidents.values()].filter((i) => i.touched);
  const record = (i: PlacedIncident) => ({
    id: i.id,
    org: i.organizationId,
    env: i.environmentId,
    title: i.title,
    priority: i.priority,
    tactics: i.tactics,
    sources: i.sources,
    n: i.alertCount,
    score: i.score,
    first: i.firstSeenAt.toISOString(),
    last: i.lastSeenAt.toISOString(),
  });
  const opened = touched.filter((i) => i.created);
  if (opened.length > 0) {
    await client.query(
      `INSERT INTO incidents (id, "organizationId", "environmentId", title, priority, tactics, sources, "alertCount",
                              score, "firstSeenAt", "lastSeenAt")
       SELECT x.id, x.org, x.env, x.title, x.priority::"Priority", x.tactics, x.sources, x.n, x.score, x.first, x.last
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, org uuid, env uuid, title text, priority text, tactics text[],
                                               sources text[], n int, score int, first timestamptz, last timestamptz)`,
      [JSON.stringify(opened.map(record))],
    );
  }
  const grown = touched.filter((i) => !i.created);
  if (grown.length > 0) {
    await client.query(
      `UPDATE incidents i SET priority = x.priority::"Priority", tactics = x.tactics, sources = x.sources,
              "alertCount" = x.n, score = x.score, "firstSeenAt" = LEAST(i."firstSeenAt", x.first),
              "lastSeenAt" = GREATEST(i."lastSeenAt", x.last), "updatedAt" = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, priority text, tactics text[], sources text[], n int,
                                               score int, first timestamptz, last timestamptz)
       WHERE i.id = x.id`,
      [JSON.stringify(grown.map(record))],
    );
  }
  await client.query(
    `INSERT INTO incident_alerts ("alertId", "eventTime", "incidentId", "addedBy", "linkedBy", tags)
     SELECT x.id, x.t, x.inc, 'correlator', x.linked, coalesce(x.tags, '{}')
     FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, t timestamptz, inc uuid, linked uuid[], tags text[])`,
    [
      JSON.stringify(
        links.map((l) => ({
          id: l.alertId,
          t: l.eventTime.toISOString(),
          inc: l.incidentId,
          linked: l.linkedBy,
          tags: l.tags,
        })),
      ),
    ],
  );
  if (opened.length > 0) {
    await client.query(
      `INSERT INTO incident_activities ("incidentId", kind, detail)
       SELECT x.id, 'created', x.detail FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, detail jsonb)`,
      [JSON.stringify(opened.map((i) => ({ id: i.id, detail: i.opener })))],
    );
  }
  return changes;
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

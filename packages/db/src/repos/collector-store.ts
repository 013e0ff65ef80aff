import pg from 'pg';
import type { Db } from '../client.js';
import { retryWhileUnavailable } from '../errors.js';
import {
  deleteExpiredAlerts,
  expireAlertIngestKeys,
  dropExpiredAlertPartitions,
  enforceAlertLimits,
  ensureAlertPartitions,
} from './alert-retention.js';
import type { Priority } from '../generated/prisma/enums.js';
import {
  type CorrelationResult,
  correlateQueuedAlerts,
  type IncidentChangeHook,
  type IncidentPolicy,
} from './incident-correlator.js';
import { stringifyRecordExact } from './json-exact.js';
import { rawEventMembers } from './raw-event-members.js';
import { poolConfig } from '../client.js';

/** One alert to store (already evaluated and keyed by the collector). */
export interface AlertInput {
  rule: string;
  priority: Priority;
  source: string;
  output: string;
  outputFields: Record<string, unknown>;
  tags: string[];
  hostname: string | null;
  eventTime: Date;
  dedupKey: string;
  /** Identity of the producing event: (environment, ingestKey, rule) is stored at most once. */
  ingestKey: string;
  /**
   * Channels the alert's routes send it to: owed in the same statement that stores it (the
   * notification outbox), once per (alert group, channel, throttle window).
   */
  notify?: readonly NotifyTarget[] | undefined;
  /** What the alert names (the engine's `alertEntities`): stored with it, in the same statement. */
  entities?: readonly EntityInput[] | undefined;
}

/** One entity an alert or raw event names: kind, normalized value and an optional label. */
export interface EntityInput {
  kind: string;
  value: string;
  label?: string | undefined;
}

/** One channel an alert is owed to (from the organisation's routes). */
export interface NotifyTarget {
  channelId: string;
  routeId: string;
  /** Length of the throttle window; 0: one notification per alert. */
  throttleSeconds: number;
  /**
   * Set when the alert goes into a digest instead (the route's digest period, or the quiet-hours
   * window that holds it): one row per (channel, key), due at `due`, listing its alerts. For a
   * channel that cannot take a digest (PagerDuty, Opsgenie), `deferred`: one trigger per
   * (channel, key, alert group), due at `due`, counting the group's alerts held in the window.
   */
  digest?: NotifyDigest | undefined;
}

/** The digest row an alert is owed in. */
export interface NotifyDigest {
  /** `d:<route>:<period start ms>` or `q:<route>:<window end ms>`: unique per channel. */
  key: string;
  /** `digest`: the route's schedule; `held`: quiet hours; `deferred`: quiet hours, per group. */
  action: 'digest' | 'held' | 'deferred';
  start: Date;
  end: Date;
  /** When it may be sent: the end, plus a grace for batches still being stored. */
  due: Date;
}

/** One raw event kept for backtesting. */
export interface RawEventInput {
  source: string;
  eventTime: Date;
  payload: unknown;
  /** Identity of the event: (environment, ingestKey) is stored at most once. */
  ingestKey: string;
  /** What the event names (the engine's `rawEventEntities`): stored with it, in the same statement. */
  entities?: readonly EntityInput[] | undefined;
}

/** A batch of work committed in one transaction. */
export interface StoreBatchInput {
  organizationId: string;
  environmentId: string;
  sensorId?: string;
  cloudSourceId?: string;
  /** Sensor batches: recorded in ingest_batches in the same transaction (needs sensorId). */
  batchId?: string;
  eventCount: number;
  alerts: AlertInput[];
  rawEvents?: RawEventInput[];
}

/** An alert as committed (only newly inserted ones; re-delivered ones are left out). */
export interface StoredAlert extends AlertInput {
  id: string;
  groupId: string;
  organizationId: string;
  environmentId: string;
  sensorId: string | null;
  cloudSourceId: string | null;
  createdAt: Date;
}

export type StoreBatchResult =
  | { duplicate: true }
  | {
      duplicate: false;
      stored: StoredAlert[];
      /** Alerts already stored (same environment, ingest key and rule): left out. */
      skipped: number;
      /** Raw events already stored (same environment and ingest key): left out. */
      rawDuplicates: number;
    };

/** The collector's write path: plain SQL over a pg pool, one statement (and commit) per call. */
export interface CollectorStore {
  storeBatch(input: StoreBatchInput): Promise<StoreBatchResult>;
  /**
   * Several batches of one organisation and environment in one statement (results in order):
   * callers coalesce batches that arrive while a statement runs, so hot alert-group rows are
   * locked once per statement instead of once per batch.
   */
  storeBatches(inputs: readonly StoreBatchInput[]): Promise<StoreBatchResult[]>;
  /** True when the sensor batch was already committed. */
  isBatchSeen(sensorId: string, batchId: string): Promise<boolean>;
  /** Deletes raw events received before `before`, at most `limit` rows per call; returns the count. */
  pruneRawEvents(before: Date, limit?: number): Promise<number>;
  /**
   * Forgets entities first seen before `before` that no occurrence names any more (their alerts
   * and raw events are gone), at most `limit` per call; returns the count.
   */
  pruneEntities(before: Date, limit?: number): Promise<number>;
  /** Forgets sensor batch ids received before `before` (past any sensor's resend horizon). */
  pruneIngestBatches(before: Date, limit?: number): Promise<number>;
  /**
   * Deletes finished notifications (delivered or dead) last changed before `before`: past every
   * throttle window (at most 7 days), so no owed notification's key is forgotten too early.
   */
  pruneNotifications(before: Date, limit?: number): Promise<number>;
  /**
   * Alert storage upkeep (see alert-retention.ts): partitions created ahead, weeks past every
   * rule dropped, the remainder past its rule and the excess over each organisation's limits
   * deleted in batches.
   */
  ensureAlertPartitions(now: number, weeksAhead: number): Promise<string[]>;
  dropExpiredAlertPartitions(now: number): Promise<{ partition: string; alerts: number }[]>;
  deleteExpiredAlerts(now: number, batch: number): Promise<number>;
  enforceAlertLimits(maxAlerts: number, batch: number): Promise<number>;
  /** Alert identities (redelivery guard) past ALERT_INGEST_KEY_DAYS, at most `batch`. */
  expireAlertIngestKeys(now: number, batch: number): Promise<number>;
  /** One pass of the incident correlator over queued alerts (see incident-correlator.ts). */
  correlateIncidents(
    policy: IncidentPolicy,
    options?: { limit?: number; onChanges?: IncidentChangeHook },
  ): Promise<CorrelationResult>;
  close(): Promise<void>;
}

export interface CollectorStoreOptions {
  /** Pool size (default 8). */
  max?: number;
  /**
   * Called when the last-resort net (`repairJsonText`) replaced characters Postgres refuses in a
   * statement's documents: some ingest path did not clean its input, which deserves a warning.
   */
  onRepairedText?(replaced: number): void;
}

/** Opens the collector's write path on its own pool. */
export function createCollectorStore(url: string, options: CollectorStoreOptions = {}): CollectorStore {
  const pool = new pg.Pool(poolConfig(url, { max: options.max ?? 8 }));
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor may a checked-out one's (the incident correlator's transaction), which can come in the
  // very tick the pool hands the client over: the failed query reports it already.
  pool.on('connect', (client) => client.on('error', () => {}));
  const onRepaired = options.onRepairedText ?? (() => {});
  return {
    storeBatch: async (input) => (await storeBatches(pool, [input], onRepaired))[0]!,
    storeBatches: (inputs) => storeBatches(pool, inputs, onRepaired),
    async isBatchSeen(sensorId, batchId) {
      // Batches split in transit are stored as `<batchId>/<part>/<parts>`: a range scan on the
      // primary key finds them ('0' sorts right after '/'). A read: safe to retry on a fresh
      // connection when a pooled one turns out to have been terminated.
      const r = await retryWhileUnavailable(() =>
        pool.query(
          `SELECT 1 FROM ingest_batches WHERE "sensorId" = $1::uuid
           AND ("batchId" = $2 OR ("batchId" > $2 || '/' AND "batchId" < $2 || '0')) LIMIT 1`,
          [sensorId, batchId],
        ),
      );
      return (r.rowCount ?? 0) > 0;
    },
    async pruneRawEvents(before, limit = 10_000) {
      // The events' entity occurrences go in the same statement.
      const r = await pool.query<{ n: string }>(
        `WITH d AS (
           DELETE FROM raw_events WHERE id IN
             (SELECT id FROM raw_events WHERE "receivedAt" < $1 ORDER BY "receivedAt" LIMIT $2)
           RETURNING id
         ), o AS (
           DELETE FROM entity_occurrences WHERE "rawEventId" IN (SELECT id FROM d) RETURNING 1
         )
         SELECT (SELECT count(*) FROM d) AS n, (SELECT count(*) FROM o) AS o`,
        [before, limit],
      );
      return Number(r.rows[0]?.n ?? 0);
    },
    async pruneEntities(before, limit = 10_000) {
      const r = await pool.query(
        `DELETE FROM entities WHERE id IN (
           SELECT e.id FROM entities e WHERE e."firstSeenAt" < $1
             AND NOT EXISTS (SELECT 1 FROM entity_occurrences o WHERE o."entityId" = e.id)
           LIMIT $2)`,
        [before, limit],
      );
      return r.rowCount ?? 0;
    },
    async pruneIngestBatches(before, limit = 10_000) {
      const r = await pool.query(
        `DELETE FROM ingest_batches WHERE ctid IN
           (SELECT ctid FROM ingest_batches WHERE "receivedAt" < $1 LIMIT $2)`,
        [before, limit],
      );
      return r.rowCount ?? 0;
    },
    async pruneNotifications(before, limit = 10_000) {
      const r = await pool.query(
        `DELETE FROM notification_outbox WHERE id IN
           (SELECT id FROM notification_outbox WHERE status IN ('delivered', 'dead') AND "updatedAt" < $1
            LIMIT $2)`,
        [before, limit],
      );
      return r.rowCount ?? 0;
    },
    ensureAlertPartitions: (now, weeksAhead) => ensureAlertPartitions(pool, now, weeksAhead),
    dropExpiredAlertPartitions: (now) => dropExpiredAlertPartitions(pool, now),
    deleteExpiredAlerts: (now, batch) => deleteExpiredAlerts(pool, now, batch),
    enforceAlertLimits: (maxAlerts, batch) => enforceAlertLimits(pool, maxAlerts, batch),
    expireAlertIngestKeys: (now, batch) => expireAlertIngestKeys(pool, now, batch),
    correlateIncidents: (policy, opts) => correlateQueuedAlerts(pool, policy, opts),
    close: () => pool.end(),
  };
}

/**
 * Several batches of one environment in one statement (one round trip, one commit):
 * data-modifying CTEs record the sensor batch ids, insert the alerts and the raw events, then
 * upsert the alert groups with the count of the alerts really inserted. Rows of a sensor batch
 * whose id is already recorded are left out, so a re-sent batch changes nothing; an alert whose
 * (environment, ingestKey, rule) is already stored is skipped by the unique index and not counted,
 * so re-delivered events never inflate a group.
 *
 * Groups are upserted last so their rows (hot: every batch of an environment touches the same
 * few) stay locked only for the end of the statement and the commit, and several statements of one
 * environment can run at once. That needs each alert's group id before the group is written: an
 * existing group's id, else one derived from (environment, dedupKey), which the upsert then uses.
 */
const STORE_BATCHES_SQL = `
WITH b AS (
  INSERT INTO ingest_batches ("sensorId", "batchId", "eventCount", "alertCount")
  SELECT x.s::uuid, x.b, x.e, x.a FROM jsonb_to_recordset($3::jsonb) AS x(s text, b text, e int, a int)
  ON CONFLICT DO NOTHING RETURNING "sensorId"::text AS s, "batchId" AS b
), input AS (
  SELECT t.*
  FROM jsonb_to_recordset($4::jsonb)
       AS t(r text, p text, s text, o text, f jsonb, tg text[], h text, et timestamptz, k text, ik text,
            n bigint, sid text, cid text, b text, nt jsonb, en jsonb)
  WHERE t.b IS NULL OR EXISTS (SELECT 1 FROM b WHERE b.s = t.sid AND b.b = t.b)
), keys AS (
  SELECT k, min(r) AS r, min(p) AS p, min(s) AS s FROM input GROUP BY k
), ids AS (
  SELECT keys.*, coalesce(e.id, md5($2::text || ':' || keys.k)::uuid) AS id
  FROM keys LEFT JOIN alert_groups e ON e."environmentId" = $2::uuid AND e."dedupKey" = keys.k
), fresh AS (
  -- Identities first (alert_ingest_keys, unpartitioned): an alert is stored only when its
  -- (environment, ingest key, rule) is new, whatever its time; a concurrent store of the same key
  -- waits here for the other's commit and then stores nothing.
  INSERT INTO alert_ingest_keys ("environmentId", "ingestKey", rule)
  SELECT DISTINCT $2::uuid, t.ik, t.r FROM input t
  ORDER BY 2, 3
  ON CONFLICT DO NOTHING
  RETURNING "ingestKey", rule
), ins AS (
  INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields",
                      tags, hostname, "eventTime", "sensorId", "cloudSourceId", "dedupKey", "groupId", "ingestKey")
  SELECT $1::uuid, $2::uuid, t.r, t.p::"Priority", t.s, t.o, t.f, coalesce(t.tg, '{}'), t.h, t.et,
         t.sid::uuid, t.cid::uuid, t.k, ids.id, t.ik
  FROM (SELECT DISTINCT ON (ik, r) * FROM input ORDER BY ik, r, n) t
       JOIN ids ON ids.k = t.k
       JOIN fresh ON fresh."ingestKey" = t.ik AND fresh.rule = t.r
  ORDER BY t.n
  ON CONFLICT ("environmentId", "ingestKey", rule, "eventTime") DO NOTHING
  RETURNING id, "ingestKey", rule, "groupId", "createdAt", "dedupKey", "eventTime", output, source
), counted AS (
  SELECT "dedupKey" AS k, count(*) AS c, min("eventTime") AS f, max("eventTime") AS l,
         (array_agg(output ORDER BY "eventTime" DESC, id DESC))[1] AS o
  FROM ins GROUP BY "dedupKey"
), g AS (
  INSERT INTO alert_groups (id, "organizationId", "environmentId", "dedupKey", rule, priority, source,
                            count, "firstSeenAt", "lastSeenAt", "lastOutput")
  SELECT ids.id, $1::uuid, $2::uuid, c.k, ids.r, ids.p::"Priority", ids.s, c.c, c.f, c.l, c.o
  FROM counted c JOIN ids ON ids.k = c.k
  ORDER BY c.k
  ON CONFLICT ("environmentId", "dedupKey") DO UPDATE SET
    count = alert_groups.count + EXCLUDED.count,
    "firstSeenAt" = LEAST(alert_groups."firstSeenAt", EXCLUDED."firstSeenAt"),
    "lastSeenAt" = GREATEST(alert_groups."lastSeenAt", EXCLUDED."lastSeenAt"),
    "lastOutput" = CASE WHEN EXCLUDED."lastSeenAt" >= alert_groups."lastSeenAt"
                        THEN EXCLUDED."lastOutput" ELSE alert_groups."lastOutput" END
  RETURNING 1
), owed AS (
  -- The notification outbox: one row per (channel, group, throttle window) for the alerts really
  -- inserted; later alerts of the window add to its count (a row already delivered keeps the
  -- count of what was folded in). A digest's alerts (dk given by the collector) share one row
  -- per (channel, route, period) instead; a trigger held by quiet hours (deferred) one row per
  -- (channel, window, group). Grouped first: one statement may not update a row twice.
  SELECT y.c, min(y.r) AS r, y.g, min(y.a) AS a, count(*) AS n, min(y.ws) AS ws, y.dk,
         min(y.act) AS act, max(y.we) AS we, max(y.due) AS due, array_agg(y.a) AS ids
  FROM (
    SELECT x.c, x.r, CASE WHEN x.dk IS NULL OR x.act = 'deferred' THEN ins."groupId" END AS g, ins.id AS a,
           CASE WHEN x.dk IS NOT NULL THEN x.ws
                WHEN x.w > 0 THEN to_timestamp(floor(extract(epoch FROM now()) / x.w) * x.w) END AS ws,
           CASE WHEN x.act = 'deferred' THEN x.dk || ':' || ins."groupId"
                WHEN x.dk IS NOT NULL THEN x.dk
                WHEN x.w > 0 THEN 't:' || ins."groupId" || ':' || floor(extract(epoch FROM now()) / x.w) * x.w
                ELSE 'a:' || ins.id END AS dk,
           coalesce(x.act, 'trigger') AS act, x.we, x.due
    FROM ins
    JOIN (SELECT DISTINCT ON (ik, r) ik, r, nt FROM input WHERE nt IS NOT NULL) t
      ON t.ik = ins."ingestKey" AND t.r = ins.rule
    CROSS JOIN LATERAL jsonb_to_recordset(t.nt)
      AS x(c text, r text, w int, dk text, act text, ws timestamptz, we timestamptz, due timestamptz)
  ) y
  GROUP BY y.c, y.g, y.dk
), keyed AS (
  -- A digest already claimed or sent when its alerts are stored (a batch held past the grace,
  -- in the spool through a database outage) cannot take them any more: they go into a late
  -- digest of their own, due at once, so none is lost.
  SELECT owed.*,
         CASE WHEN owed.act <> 'trigger' AND EXISTS (
                SELECT 1 FROM notification_outbox o
                WHERE o."channelId" = owed.c::uuid AND o."dedupKey" = owed.dk AND o.status <> 'queued')
              THEN owed.dk || ':late:' || floor(extract(epoch FROM statement_timestamp()) * 1000)
              ELSE owed.dk END AS key,
         owed.act <> 'trigger' AND EXISTS (
                SELECT 1 FROM notification_outbox o
                WHERE o."channelId" = owed.c::uuid AND o."dedupKey" = owed.dk AND o.status <> 'queued') AS late
  FROM owed
), notify AS (
  INSERT INTO notification_outbox ("organizationId", "environmentId", "channelId", "routeId", "groupId",
                                   "alertId", action, "dedupKey", "windowStart", "windowEnd", "nextAttemptAt",
                                   count)
  SELECT $1::uuid, CASE WHEN k.act IN ('trigger', 'deferred') THEN $2::uuid END, k.c::uuid, k.r::uuid, k.g,
         CASE WHEN k.act IN ('trigger', 'deferred') THEN k.a END, k.act, k.key,
         k.ws, k.we, CASE WHEN k.late OR k.due IS NULL THEN now() ELSE k.due END, k.n
  FROM keyed k JOIN notification_channels ch ON ch.id = k.c::uuid AND ch."organizationId" = $1::uuid
  ORDER BY k.c, k.key
  ON CONFLICT ("channelId", "dedupKey") DO UPDATE SET
    count = notification_outbox.count + EXCLUDED.count,
    "updatedAt" = now()
  RETURNING id, "channelId", "dedupKey", action
), members AS (
  INSERT INTO notification_digest_alerts ("outboxId", "alertId")
  SELECT notify.id, m.a
  FROM notify JOIN keyed k ON k.c::uuid = notify."channelId" AND k.key = notify."dedupKey"
  CROSS JOIN LATERAL unnest(k.ids) AS m(a)
  WHERE notify.action IN ('digest', 'held')
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING
  RETURNING 1
), rawin AS (
  SELECT x.* FROM jsonb_to_recordset($5::jsonb)
       AS x(s text, et timestamptz, p jsonb, m text[], ik text, n bigint, sid text, cid text, b text, en jsonb)
  WHERE x.b IS NULL OR EXISTS (SELECT 1 FROM b WHERE b.s = x.sid AND b.b = x.b)
), raw AS (
  INSERT INTO raw_events ("organizationId", "environmentId", source, "cloudSourceId", "sensorId", "eventTime",
                          payload, members, "ingestKey")
  SELECT $1::uuid, $2::uuid, x.s, x.cid::uuid, x.sid::uuid, x.et, x.p, x.m, x.ik
  FROM rawin x
  ORDER BY x.n
  ON CONFLICT ("environmentId", "ingestKey") DO NOTHING
  RETURNING id, "ingestKey", "eventTime", source
), named AS (
  -- What the alerts and raw events really inserted name (a redelivery inserted nothing, so it
  -- names nothing again): one row per (entity, alert or raw event).
  SELECT x.kind, x.value, x.label, ins.id AS aid, NULL::bigint AS rid, ins."eventTime" AS et, ins.source AS s
  FROM ins
  JOIN (SELECT DISTINCT ON (ik, r) ik, r, en FROM input WHERE en IS NOT NULL ORDER BY ik, r, n) t
    ON t.ik = ins."ingestKey" AND t.r = ins.rule
  CROSS JOIN LATERAL jsonb_to_recordset(t.en) AS x(kind text, value text, label text)
  UNION ALL
  SELECT x.kind, x.value, x.label, NULL::bigint, raw.id, raw."eventTime", raw.source
  FROM raw
  JOIN (SELECT DISTINCT ON (ik) ik, en FROM rawin WHERE en IS NOT NULL ORDER BY ik, n) t ON t.ik = raw."ingestKey"
  CROSS JOIN LATERAL jsonb_to_recordset(t.en) AS x(kind text, value text, label text)
), keyed_entities AS (
  SELECT md5($2::text || ':' || n.kind || ':' || n.value)::uuid AS id, n.* FROM named n
), entity_rows AS (
  -- In id order, so two statements inserting the same new entities never wait on each other in a cycle.
  INSERT INTO entities (id, "organizationId", "environmentId", kind, value, label)
  SELECT DISTINCT ON (id) id, $1::uuid, $2::uuid, kind, value, label FROM keyed_entities ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING 1
), occurrences AS (
  INSERT INTO entity_occurrences ("entityId", "eventTime", "environmentId", source, "alertId", "rawEventId")
  SELECT id, et, $2::uuid, s, aid, rid FROM keyed_entities
  RETURNING 1
), correlate AS (
  -- Alerts that name something wait for the incident correlator (incident-correlator.ts), which
  -- deletes them from here in the transaction that places them.
  INSERT INTO incident_queue ("alertId", "eventTime", "organizationId", "environmentId")
  SELECT DISTINCT aid, et, $1::uuid, $2::uuid FROM named WHERE aid IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT coalesce((SELECT json_agg(json_build_object('s', s, 'b', b)) FROM b), '[]'::json) AS fresh,
       coalesce((SELECT json_agg(json_build_object('id', id::text, 'ik', "ingestKey", 'r', rule,
                                                   'g', "groupId"::text, 'c', "createdAt"))
                 FROM ins), '[]'::json) AS rows,
       coalesce((SELECT json_agg("ingestKey") FROM raw), '[]'::json) AS raw,
       (SELECT count(*) FROM occurrences) AS occurrences,
       (SELECT count(*) FROM correlate) AS correlate`;

interface InsertedRow {
  id: string;
  ik: string;
  r: string;
  g: string;
  c: string;
}

const batchKey = (sensorId: string, batchId: string) => `${sensorId}\u0000${batchId}`;

/**
 * A `\u0000` or surrogate escape in JSON.stringify output that is really an escape (an odd
 * number of backslashes before the `u`: `\\u0000` is an escaped backslash and the text u0000).
 * JSON.stringify writes paired surrogates as characters, so a surrogate escape is a lone one.
 */
const REFUSED_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/**
 * The last-resort net: JSON text (from JSON.stringify) with the escapes jsonb refuses (NUL, a
 * lone surrogate) replaced by `\ufffd`, and how many were replaced. The collector cleans every
 * ingested event before this (apps/collector/src/ingest/shared/clean-text.ts); this keeps one
 * missed path from failing a whole statement. Costs one `indexOf` on clean text.
 */
export function repairJsonText(text: string): { text: string; replaced: number } {
  if (text.indexOf('\\u') === -1) return { text, replaced: 0 };
  let replaced = 0;
  const out = text.replace(REFUSED_ESCAPE, (_match, pairs: string) => {
    replaced++;
    return `${pairs}\\ufffd`;
  });
  return { text: out, replaced };
}

/**
 * The alerts document: each alert's JSON with its output fields as `f`. Output fields hold bigints
 * (nanosecond times), written as integer literals, which jsonb keeps exact; they are the only
 * values that may, so only they go through `stringifyRecordExact` and the rest is plain JSON.
 */
function alertsJson(
  alerts: readonly Record<string, unknown>[],
  fields: readonly Record<string, unknown>[],
): string {
  let out = '[';
  for (let i = 0; i < alerts.length; i++) {
    // `{...}` of a non-empty object: `f` goes in before its closing brace.
    const text = JSON.stringify(alerts[i]);
    out += `${i > 0 ? ',' : ''}${text.slice(0, -1)},"f":${stringifyRecordExact(fields[i]!)}}`;
  }
  return `${out}]`;
}

/**
 * Stores batches of one organisation and environment together. Results are in input order; a
 * sensor batch id that appears twice in `inputs` (or was stored before) is a duplicate after its
 * first occurrence.
 */
async function storeBatches(
  pool: pg.Pool,
  inputs: readonly StoreBatchInput[],
  onRepaired: (replaced: number) => void,
): Promise<StoreBatchResult[]> {
  const first = inputs[0];
  if (!first) return [];
  const batches: { s: string; b: string; e: number; a: number }[] = [];
  const alerts: Record<string, unknown>[] = [];
  /** Each alert's output fields (`f`), as exact JSON text written apart from the rest. */
  const fields: Record<string, unknown>[] = [];
  const raw: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const repeated = new Set<number>();
  // Which input an inserted (ingestKey, rule) belongs to: the first one that carries it.
  const owner = new Map<string, { input: number; alert: AlertInput }>();
  // Which input a raw event's ingest key belongs to (the first one), and how many each sent.
  const rawOwner = new Map<string, number>();
  const rawSent: number[] = inputs.map(() => 0);
  inputs.forEach((input, i) => {
    if (input.organizationId !== first.organizationId || input.environmentId !== first.environmentId) {
      throw new Error('storeBatches: all batches must belong to one environment');
    }
    if (input.batchId !== undefined) {
      if (!input.sensorId) throw new Error('storeBatch: batchId needs sensorId');
      const key = batchKey(input.sensorId, input.batchId);
      if (seen.has(key)) {
        repeated.add(i);
        return;
      }
      seen.add(key);
      batches.push({ s: input.sensorId, b: input.batchId, e: input.eventCount, a: input.alerts.length });
    }
    const tag = { sid: input.sensorId ?? null, cid: input.cloudSourceId ?? null, b: input.batchId ?? null };
    for (const a of input.alerts) {
      const k = `${a.ingestKey}\u0000${a.rule}`;
      if (!owner.has(k)) owner.set(k, { input: i, alert: a });
      // JSON documents instead of one array parameter per column: one native JSON.stringify here
      // and one jsonb parse in Postgres, instead of escaping every element of many arrays in JS.
      alerts.push({
        n: alerts.length,
        r: a.rule,
        p: a.priority,
        s: a.source,
        o: a.output,
        tg: a.tags,
        h: a.hostname,
        et: a.eventTime.toISOString(),
        k: a.dedupKey,
        ik: a.ingestKey,
        ...(a.entities?.length ? { en: a.entities } : {}),
        ...(a.notify?.length
          ? {
              nt: a.notify.map((t) => ({
                c: t.channelId,
                r: t.routeId,
                w: t.throttleSeconds,
                ...(t.digest
                  ? {
                      dk: t.digest.key,
                      act: t.digest.action,
                      ws: t.digest.start.toISOString(),
                      we: t.digest.end.toISOString(),
                      due: t.digest.due.toISOString(),
                    }
                  : {}),
              })),
            }
          : {}),
        ...tag,
      });
      fields.push(a.outputFields);
    }
    for (const e of input.rawEvents ?? []) {
      if (!rawOwner.has(e.ingestKey)) rawOwner.set(e.ingestKey, i);
      rawSent[i]!++;
      raw.push({
        n: raw.length,
        s: e.source,
        et: e.eventTime.toISOString(),
        p: e.payload,
        // The members a backtest tests (raw-event-members.ts), from the object about to be
        // written: in this JSON document, so the same repair of refused escapes applies to both
        // (one in a kept member is counted twice by onRepairedText).
        m: rawEventMembers(e.payload),
        ik: e.ingestKey,
        ...(e.entities?.length ? { en: e.entities } : {}),
        ...tag,
      });
    }
  });
  const documents = [JSON.stringify(batches), alertsJson(alerts, fields), JSON.stringify(raw)].map(
    repairJsonText,
  );
  const repaired = documents.reduce((n, d) => n + d.replaced, 0);
  if (repaired > 0) onRepaired(repaired);
  // Named: each connection parses and plans the statement once instead of once per call.
  const r = await pool.query<{ fresh: { s: string; b: string }[]; rows: InsertedRow[]; raw: string[] }>({
    name: 'peregrine-store-batches-v11',
    text: STORE_BATCHES_SQL,
    values: [first.organizationId, first.environmentId, ...documents.map((d) => d.text)],
  });
  const row = r.rows[0]!;
  const fresh = new Set(row.fresh.map((f) => batchKey(f.s, f.b)));
  const stored: StoredAlert[][] = inputs.map(() => []);
  const rawStored: number[] = inputs.map(() => 0);
  for (const ik of row.raw) {
    const i = rawOwner.get(ik);
    if (i !== undefined) rawStored[i]!++;
  }
  for (const x of row.rows) {
    const o = owner.get(`${x.ik}\u0000${x.r}`);
    if (!o) continue;
    const input = inputs[o.input]!;
    stored[o.input]!.push({
      ...o.alert,
      id: x.id,
      groupId: x.g,
      organizationId: input.organizationId,
      environmentId: input.environmentId,
      sensorId: input.sensorId ?? null,
      cloudSourceId: input.cloudSourceId ?? null,
      createdAt: new Date(x.c),
    });
  }
  return inputs.map((input, i) => {
    if (repeated.has(i)) return { duplicate: true };
    if (input.batchId !== undefined && !fresh.has(batchKey(input.sensorId!, input.batchId))) {
      return { duplicate: true };
    }
    const mine = stored[i]!;
    return {
      duplicate: false,
      stored: mine,
      skipped: input.alerts.length - mine.length,
      rawDuplicates: rawSent[i]! - rawStored[i]!,
    };
  });
}

/** An alert row as read back (tests, benchmark verification). */
export interface AlertRowDto {
  id: string;
  rule: string;
  priority: Priority;
  ingestKey: string | null;
  dedupKey: string;
  groupId: string | null;
  sensorId: string | null;
  hostname: string | null;
  outputFields: unknown;
}

/** The newest alerts of an environment (id descending). */
export async function listEnvironmentAlerts(
  db: Db,
  environmentId: string,
  limit = 1000,
): Promise<AlertRowDto[]> {
  const rows = await db.prisma.alert.findMany({
    where: { environmentId },
    orderBy: { id: 'desc' },
    take: limit,
    select: {
      id: true,
      rule: true,
      priority: true,
      ingestKey: true,
      dedupKey: true,
      groupId: true,
      sensorId: true,
      hostname: true,
      outputFields: true,
    },
  });
  return rows.map((r) => ({ ...r, id: r.id.toString() }));
}

/** Alert counts of an environment: total and per group (dedupKey -> count, first/last seen). */
export async function getEnvironmentAlertStats(
  db: Db,
  environmentId: string,
): Promise<{ alerts: number; groups: { dedupKey: string; rule: string; count: number }[] }> {
  const [alerts, groups] = await Promise.all([
    db.prisma.alert.count({ where: { environmentId } }),
    db.prisma.alertGroup.findMany({
      where: { environmentId },
      select: { dedupKey: true, rule: true, count: true },
      orderBy: { dedupKey: 'asc' },
    }),
  ]);
  return { alerts, groups: groups.map((g) => ({ ...g, count: Number(g.count) })) };
}

/** Raw events of an environment (count), for retention checks. */
export async function countRawEvents(db: Db, environmentId: string): Promise<number> {
  return db.prisma.rawEvent.count({ where: { environmentId } });
}

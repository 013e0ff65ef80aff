import pg from 'pg';
import { retryWhileUnavailable } from '../errors.js';
import type { Priority } from '../generated/prisma/enums.js';
import { parseJsonBigInt } from './json-exact.js';
import { poolConfig } from '../client.js';

/**
 * The collector's side of notifications, in plain SQL over its own pg pool: the organisation's
 * routes (for the write path, which owes notifications in the statement that stores alerts) and
 * the outbox's delivery queue. Any collector may claim a row (FOR UPDATE SKIP LOCKED, with a
 * lease); a row whose collector stopped while holding it is claimed again once the lease ran out.
 */

/** Channel kinds (the `NotificationChannelKind` enum). */
export const NOTIFICATION_CHANNEL_KINDS = [
  'webhook',
  'slack',
  'teams',
  'pagerduty',
  'opsgenie',
  'email',
  'falcosidekick',
] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];

/** One route as stored (filter and overrides as JSON, validated by the caller). */
export interface StoredRoute {
  id: string;
  name: string;
  enabled: boolean;
  filter: unknown;
  /** Only the organisation's enabled channels. */
  channelIds: string[];
  /** Each channel's kind, in the order of `channelIds`. */
  channelKinds: NotificationChannelKind[];
  overrides: unknown;
  throttleSeconds: number;
  continue: boolean;
  /** Digest schedule and quiet hours as JSON (protocol schemas), null when unset. */
  digest: unknown;
  quietHours: unknown;
  /** Sends incidents instead of alerts (owed by the incident correlator, not the store statement). */
  sendIncidents: boolean;
}

/** What a digest row summarises, read when it is claimed. */
export interface DigestContent {
  /** `digest`: the route's period; `held`: alerts held through quiet hours. */
  reason: 'digest' | 'held';
  routeName: string | null;
  start: Date;
  end: Date;
  /** Alerts owed (the row's count); the rows below count those still stored. */
  total: number;
  /** Alerts per rule and priority, most severe and most frequent first. */
  counts: { rule: string; priority: Priority; count: number }[];
  /**
   * Alerts per environment (null: the environment was deleted), most alerts first, each with its
   * counts per priority, most severe first.
   */
  environments: {
    environment: string | null;
    count: number;
    priorities: { priority: Priority; count: number }[];
  }[];
  /** The most severe, then latest, alerts. */
  top: {
    id: string;
    groupId: string;
    rule: string;
    priority: Priority;
    hostname: string | null;
    output: string;
    eventTime: Date;
    environmentName: string | null;
  }[];
}

/** A claimed outbox row with everything its delivery needs. */
export interface ClaimedNotification {
  id: string;
  organizationId: string;
  environmentId: string | null;
  environmentName: string | null;
  /**
   * `deferred`: a trigger held through quiet hours (sent like one, with the held count);
   * `incident` / `escalation`: an incident route's new incident, or its score rising a band.
   */
  action: 'trigger' | 'resolve' | 'test' | 'digest' | 'held' | 'deferred' | 'incident' | 'escalation';
  /** 1 on the first claim. */
  attempts: number;
  count: number;
  groupId: string | null;
  windowStart: Date | null;
  createdAt: Date;
  channel: {
    id: string;
    kind: NotificationChannelKind;
    name: string;
    config: unknown;
    secretsEncrypted: Uint8Array | null;
  } | null;
  routeOverrides: unknown;
  alert: {
    id: string;
    rule: string;
    priority: Priority;
    source: string;
    output: string;
    outputFields: Record<string, unknown>;
    tags: string[];
    hostname: string | null;
    eventTime: Date;
  } | null;
  /** Set for a digest row (action `digest` or `held`). */
  digest: DigestContent | null;
  /** Set for an incident route's row: `alert` then tells of the incident (rule: its title). */
  incident?: {
    id: string;
    title: string;
    score: number;
    tactics: string[];
    sources: string[];
    alertCount: number;
  } | null;
}

/** Alerts a digest lists one by one (the rest are in its counts). */
export const DIGEST_TOP_ALERTS = 10;

export interface NotificationStore {
  /** The organisation's routes in order, each with its enabled channels. */
  loadRoutes(organizationId: string): Promise<StoredRoute[]>;
  /**
   * Claims up to `limit` owed rows (due by `now`, the caller's clock, or whose lease ran out) for
   * `owner`.
   */
  claim(
    owner: string,
    options: { limit: number; leaseMs: number; now?: Date | undefined },
  ): Promise<ClaimedNotification[]>;
  /** Marks a claimed row delivered; false when the claim was lost (lease ran out, taken over). */
  delivered(id: string, owner: string, status: number | null): Promise<boolean>;
  /**
   * Records a failed attempt: queued again at `retryAt`, or dead (`retryAt` null) with the error.
   * False when the claim was lost.
   */
  failed(
    id: string,
    owner: string,
    failure: { error: string; status: number | null; retryAt: Date | null },
  ): Promise<boolean>;
  /** Gives claimed rows back at once without counting the attempt (the collector is stopping). */
  release(ids: readonly string[], owner: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the notification queue on its own pool. */
export function createNotificationStore(url: string, options: { max?: number } = {}): NotificationStore {
  // query_timeout: a query on a connection that went silent (a cut network) ends instead of
  // holding a delivery pass, or a routes reload, forever.
  const pool = new pg.Pool(poolConfig(url, { max: options.max ?? 3, query_timeout: 15_000 }));
  pool.on('error', () => {});
  // A checked-out client's lost connection is an 'error' on the client (the failed query reports
  // it): ignored from the client's creation on, as the collector and backtest stores do.
  pool.on('connect', (client) => client.on('error', () => {}));
  return {
    async loadRoutes(organizationId) {
      // A read on the write path: retried on a fresh connection when a pooled one was terminated,
      // as the store's own statements are, so a lost connection does not fail a batch.
      const r = await retryWhileUnavailable(() =>
        pool.query<StoredRoute>(
          `SELECT r.id::text, r.name, r.enabled, r.filter, r.overrides, r."throttleSeconds", r.continue,
                r.digest, r."quietHours", r."sendIncidents",
                coalesce(array(SELECT c.id::text FROM unnest(r."channelIds") WITH ORDINALITY u(id, n)
                               JOIN notification_channels c ON c.id = u.id
                                AND c."organizationId" = r."organizationId" AND c.enabled
                               ORDER BY u.n), '{}') AS "channelIds",
                coalesce(array(SELECT c.kind::text FROM unnest(r."channelIds") WITH ORDINALITY u(id, n)
                               JOIN notification_channels c ON c.id = u.id
                                AND c."organizationId" = r."organizationId" AND c.enabled
                               ORDER BY u.n), '{}') AS "channelKinds"
         FROM notification_routes r WHERE r."organizationId" = $1::uuid
         ORDER BY r.position, r."createdAt", r.id`,
          [organizationId],
        ),
      );
      return r.rows;
    },
    async claim(owner, { limit, leaseMs, now }) {
      const r = await pool.query(
        `WITH c AS (
           SELECT id FROM notification_outbox
           WHERE (status = 'queued' AND "nextAttemptAt" <= greatest(now(), $4::timestamptz))
              OR (status = 'sending' AND "leaseUntil" < now())
           ORDER BY "nextAttemptAt", id
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         ), u AS (
           UPDATE notification_outbox o
           SET status = 'sending', attempts = o.attempts + 1, "leaseOwner" = $1,
               "leaseUntil" = now() + make_interval(secs => $3::double precision / 1000), "updatedAt" = now()
           FROM c WHERE o.id = c.id
           RETURNING o.*
         )
         SELECT u.id::text, u."organizationId"::text, u."environmentId"::text, e.name AS "environmentName",
                u.action, u.attempts, u.count, u."groupId"::text, u."windowStart", u."windowEnd", u."createdAt",
                rt.name AS "routeName",
                ch.id::text AS "chId", ch.kind AS "chKind", ch.name AS "chName", ch.config AS "chConfig",
                ch."secretsEncrypted" AS "chSecrets", rt.overrides AS "routeOverrides",
                a.id::text AS "aId", a.rule AS "aRule", a.priority AS "aPriority", a.source AS "aSource",
                a.output AS "aOutput", a."outputFields"::text AS "aFields", a.tags AS "aTags",
                a.hostname AS "aHostname", a."eventTime" AS "aTime",
                i.id::text AS "iId", i.title AS "iTitle", i.score AS "iScore", i.priority::text AS "iPriority",
                i.tactics AS "iTactics", i.sources AS "iSources", i."alertCount" AS "iCount", i."lastSeenAt" AS "iLast"
         FROM u
         LEFT JOIN environments e ON e.id = u."environmentId"
         LEFT JOIN notification_channels ch ON ch.id = u."channelId" AND ch."organizationId" = u."organizationId"
         LEFT JOIN notification_routes rt ON rt.id = u."routeId"
         LEFT JOIN alerts a ON a.id = u."alertId"
         LEFT JOIN incidents i ON i.id = u."incidentId"`,
        [owner, limit, leaseMs, now ?? null],
      );
      const digestIds = r.rows.filter((x) => x.action === 'digest' || x.action === 'held').map((x) => x.id);
      const contents =
        digestIds.length > 0 ? await readDigests(pool, digestIds) : new Map<string, Digested>();
      return r.rows.map(
        (x): ClaimedNotification => ({
          id: x.id,
          organizationId: x.organizationId,
          environmentId: x.environmentId,
          environmentName: x.environmentName,
          action: x.action,
          attempts: x.attempts,
          count: x.count,
          groupId: x.groupId,
          windowStart: x.windowStart,
          createdAt: x.createdAt,
          channel: x.chId
            ? {
                id: x.chId,
                kind: x.chKind,
                name: x.chName,
                config: x.chConfig,
                secretsEncrypted: x.chSecrets,
              }
            : null,
          routeOverrides: x.routeOverrides ?? {},
          incident: x.iId
            ? {
                id: x.iId,
                title: x.iTitle,
                score: x.iScore,
                tactics: x.iTactics ?? [],
                sources: x.iSources ?? [],
                alertCount: x.iCount,
              }
            : null,
          alert: x.iId
            ? {
                id: x.iId,
                rule: x.iTitle,
                priority: x.iPriority,
                source: (x.iSources ?? []).join(', '),
                output: `Incident: ${x.iTitle} (score ${x.iScore}; ${x.iCount} alerts from ${(x.iSources ?? []).join(', ')}${
                  (x.iTactics ?? []).length ? `; ATT&CK ${(x.iTactics as string[]).join(', ')}` : ''
                })`,
                outputFields: {
                  'incident.id': x.iId,
                  'incident.score': x.iScore,
                  'incident.alerts': x.iCount,
                  'incident.sources': (x.iSources ?? []).join(','),
                  'incident.tactics': (x.iTactics ?? []).join(','),
                },
                tags: x.iTactics ?? [],
                hostname: null,
                eventTime: x.iLast,
              }
            : x.aId
              ? {
                  id: x.aId,
                  rule: x.aRule,
                  priority: x.aPriority,
                  source: x.aSource,
                  output: x.aOutput,
                  outputFields: parseFields(x.aFields),
                  tags: x.aTags ?? [],
                  hostname: x.aHostname,
                  eventTime: x.aTime,
                }
              : null,
          digest:
            x.action === 'digest' || x.action === 'held'
              ? {
                  reason: x.action,
                  routeName: x.routeName ?? null,
                  start: x.windowStart,
                  end: x.windowEnd,
                  total: x.count,
                  counts: contents.get(x.id)?.counts ?? [],
                  environments: contents.get(x.id)?.environments ?? [],
                  top: contents.get(x.id)?.top ?? [],
                }
              : null,
        }),
      );
    },
    async delivered(id, owner, status) {
      const r = await pool.query(
        `UPDATE notification_outbox SET status = 'delivered', "deliveredAt" = now(), "updatedAt" = now(),
           "leaseOwner" = NULL, "leaseUntil" = NULL, "lastStatus" = $3, "lastError" = NULL
         WHERE id = $1::uuid AND "leaseOwner" = $2 AND status = 'sending'`,
        [id, owner, status],
      );
      return (r.rowCount ?? 0) > 0;
    },
    async failed(id, owner, { error, status, retryAt }) {
      const r = await pool.query(
        `UPDATE notification_outbox SET status = $3::"NotificationStatus", "nextAttemptAt" = coalesce($4, now()),
           "lastError" = $5, "lastStatus" = $6, "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = now()
         WHERE id = $1::uuid AND "leaseOwner" = $2 AND status = 'sending'`,
        [id, owner, retryAt ? 'queued' : 'dead', retryAt, error.slice(0, 2000), status],
      );
      return (r.rowCount ?? 0) > 0;
    },
    async release(ids, owner) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE notification_outbox SET status = 'queued', attempts = greatest(attempts - 1, 0),
           "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = now()
         WHERE id = ANY($1::uuid[]) AND "leaseOwner" = $2 AND status = 'sending'`,
        [ids, owner],
      );
    },
    close: () => pool.end(),
  };
}

type Digested = Pick<DigestContent, 'counts' | 'top' | 'environments'>;

/** Severity order of the Priority enum (declared most severe first). */
const SEVERITY = `array_position(enum_range(NULL::"Priority"), a.priority)`;

/** The counts and top alerts of claimed digest rows, from the alerts they list (still stored). */
async function readDigests(pool: pg.Pool, ids: string[]): Promise<Map<string, Digested>> {
  const [counts, top, perEnvironment] = await Promise.all([
    pool.query<{ o: string; rule: string; priority: Priority; count: number }>(
      `SELECT m."outboxId"::text AS o, a.rule, a.priority, count(*)::int AS count
       FROM notification_digest_alerts m JOIN alerts a ON a.id = m."alertId"
       WHERE m."outboxId" = ANY($1::uuid[])
       GROUP BY 1, 2, 3
       ORDER BY 1, min(${SEVERITY}), count(*) DESC, a.rule`,
      [ids],
    ),
    pool.query<DigestContent['top'][number] & { o: string }>(
      `SELECT o, id, "groupId", rule, priority, hostname, output, "eventTime", "environmentName" FROM (
         SELECT m."outboxId"::text AS o, a.id::text, a."groupId"::text, a.rule, a.priority, a.hostname,
                a.output, a."eventTime", e.name AS "environmentName",
                row_number() OVER (PARTITION BY m."outboxId" ORDER BY ${SEVERITY}, a."eventTime" DESC, a.id DESC) AS n
         FROM notification_digest_alerts m JOIN alerts a ON a.id = m."alertId"
         LEFT JOIN environments e ON e.id = a."environmentId"
         WHERE m."outboxId" = ANY($1::uuid[])
       ) t WHERE n <= $2 ORDER BY o, n`,
      [ids, DIGEST_TOP_ALERTS],
    ),
    pool.query<{ o: string; environment: string | null; priority: Priority; count: number; total: number }>(
      `SELECT o, environment, priority, count, sum(count) OVER (PARTITION BY o, environment)::int AS total
       FROM (
         SELECT m."outboxId"::text AS o, e.name AS environment, a.priority, count(*)::int AS count,
                min(${SEVERITY}) AS severity
         FROM notification_digest_alerts m JOIN alerts a ON a.id = m."alertId"
         LEFT JOIN environments e ON e.id = a."environmentId"
         WHERE m."outboxId" = ANY($1::uuid[])
         GROUP BY 1, 2, 3
       ) t
       ORDER BY o, total DESC, environment NULLS LAST, severity`,
      [ids],
    ),
  ]);
  const out = new Map<string, Digested>();
  const entry = (o: string) => {
    let e = out.get(o);
    if (!e) {
      e = { counts: [], top: [], environments: [] };
      out.set(o, e);
    }
    return e;
  };
  for (const { o, ...c } of counts.rows) entry(o).counts.push(c);
  for (const { o, ...t } of top.rows) entry(o).top.push(t);
  for (const { o, environment, priority, count, total } of perEnvironment.rows) {
    const envs = entry(o).environments;
    let env = envs.at(-1);
    if (env?.environment !== environment || env === undefined) {
      env = { environment, count: total, priorities: [] };
      envs.push(env);
    }
    env.priorities.push({ priority, count });
  }
  return out;
}

/** Output fields as stored: 64-bit integers beyond 2^53 are kept exact as bigint. */
function parseFields(text: string | null): Record<string, unknown> {
  if (!text) return {};
  const parsed = parseJsonBigInt(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

import { createHash } from 'node:crypto';
import pg from 'pg';
import { stringifyJsonExact } from './json-exact.js';
import { poolConfig } from '../client.js';
import {
  RAW_EVENT_ENVELOPE_KEYS,
  RAW_EVENT_MEMBERS,
  RAW_EVENT_MEMBERS_VERSION,
} from './raw-event-members.js';

/**
 * The backtest runner's side of `backtest_jobs` (claims, checkpoints, the end of a run) and the
 * stored events it replays, in plain SQL over its own pg pool: pages of thousands of rows with
 * their JSON, read without the overhead of an ORM.
 */

/** A position in one scan: the last row handed out (time as Postgres prints it). */
export interface BacktestPosition {
  time: string;
  id: string;
}

/**
 * Where a run stands, per scan (`raw:<source>` for raw events, `alerts` for events behind
 * alerts; scans run side by side): the last row evaluated, or `done`. A scan not listed has not
 * started.
 */
export interface BacktestCursor {
  scans: Record<string, BacktestPosition | 'done'>;
}

/** A job as a runner claims it: what to compile and what to scan. */
export interface ClaimedBacktestJob {
  id: string;
  organizationId: string;
  environmentId: string;
  draftVersionId: string;
  baselineVersionId: string | null;
  draftFiles: { name: string; content: string }[];
  /** Empty when no version was active (nothing fires on the baseline side). */
  baselineFiles: { name: string; content: string }[];
  overrides: { lists?: Record<string, string[]>; macros?: Record<string, string> };
  /** Empty: every source. */
  sources: string[];
  from: Date;
  to: Date;
  /** 1 on the first claim; more when a runner stopped while holding it. */
  attempts: number;
  eventsTotal: number;
  eventsScanned: number;
  cursor: BacktestCursor | null;
  result: unknown;
}

/**
 * One raw event (`raw_events`) as stored: the payload is what the collector evaluated. Times come
 * as Postgres prints them (microseconds, the session's zone): parsing a Date for every row costs
 * more than the rest of the row, and only the few sampled rows need one.
 */
export interface StoredRawEvent {
  id: string;
  time: string;
  payload: unknown;
}

/** One alert whose event was not kept as a raw event: only its output fields remain. */
export interface StoredAlertEvent {
  id: string;
  source: string;
  rule: string;
  /** As Postgres prints it (see StoredRawEvent). */
  time: string;
  hostname: string | null;
  /** Identity of the event that produced it; alerts of one event share it. */
  ingestKey: string | null;
  outputFields: Record<string, unknown>;
}

/** A page of a scan and the position just past it (null: nothing left in that scan). */
export interface BacktestPage<T> {
  rows: T[];
  after: { time: string; id: string } | null;
}

/**
 * A test of a raw event's JSON (the engine's StoredTest): paths walk object members from the
 * top; the text tests hold only for a JSON string member.
 */
export type RawEventTest =
  | boolean
  | { kind: 'and' | 'or'; parts: readonly RawEventTest[] }
  | { kind: 'not'; part: RawEventTest }
  | { kind: 'text'; path: readonly string[] }
  | { kind: 'in'; path: readonly string[]; values: readonly string[] }
  | { kind: 'startswith' | 'endswith' | 'contains'; path: readonly string[]; value: string }
  | { kind: 'has'; path: readonly string[] };

/**
 * Raw events no rule can act on, told from their JSON by Postgres (the engine's StoredEventSkip):
 * an event is left out when every part holds. Paths walk object members from the top.
 */
export interface RawEventSkip {
  /** The event is a JSON object with no top-level key but these. */
  keys: readonly string[];
  /** Members of these JSON types. */
  types: readonly { path: readonly string[]; type: 'string' | 'object' }[];
  /** False for the event (some rule may act on it otherwise). */
  may: RawEventTest;
}

/** A page of raw events: the rows to evaluate, and how many the skip left out among them. */
export interface RawEventPage extends BacktestPage<StoredRawEvent> {
  /** Rows of the page in scope whose payload was not sent (they fit the skip). */
  skipped: number;
}

/** A sample to keep (the engine's BacktestSample, with the event's time). */
export interface BacktestSampleInput {
  rule: string;
  change: 'added' | 'removed';
  ref: string;
  source: string;
  /** A Date, or a time as Postgres prints it (StoredRawEvent.time). */
  eventTime: Date | string;
  event: unknown;
  activeAlerts: unknown;
  draftAlerts: unknown;
}

/** What a checkpoint writes: progress, where to resume, the counts so far and new samples. */
export interface BacktestCheckpoint {
  eventsScanned: number;
  cursor: BacktestCursor;
  result: unknown;
  /** Milliseconds run since the previous checkpoint. */
  runMs: number;
  samples: readonly BacktestSampleInput[];
}

/** The end of a run (done, failed or cancelled) and its last figures. */
export interface BacktestEnd extends BacktestCheckpoint {
  status: 'done' | 'failed' | 'cancelled';
  error?: string;
}

export interface BacktestStore {
  /**
   * Ends what nobody will finish (a running job whose runner went silent for `staleMs` and was
   * asked to cancel, or has been claimed `maxAttempts` times), then claims the oldest queued job or
   * a silent runner's job, for `runnerId`. Null when there is nothing to run.
   */
  claim(
    runnerId: string,
    options: { staleMs: number; maxAttempts: number },
  ): Promise<ClaimedBacktestJob | null>;
  /** Stored events in scope per source: raw events, and alerts without a raw event. */
  countEvents(
    job: Pick<ClaimedBacktestJob, 'environmentId' | 'from' | 'to'>,
    sources: readonly string[],
  ): Promise<{
    raw: Map<string, number>;
    alerts: Map<string, number>;
  }>;
  /** Records the total the progress bar counts towards. False when the runner lost the job. */
  setTotal(jobId: string, runnerId: string, total: number): Promise<boolean>;
  /**
   * Writes a checkpoint in one transaction (samples included). `lost`: another runner took the
   * job or it ended (nothing written); `cancelRequested`: someone asked to stop it.
   */
  checkpoint(
    jobId: string,
    runnerId: string,
    checkpoint: BacktestCheckpoint,
  ): Promise<{ lost: boolean; cancelRequested: boolean }>;
  /** Ends the run with its last checkpoint. False when the runner no longer held the job. */
  finish(jobId: string, runnerId: string, end: BacktestEnd): Promise<boolean>;
  /** Fails a held job, keeping its last checkpoint's figures. False when no longer held. */
  fail(jobId: string, runnerId: string, error: string): Promise<boolean>;
  /** Hands a job back to the queue with its checkpoint (a runner shutting down cleanly). */
  release(jobId: string, runnerId: string, checkpoint: BacktestCheckpoint): Promise<boolean>;
  /**
   * Raw events of one source in (time, id) order after `after`, at most `limit`; those fitting
   * `skip` are only counted (`skipped`): Postgres neither prints nor sends their JSON. A skip's
   * query is built once per skip object (the pages of one scan share it): never change one after
   * handing it over.
   */
  rawEvents(
    scope: Pick<ClaimedBacktestJob, 'environmentId' | 'from' | 'to'>,
    source: string,
    after: { time: string; id: string } | null,
    limit: number,
    skip?: RawEventSkip,
  ): Promise<RawEventPage>;
  /**
   * Alerts of `sources` whose event has no raw event, in (time, id) order after `after`, from a
   * page of at most `limit` alerts of the environment (so a page may hold fewer, or none, while
   * `after` is set). A page never ends inside the alerts of one event (same ingest key), so
   * callers can merge them.
   */
  alertEvents(
    scope: Pick<ClaimedBacktestJob, 'environmentId' | 'from' | 'to'>,
    sources: readonly string[],
    after: { time: string; id: string } | null,
    limit: number,
  ): Promise<BacktestPage<StoredAlertEvent>>;
  /**
   * Deletes up to `limit` finished jobs (done, failed or cancelled) that finished before `before`,
   * with their samples; queued and running jobs are never touched. Returns what it deleted.
   */
  prune(before: Date, limit: number): Promise<{ jobs: number; samples: number }>;
  close(): Promise<void>;
}

const START = { time: '-infinity', id: '0' };

const JOB_COLUMNS = `id::text, "organizationId"::text, "environmentId"::text, "draftVersionId"::text,
  "baselineVersionId"::text, overrides, sources, "fromTime", "toTime", attempts,
  "eventsTotal"::float8 AS "eventsTotal", "eventsScanned"::float8 AS "eventsScanned", cursor, result`;

interface JobRow {
  id: string;
  organizationId: string;
  environmentId: string;
  draftVersionId: string;
  baselineVersionId: string | null;
  overrides: ClaimedBacktestJob['overrides'];
  sources: string[];
  fromTime: Date;
  toTime: Date;
  attempts: number;
  eventsTotal: number;
  eventsScanned: number;
  cursor: BacktestCursor | null;
  result: unknown;
}

/** The SQL of one test over member expressions (`has`: the member exists; `text`: its text or null). */
function testSql(
  t: RawEventTest,
  leaf: {
    has: (path: readonly string[]) => string;
    text: (path: readonly string[]) => string;
    p: (value: unknown) => string;
  },
): string {
  const test = (u: RawEventTest): string => testSql(u, leaf);
  const { has, text, p } = leaf;
  if (typeof t === 'boolean') return String(t);
  switch (t.kind) {
    case 'and':
    case 'or':
      return `(${t.parts.map(test).join(` ${t.kind.toUpperCase()} `)})`;
    case 'not':
      return `NOT ${test(t.part)}`;
    case 'has':
      return `(${has(t.path)} IS NOT NULL)`;
    case 'text':
      return `(${text(t.path)} IS NOT NULL)`;
    case 'in':
      return t.values.length === 1
        ? `coalesce(${text(t.path)} = ${p(t.values[0])}::text, false)`
        : `coalesce(${text(t.path)} = ANY(${p(t.values)}::text[]), false)`;
    case 'startswith':
      return `coalesce(starts_with(${text(t.path)}, ${p(t.value)}::text), false)`;
    case 'endswith': {
      const v = p(t.value);
      return `coalesce(right(${text(t.path)}, char_length(${v}::text)) = ${v}::text, false)`;
    }
    case 'contains':
      return `coalesce(strpos(${text(t.path)}, ${p(t.value)}::text) > 0, false)`;
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/**
 * The members column answers the skip's envelope checks when they are the ones it was written
 * for (the collector's envelope: its keys, `ts` a string, `payload` an object).
 */
function columnFits(skip: RawEventSkip): boolean {
  if (!sameSet(skip.keys, RAW_EVENT_ENVELOPE_KEYS)) return false;
  return skip.types.every(
    (t) =>
      t.path.length === 1 &&
      ((t.path[0] === 'ts' && t.type === 'string') || (t.path[0] === 'payload' && t.type === 'object')),
  );
}

/**
 * `skip` over a raw event row as SQL: a boolean, never null, its values added to `params`.
 *
 * A row whose `members` column has the current layout (raw-event-members.ts) is tested on it:
 * an array element per listed member (`"` and the text of a JSON string, `o` another value, NULL
 * where there is none), the envelope known; a member not listed is looked up in the payload
 * where the test reaches it. Any other row (written before the column, or by an older
 * collector) is tested on its payload in a subquery run only for it: each member the test reads
 * looked up once (`jN`: the member as jsonb, null where the path leads nowhere), each member's
 * text once (`mN`), the envelope checked (inside the CASE no part can raise).
 */
function skipSql(skip: RawEventSkip, params: unknown[]): { test: string; lateral: string } {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Each path is looked up once a row (`jN`, the member as jsonb or null); the text and the
  // existence tests read that value, not the payload again (a lookup walks the document).
  const json: string[] = [];
  const jsonByPath = new Map<string, string>();
  const member = (path: readonly string[]) => {
    const k = JSON.stringify(path);
    let c = jsonByPath.get(k);
    if (c === undefined) {
      c = `j${json.length}`;
      json.push(`payload #> ${p(path)}::text[] AS ${c}`);
      jsonByPath.set(k, c);
    }
    return c;
  };
  const columns: string[] = [];
  const texts = new Map<string, string>();
  const text = (path: readonly string[]) => {
    const j = member(path);
    let c = texts.get(j);
    if (c === undefined) {
      c = `m${columns.length}`;
      columns.push(`CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${j} #>> '{}' END AS ${c}`);
      texts.set(j, c);
    }
    return c;
  };
  const may = testSql(skip.may, { has: member, text, p });
  const parts = [`(payload - ${p(skip.keys)}::text[]) = '{}'::jsonb`];
  for (const t of skip.types) parts.push(`jsonb_typeof(${member(t.path)}) = ${p(t.type)}`);
  parts.push(`NOT ${may}`);
  const fromPayload = `(SELECT coalesce(CASE WHEN jsonb_typeof(payload) = 'object' THEN ${parts.join(' AND ')} END, false)
      FROM (SELECT ${json.length === 0 ? 'true AS none' : json.join(', ')} OFFSET 0) j
      CROSS JOIN LATERAL (SELECT ${columns.length === 0 ? 'true AS none' : columns.join(', ')} OFFSET 0) m)`;
  if (!columnFits(skip)) return { test: fromPayload, lateral: '' };

  // Over the column: element i + 2 is RAW_EVENT_MEMBERS[i]; values compared with the `"` prefix.
  // Each element the test reads is fetched once a row (`cN`, a lateral subquery beside the row):
  // an array subscript at each use cost a quarter of the test.
  const slot = new Map(RAW_EVENT_MEMBERS.map((m, i) => [JSON.stringify(m.path), { at: i + 2, m }]));
  const fetched = new Map<number, string>();
  const listed = (path: readonly string[], needText: boolean) => {
    const s = slot.get(JSON.stringify(path));
    if (!s || (needText && s.m.presence)) return undefined;
    let c = fetched.get(s.at);
    if (c === undefined) {
      c = `c${s.at}`;
      fetched.set(s.at, c);
    }
    return c;
  };
  const inline = (path: readonly string[]) => `(payload #> ${p(path)}::text[])`;
  const columnTest = (t: RawEventTest): string => {
    if (typeof t === 'boolean') return String(t);
    switch (t.kind) {
      case 'and':
      case 'or':
        return `(${t.parts.map(columnTest).join(` ${t.kind.toUpperCase()} `)})`;
      case 'not':
        return `NOT ${columnTest(t.part)}`;
      case 'has': {
        const c = listed(t.path, false);
        return `(${c ?? inline(t.path)} IS NOT NULL)`;
      }
      default: {
        const c = listed(t.path, true);
        if (c === undefined) {
          // Not listed: its text from the payload, looked up where the test reaches it.
          const j = inline(t.path);
          return testSql(t, {
            has: () => j,
            text: () => `(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${j} #>> '{}' END)`,
            p,
          });
        }
        switch (t.kind) {
          case 'text':
            return `coalesce(starts_with(${c}, '"'), false)`;
          case 'in':
            return t.values.length === 1
              ? `coalesce(${c} = ${p(`"${t.values[0]}`)}::text, false)`
              : `coalesce(${c} = ANY(${p(t.values.map((v) => `"${v}`))}::text[]), false)`;
          case 'startswith':
            return `coalesce(starts_with(${c}, ${p(`"${t.value}`)}::text), false)`;
          case 'endswith': {
            const v = p(t.value);
            return `coalesce(starts_with(${c}, '"') AND char_length(${c}) > char_length(${v}::text) AND right(${c}, char_length(${v}::text)) = ${v}::text, false)`;
          }
          case 'contains':
            return `coalesce(starts_with(${c}, '"') AND strpos(substr(${c}, 2), ${p(t.value)}::text) > 0, false)`;
        }
      }
    }
  };
  const onColumn = columnTest(skip.may);
  return {
    test: `CASE WHEN members[1] = ${p(RAW_EVENT_MEMBERS_VERSION)}::text THEN NOT ${onColumn} ELSE ${fromPayload} END`,
    lateral:
      fetched.size === 0
        ? ''
        : `CROSS JOIN LATERAL (SELECT ${[...fetched].map(([at, c]) => `e.members[${at}] AS ${c}`).join(', ')} OFFSET 0) c`,
  };
}

// The time bound repeats the keyset's leading column so the (environment, source, time) index
// starts there; ties on time are ordered by id (an incremental sort, in the page). $1-$7: the
// environment, source, range, position and limit of the page.
const SCAN = `FROM raw_events
         WHERE "environmentId" = $1::uuid AND source = $2
           AND "eventTime" >= greatest($3::timestamptz, $5::timestamptz) AND "eventTime" < $4
           AND ("eventTime", id) > ($5::timestamptz, $6::bigint)
         ORDER BY "eventTime", id LIMIT $7`;

/** A page query: named after its text, so each connection parses and plans it once, not per page. */
interface PageQuery {
  name: string;
  text: string;
  /** Its parameters after the page's seven. */
  values: unknown[];
}

const pageQuery = (text: string, values: unknown[]): PageQuery => ({
  name: `backtest-raw-${createHash('sha256').update(text).digest('hex').slice(0, 24)}`,
  text,
  values,
});

const PLAIN_QUERY = pageQuery(`SELECT id, "eventTime"::text AS t, payload ${SCAN}`, []);

/** Each skip's query, built once (a run hands the same skip to every page of a source). */
const skipQueries = new WeakMap<RawEventSkip, PageQuery>();

function skipQuery(skip: RawEventSkip): PageQuery {
  let query = skipQueries.get(skip);
  if (!query) {
    const params: unknown[] = new Array(7).fill(null);
    const sql = skipSql(skip, params);
    // The page is a subquery so that the skip is computed once a row (an expression used twice
    // in one select list is evaluated twice). Only the rows to evaluate are sent, and the page's
    // last row (where the next page starts), each with its place in the page (`rn`) and the
    // page's size (`n`): sending every left-out row's id and time cost the runner more CPU than
    // this window costs Postgres (payloads of left-out rows are gone before it).
    query = pageQuery(
      `SELECT id, t, payload, skip, rn, n
       FROM (SELECT id, t, payload, skip, row_number() OVER () AS rn, count(*) OVER () AS n
             FROM (SELECT id, t, CASE WHEN skip THEN NULL ELSE payload END AS payload, skip
                   FROM (SELECT e.id, e."eventTime", e.t, e.payload, ${sql.test} AS skip
                         FROM (SELECT id, "eventTime", "eventTime"::text AS t, payload, members ${SCAN}) e
                         ${sql.lateral}
                         OFFSET 0) s
                   ORDER BY "eventTime", id) p) w
       WHERE NOT skip OR rn = n
       ORDER BY rn`,
      params.slice(7),
    );
    skipQueries.set(skip, query);
  }
  return query;
}

/** Opens the backtest runner's store on its own small pool. */
export function createBacktestStore(url: string, options: { max?: number } = {}): BacktestStore {
  const pool = new pg.Pool(poolConfig(url, { max: options.max ?? 3 }));
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // A connection lost while a client is checked out (a transaction below) emits 'error' on the
  // client, possibly in the very tick the pool hands it over, before a caller could listen: the
  // failed query reports it already, so every client ignores the event from its creation on.
  pool.on('connect', (client) => client.on('error', () => {}));

  /** Runs `fn` in a transaction; a client whose connection broke is destroyed, not pooled again. */
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(broken);
    }
  };

  const files = async (versionId: string | null) => {
    if (!versionId) return [];
    const r = await pool.query<{ name: string; content: string }>(
      'SELECT name, content FROM rule_files WHERE "versionId" = $1::uuid ORDER BY position',
      [versionId],
    );
    return r.rows;
  };

  const writeSamples = async (
    client: pg.PoolClient,
    jobId: string,
    samples: readonly BacktestSampleInput[],
  ) => {
    if (samples.length === 0) return;
    await client.query(
      `INSERT INTO backtest_samples ("jobId", rule, change, ref, source, "eventTime", event, "activeAlerts", "draftAlerts")
       SELECT $1::uuid, s.rule, s.change::"BacktestChange", s.ref, s.source, s."eventTime"::timestamptz, s.event,
              s."activeAlerts", s."draftAlerts"
       FROM jsonb_to_recordset($2::jsonb) AS s(rule text, change text, ref text, source text, "eventTime" text,
              event jsonb, "activeAlerts" jsonb, "draftAlerts" jsonb)`,
      [
        jobId,
        stringifyJsonExact(
          samples.map((s) => ({
            ...s,
            eventTime: typeof s.eventTime === 'string' ? s.eventTime : s.eventTime.toISOString(),
          })),
        ),
      ],
    );
  };

  /** UPDATE of a held job plus its samples, in one transaction; false when not held. */
  const update = async (
    jobId: string,
    runnerId: string,
    set: string,
    params: unknown[],
    samples: readonly BacktestSampleInput[],
  ): Promise<{ cancelRequestedAt: Date | null } | null> => {
    // Nothing is written when the job is no longer held (the UPDATE matches no row).
    return transaction(async (client) => {
      const r = await client.query<{ cancelRequestedAt: Date | null }>(
        `UPDATE backtest_jobs SET ${set}
         WHERE id = $1::uuid AND "runnerId" = $2 AND status = 'running'
         RETURNING "cancelRequestedAt"`,
        [jobId, runnerId, ...params],
      );
      const row = r.rows[0];
      if (row) await writeSamples(client, jobId, samples);
      return row ?? null;
    });
  };

  const progress = (c: BacktestCheckpoint) => [
    c.eventsScanned,
    JSON.stringify(c.cursor),
    stringifyJsonExact(c.result),
    Math.max(0, Math.round(c.runMs)),
  ];
  const PROGRESS = `"eventsScanned" = $3, cursor = $4::jsonb, result = $5::jsonb, "runMs" = "runMs" + $6`;

  return {
    async claim(runnerId, { staleMs, maxAttempts }) {
      // Idle collectors ask every second: one indexed read, and a transaction only when some job
      // is queued or running.
      const any = await pool.query(
        `SELECT 1 FROM backtest_jobs WHERE status IN ('queued', 'running') LIMIT 1`,
      );
      if (any.rowCount === 0) return null;
      const row = await transaction(async (client) => {
        // Jobs whose runner went silent: cancelled if asked to, failed when they keep stopping
        // their runners (a job that crashes every collector must not take them all down in turn).
        await client.query(
          `UPDATE backtest_jobs SET
             status = CASE WHEN "cancelRequestedAt" IS NOT NULL THEN 'cancelled' ELSE 'failed' END::"BacktestStatus",
             "finishedAt" = now(), "runnerId" = NULL, "heartbeatAt" = NULL,
             error = CASE WHEN "cancelRequestedAt" IS NOT NULL THEN error
                     ELSE 'The backtest stopped ' || attempts || ' times while running (its collector stopped or restarted); it was not retried again.' END
           WHERE status = 'running' AND "heartbeatAt" < now() - $1 * interval '1 millisecond'
             AND ("cancelRequestedAt" IS NOT NULL OR attempts >= $2)`,
          [staleMs, maxAttempts],
        );
        const r = await client.query<JobRow>(
          `UPDATE backtest_jobs SET status = 'running', "runnerId" = $1, "heartbeatAt" = now(),
             attempts = attempts + 1, "startedAt" = coalesce("startedAt", now())
           WHERE id = (
             SELECT id FROM backtest_jobs
             WHERE status = 'queued'
                OR (status = 'running' AND "heartbeatAt" < now() - $2 * interval '1 millisecond')
             ORDER BY "createdAt" FOR UPDATE SKIP LOCKED LIMIT 1)
           RETURNING ${JOB_COLUMNS}`,
          [runnerId, staleMs],
        );
        return r.rows[0];
      });
      if (!row) return null;
      const [draftFiles, baselineFiles] = await Promise.all([
        files(row.draftVersionId),
        files(row.baselineVersionId),
      ]);
      return {
        id: row.id,
        organizationId: row.organizationId,
        environmentId: row.environmentId,
        draftVersionId: row.draftVersionId,
        baselineVersionId: row.baselineVersionId,
        draftFiles,
        baselineFiles,
        overrides: row.overrides ?? {},
        sources: row.sources ?? [],
        from: row.fromTime,
        to: row.toTime,
        attempts: row.attempts,
        eventsTotal: row.eventsTotal,
        eventsScanned: row.eventsScanned,
        cursor: row.cursor,
        result: row.result,
      };
    },

    async countEvents(scope, sources) {
      const [raw, alerts] = await Promise.all([
        pool.query<{ source: string; n: string }>(
          `SELECT source, count(*) AS n FROM raw_events
           WHERE "environmentId" = $1::uuid AND source = ANY($2::text[])
             AND "eventTime" >= $3 AND "eventTime" < $4
           GROUP BY source`,
          [scope.environmentId, sources, scope.from, scope.to],
        ),
        pool.query<{ source: string; n: string }>(
          `SELECT a.source, count(*) AS n FROM alerts a
           WHERE a."environmentId" = $1::uuid AND a.source = ANY($2::text[])
             AND a."eventTime" >= $3 AND a."eventTime" < $4
             AND NOT EXISTS (SELECT 1 FROM raw_events r
                             WHERE r."environmentId" = a."environmentId" AND r."ingestKey" = a."ingestKey")
           GROUP BY a.source`,
          [scope.environmentId, sources, scope.from, scope.to],
        ),
      ]);
      return {
        raw: new Map(raw.rows.map((r) => [r.source, Number(r.n)])),
        alerts: new Map(alerts.rows.map((r) => [r.source, Number(r.n)])),
      };
    },

    async setTotal(jobId, runnerId, total) {
      const r = await pool.query(
        `UPDATE backtest_jobs SET "eventsTotal" = $3, "heartbeatAt" = now()
         WHERE id = $1::uuid AND "runnerId" = $2 AND status = 'running'`,
        [jobId, runnerId, total],
      );
      return (r.rowCount ?? 0) > 0;
    },

    async checkpoint(jobId, runnerId, c) {
      const row = await update(jobId, runnerId, `${PROGRESS}, "heartbeatAt" = now()`, progress(c), c.samples);
      return { lost: row === null, cancelRequested: row?.cancelRequestedAt != null };
    },

    async finish(jobId, runnerId, end) {
      const row = await update(
        jobId,
        runnerId,
        `${PROGRESS}, status = $7::"BacktestStatus", error = $8, "finishedAt" = now(), "heartbeatAt" = NULL`,
        [...progress(end), end.status, end.error ?? null],
        end.samples,
      );
      return row !== null;
    },

    async fail(jobId, runnerId, error) {
      const r = await pool.query(
        `UPDATE backtest_jobs SET status = 'failed', error = $3, "finishedAt" = now(), "heartbeatAt" = NULL
         WHERE id = $1::uuid AND "runnerId" = $2 AND status = 'running'`,
        [jobId, runnerId, error],
      );
      return (r.rowCount ?? 0) > 0;
    },

    async release(jobId, runnerId, c) {
      const row = await update(
        jobId,
        runnerId,
        `${PROGRESS}, status = 'queued', "runnerId" = NULL, "heartbeatAt" = NULL, attempts = greatest(attempts - 1, 0)`,
        progress(c),
        c.samples,
      );
      return row !== null;
    },

    async rawEvents(scope, source, after, limit, skip) {
      const from = after ?? START;
      const params: unknown[] = [
        scope.environmentId,
        source,
        scope.from,
        scope.to,
        from.time,
        from.id,
        limit,
      ];
      const query = skip ? skipQuery(skip) : PLAIN_QUERY;
      const r = await pool.query<{ id: string; t: string; payload: unknown; skip?: boolean; n?: string }>({
        name: query.name,
        text: query.text,
        values: [...params, ...query.values],
      });
      const last = r.rows[r.rows.length - 1];
      const rows: StoredRawEvent[] = [];
      for (const row of r.rows) if (!row.skip) rows.push({ id: row.id, time: row.t, payload: row.payload });
      // With a skip, the last row sent is the page's last and says how many rows the page held.
      const size = last?.n === undefined ? r.rows.length : Number(last.n);
      return {
        rows,
        skipped: size - rows.length,
        after: last && size === limit ? { time: last.t, id: last.id } : null,
      };
    },

    async alertEvents(scope, sources, after, limit) {
      const from = after ?? START;
      // The page is cut from the (environment, time, id) index first and filtered after: filtered
      // inside, the planner misjudges the anti-join as nearly empty and sorts the whole range on
      // every page. `keep` marks the alerts of the wanted sources whose event was not kept raw.
      const r = await pool.query<{
        id: string;
        t: string;
        source: string;
        rule: string;
        hostname: string | null;
        ingestKey: string | null;
        keep: boolean;
        outputFields: Record<string, unknown> | null;
      }>(
        `SELECT s.id, s.t, s.source, s.rule, s.hostname, s."ingestKey", s.keep,
                CASE WHEN s.keep THEN s."outputFields" END AS "outputFields"
         FROM (SELECT a.id, a."eventTime"::text AS t, a.source, a.rule, a.hostname, a."ingestKey",
                      a."outputFields",
                      (a.source = ANY($2::text[]) AND NOT EXISTS (
                        SELECT 1 FROM raw_events r
                        WHERE r."environmentId" = a."environmentId" AND r."ingestKey" = a."ingestKey")) AS keep
               FROM alerts a
               WHERE a."environmentId" = $1::uuid
                 AND a."eventTime" >= greatest($3::timestamptz, $5::timestamptz) AND a."eventTime" < $4
                 AND (a."eventTime", a.id) > ($5::timestamptz, $6::bigint)
               ORDER BY a."eventTime", a.id LIMIT $7) s`,
        [scope.environmentId, sources, scope.from, scope.to, from.time, from.id, limit],
      );
      let rows = r.rows;
      if (rows.length === limit) {
        // Hold back the alerts of the last event: the next page starts with all of them.
        const key = rows[rows.length - 1]?.ingestKey;
        if (key != null) {
          let cut = rows.length;
          while (cut > 0 && rows[cut - 1]?.ingestKey === key) cut--;
          if (cut > 0) rows = rows.slice(0, cut);
        }
      }
      const last = rows[rows.length - 1];
      return {
        rows: rows
          .filter((row) => row.keep)
          .map((row) => ({
            id: row.id,
            source: row.source,
            rule: row.rule,
            time: row.t,
            hostname: row.hostname,
            ingestKey: row.ingestKey,
            outputFields: row.outputFields ?? {},
          })),
        after: last && r.rows.length === limit ? { time: last.t, id: last.id } : null,
      };
    },

    async prune(before, limit) {
      return transaction(async (client) => {
        // Locked and skipped when locked: a console cancelling (or reading) the job meanwhile is
        // never blocked, and the next pass takes what this one skipped.
        const doomed = await client.query<{ id: string }>(
          `SELECT id::text FROM backtest_jobs
           WHERE status IN ('done', 'failed', 'cancelled') AND "finishedAt" < $1
           ORDER BY "finishedAt" LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [before, limit],
        );
        const ids = doomed.rows.map((r) => r.id);
        if (ids.length === 0) return { jobs: 0, samples: 0 };
        const samples = await client.query('DELETE FROM backtest_samples WHERE "jobId" = ANY($1::uuid[])', [
          ids,
        ]);
        const jobs = await client.query(
          `DELETE FROM backtest_jobs WHERE id = ANY($1::uuid[]) AND status IN ('done', 'failed', 'cancelled')`,
          [ids],
        );
        return { jobs: jobs.rowCount ?? 0, samples: samples.rowCount ?? 0 };
      });
    },

    close: () => pool.end(),
  };
}

import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AlertStatus, Priority } from '../generated/prisma/enums.js';

/** Falco priorities, most severe first: the order of the `Priority` enum in Postgres. */
export const ALERT_PRIORITIES: readonly Priority[] = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
];

/** Triage statuses in workflow order. */
export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];

/**
 * Which alerts of one organisation to act on. Every list is OR inside, AND across fields (like
 * falcosidekick-ui's API); `tags` is the exception: an alert must carry every tag given
 * (`anyTags`: at least one of them).
 */
export interface AlertFilter {
  organizationId: string;
  /** Empty or absent: every environment of the organisation. */
  environmentIds?: string[] | undefined;
  /** `gte`: at least this severe (Falco's `minimumpriority`); `eq`: exactly this one. */
  priority?: { op: 'gte' | 'eq'; value: Priority } | undefined;
  rules?: string[] | undefined;
  sources?: string[] | undefined;
  tags?: string[] | undefined;
  /** At least one of these tags (the ATT&CK matrix's technique: `T1003` or `T1003.001`). */
  anyTags?: string[] | undefined;
  hostnames?: string[] | undefined;
  statuses?: AlertStatus[] | undefined;
  /** User ids; `null` in the list stands for "unassigned". */
  assignees?: (string | null)[] | undefined;
  /** Inclusive lower and exclusive upper bound on the event time. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Case-insensitive substring of the alert's message (its output without the time prefix). */
  text?: string | undefined;
  /** Output field equalities (`k8s.ns.name = prod`), all of which must hold. */
  fields?: { key: string; value: string }[] | undefined;
  groupId?: string | undefined;
}

/** Escapes LIKE's wildcards so user text matches literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A JSON value as the user typed it may be stored as a string or, for numeric fields such as
 * `proc.pid`, as a number or boolean: containment must try each shape it could have.
 */
function fieldShapes(key: string, value: string): string[] {
  const shapes = [JSON.stringify({ [key]: value })];
  if (/^-?\d+(\.\d+)?$/.test(value)) {
    // An integer beyond 2^53 (a nanosecond evt.time) as its own literal: a double would round it.
    shapes.push(
      /^-?\d+$/.test(value) && !Number.isSafeInteger(Number(value))
        ? `{${JSON.stringify(key)}:${value}}`
        : JSON.stringify({ [key]: Number(value) }),
    );
  }
  if (value === 'true' || value === 'false') shapes.push(JSON.stringify({ [key]: value === 'true' }));
  if (value === 'null') shapes.push(JSON.stringify({ [key]: null }));
  return shapes;
}

/**
 * Output fields that hold the time of the alert's line (the engine and Falco add one to every
 * alert): not part of an alert's content (`alert_content_fields()` in SQL), so a condition on one
 * is decided on the alert row alone.
 */
export const LINE_TIME_FIELDS: readonly string[] = ['evt.time', 'evt.time.iso8601'];

/** The filter without its content conditions: what the alert row's own indexes can serve. */
export function withoutContentConditions(filter: AlertFilter): AlertFilter {
  return { ...filter, text: undefined, fields: undefined, tags: undefined, anyTags: undefined };
}

/** True when the filter has conditions on alert contents (free text, output fields, tags). */
export function hasContentConditions(filter: AlertFilter): boolean {
  return Boolean(filter.text || filter.fields?.length || filter.tags?.length || filter.anyTags?.length);
}

/**
 * Conditions on an alert's content over `alias` (`c`: an alert_contents row, whose `message` is
 * the output without its time prefix; `a`: an alert row, whose output goes through the same
 * `alert_message()`), so both sides mean exactly the same thing.
 */
function contentConditions(filter: AlertFilter, alias: 'a' | 'c'): Prisma.Sql[] {
  const t = Prisma.raw(alias);
  const parts: Prisma.Sql[] = [];
  if (filter.tags?.length) parts.push(Prisma.sql`${t}.tags @> ${filter.tags}::text[]`);
  if (filter.anyTags?.length) parts.push(Prisma.sql`${t}.tags && ${filter.anyTags}::text[]`);
  if (filter.text) {
    const pattern = likePattern(filter.text);
    if (alias === 'c') parts.push(Prisma.sql`c.message ILIKE ${pattern}`);
    else {
      // The message is the output less its time prefix, so it can only match where the output
      // does: that cheap test first, the regular expression only on the rows it lets through.
      parts.push(Prisma.sql`a.output ILIKE ${pattern}`);
      parts.push(Prisma.sql`alert_message(a.output) ILIKE ${pattern}`);
    }
  }
  for (const field of filter.fields ?? []) {
    // A content does not carry the line's time (each alert's own): the alert row decides it.
    if (alias === 'c' && LINE_TIME_FIELDS.includes(field.key)) continue;
    const shapes = fieldShapes(field.key, field.value).map(
      (s) => Prisma.sql`${t}."outputFields" @> ${s}::jsonb`,
    );
    parts.push(
      shapes.length === 1 ? (shapes[0] as Prisma.Sql) : Prisma.sql`(${Prisma.join(shapes, ' OR ')})`,
    );
  }
  return parts;
}

/**
 * How a filter's content conditions reach the alerts: `subquery` (default) joins the matching
 * alert_contents rows in SQL; `hashes` uses contents already looked up (`findContentHashes`);
 * `scan` checks each alert row only (too many contents match for a list of hashes to help).
 */
export type ContentMatch = { kind: 'subquery' } | { kind: 'hashes'; hashes: string[] } | { kind: 'scan' };

/** Most content hashes a query carries as a list; more than that and the alert rows are checked instead. */
export const MAX_CONTENT_HASHES = 2000;

/**
 * The hashes of the organisation's alert contents that satisfy the filter's content conditions,
 * found through alert_contents' search indexes; `scan` when more than `cap` match (the condition
 * is common: checking alert rows newest first finds a page quickly).
 */
export async function findContentHashes(
  db: Db,
  filter: AlertFilter,
  cap: number = MAX_CONTENT_HASHES,
): Promise<ContentMatch> {
  if (!hasContentConditions(filter)) return { kind: 'subquery' };
  const conditions = contentConditions(filter, 'c');
  // Only conditions on the line's time: contents cannot narrow anything, the alert rows decide.
  if (conditions.length === 0) return { kind: 'scan' };
  const rows = await db.prisma.$queryRaw<{ hash: string }[]>`
    SELECT c.hash::text AS hash FROM alert_contents c
    WHERE c."organizationId" = ${filter.organizationId}::uuid
      AND ${Prisma.join(conditions, ' AND ')}
    LIMIT ${cap + 1}`;
  if (rows.length > cap) return { kind: 'scan' };
  return { kind: 'hashes', hashes: rows.map((r) => r.hash) };
}

/**
 * The WHERE clause of a filter over table alias `a`. Each condition is written so that an index
 * serves it: btree on (environmentId|organizationId, eventTime, id) and on (environmentId, column,
 * eventTime) for single values; content conditions (free text, output fields, tags) through the
 * matching rows of alert_contents (trigram, jsonb_path_ops and tag GIN indexes there) and the
 * btree on `contentHash`, then checked on the alert row itself as well.
 */
export function alertWhere(filter: AlertFilter, contents: ContentMatch = { kind: 'subquery' }): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`a."organizationId" = ${filter.organizationId}::uuid`];
  if (filter.environmentIds?.length) {
    parts.push(
      filter.environmentIds.length === 1
        ? Prisma.sql`a."environmentId" = ${filter.environmentIds[0]}::uuid`
        : Prisma.sql`a."environmentId" = ANY(${filter.environmentIds}::uuid[])`,
    );
  }
  if (filter.priority) {
    const op = filter.priority.op === 'eq' ? Prisma.raw('=') : Prisma.raw('<=');
    parts.push(Prisma.sql`a.priority ${op} ${filter.priority.value}::"Priority"`);
  }
  const oneOf = (column: Prisma.Sql, values: string[] | undefined, type: Prisma.Sql) => {
    if (!values?.length) return;
    // A single value as `=`: the planner then walks (environmentId, column, eventTime) in order.
    parts.push(
      values.length === 1
        ? Prisma.sql`${column} = ${values[0]}::${type}`
        : Prisma.sql`${column} = ANY(${values}::${type}[])`,
    );
  };
  oneOf(Prisma.sql`a.rule`, filter.rules, Prisma.raw('text'));
  oneOf(Prisma.sql`a.source`, filter.sources, Prisma.raw('text'));
  oneOf(Prisma.sql`a.hostname`, filter.hostnames, Prisma.raw('text'));
  oneOf(Prisma.sql`a.status`, filter.statuses, Prisma.raw('"AlertStatus"'));
  if (filter.assignees?.length) {
    const ids = filter.assignees.filter((id): id is string => id !== null);
    const unassigned = filter.assignees.includes(null);
    const ors: Prisma.Sql[] = [];
    if (ids.length) ors.push(Prisma.sql`a."assigneeId" = ANY(${ids}::text[])`);
    if (unassigned) ors.push(Prisma.sql`a."assigneeId" IS NULL`);
    parts.push(Prisma.sql`(${Prisma.join(ors, ' OR ')})`);
  }
  if (filter.from) parts.push(Prisma.sql`a."eventTime" >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`a."eventTime" < ${filter.to}`);
  if (hasContentConditions(filter)) {
    if (contents.kind === 'hashes') {
      parts.push(Prisma.sql`a."contentHash" = ANY(${contents.hashes}::uuid[])`);
    } else if (contents.kind === 'subquery' && contentConditions(filter, 'c').length > 0) {
      parts.push(Prisma.sql`a."contentHash" IN (
        SELECT c.hash FROM alert_contents c
        WHERE c."organizationId" = ${filter.organizationId}::uuid
          AND ${Prisma.join(contentConditions(filter, 'c'), ' AND ')})`);
    }
    // The alert row itself decides: a content hash is 128 bits of SHA-256 over the content, but
    // checking the row keeps the result exact whatever the lookup path.
    parts.push(...contentConditions(filter, 'a'));
  }
  if (filter.groupId) parts.push(Prisma.sql`a."groupId" = ${filter.groupId}::uuid`);
  return Prisma.join(parts, ' AND ');
}

/**
 * Keyset cursor: the last row's event time as Postgres prints it (microseconds, which a JS Date
 * would truncate and so skip or repeat rows) and its id. Opaque to clients.
 */
export function encodeAlertCursor(eventTimeText: string, id: string): string {
  return Buffer.from(JSON.stringify([eventTimeText, id])).toString('base64url');
}

/** The cursor's parts, or null when it was not produced by `encodeAlertCursor`. */
export function decodeAlertCursor(cursor: string): { eventTime: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === 'string' &&
      /^\d{1,19}$/.test(value[1])
    ) {
      return { eventTime: value[0], id: value[1] };
    }
  } catch {
    // fall through: not one of ours
  }
  return null;
}

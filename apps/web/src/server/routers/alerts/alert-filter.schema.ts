import { PRIORITY_NAMES } from '@peregrine/protocol';
import { z } from 'zod';

/** Falco priorities, most severe first (the wire's lower-case names). */
export const PRIORITIES = PRIORITY_NAMES;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;

export const STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export const statusSchema = z.enum(STATUSES);
export type AlertStatus = z.infer<typeof statusSchema>;

/** Relative time ranges, resolved against the server's clock at query time. */
export const RANGES = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export const rangeSchema = z.enum(RANGES);
export type TimeRange = z.infer<typeof rangeSchema>;

const text = z.string().trim().min(1).max(256);

/**
 * An id of Postgres' `uuid` type in its canonical text form. Not `z.uuid()`: that accepts RFC 4122
 * versions and variants only, and alert group ids are `md5(...)::uuid` (the collector derives
 * them from the environment and dedup key), so most of them carry no version nibble at all.
 */
export const databaseUuidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'Not a valid id');
const many = z.array(text).max(50).default([]);

/**
 * The alert list's filter as the console sends it: environments by slug, assignees by user id,
 * `none` for unassigned and `me` for the caller. The same shape round-trips through the URL
 * (src/features/alerts/filter-url.ts) and saved views.
 */
export const alertFilterSchema = z.object({
  /** Environment slug; null for every environment of the organisation. */
  environment: z.string().min(1).max(64).nullable().default(null),
  priority: z
    .object({ op: z.enum(['gte', 'eq']), value: prioritySchema })
    .nullable()
    .default(null),
  rules: many,
  sources: many,
  tags: many,
  /** At least one of these tags (the ATT&CK matrix links a technique as its tags). */
  anyTags: many,
  hostnames: many,
  statuses: z.array(statusSchema).max(4).default([]),
  assignees: many,
  /** A relative range wins over from/to. */
  range: rangeSchema.nullable().default(null),
  from: z.iso.datetime({ offset: true }).nullable().default(null),
  to: z.iso.datetime({ offset: true }).nullable().default(null),
  text: z.string().trim().max(256).default(''),
  fields: z
    .array(z.object({ key: z.string().trim().min(1).max(128), value: z.string().max(1024) }))
    .max(10)
    .default([]),
  group: databaseUuidSchema.nullable().default(null),
});

export type AlertFilterInput = z.input<typeof alertFilterSchema>;
export type AlertFilterValue = z.output<typeof alertFilterSchema>;

/** Dates leave the server as ISO-8601 strings (the tRPC link has no transformer). */
export const isoDate = z.date().transform((d) => d.toISOString());

/** One alert row as listed (and as pushed live). */
export const alertRowSchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  rule: z.string(),
  priority: prioritySchema,
  source: z.string(),
  output: z.string(),
  outputFields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  hostname: z.string().nullable(),
  eventTime: isoDate,
  createdAt: isoDate,
  status: statusSchema,
  assigneeId: z.string().nullable(),
  assigneeName: z.string().nullable(),
  groupId: z.string().nullable(),
});
export type AlertRow = z.output<typeof alertRowSchema>;

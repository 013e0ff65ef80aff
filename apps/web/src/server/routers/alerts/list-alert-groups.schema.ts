import { z } from 'zod';
import { alertFilterSchema, isoDate, prioritySchema, statusSchema } from './alert-filter.schema';

export const listAlertGroupsInput = z.object({
  filter: alertFilterSchema,
  cursor: z.string().max(200).nullable().default(null),
  limit: z.number().int().min(1).max(200).default(50),
});

export const listAlertGroupsOutput = z.object({
  rows: z.array(
    z.object({
      id: z.string(),
      environmentId: z.string(),
      rule: z.string(),
      priority: prioritySchema,
      source: z.string(),
      count: z.number(),
      firstSeenAt: isoDate,
      lastSeenAt: isoDate,
      lastOutput: z.string(),
      status: statusSchema,
      assigneeId: z.string().nullable(),
      assigneeName: z.string().nullable(),
      /** Open alerts in the group, counted up to 100. */
      openCount: z.number().int().nonnegative(),
      /** The group's alerts per status, each counted up to 100; statuses without alerts absent. */
      statusCounts: z.partialRecord(statusSchema, z.number().int().nonnegative()),
      /** Who the group's alerts are assigned to: nobody, one member, or several (or some). */
      assignment: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('none') }),
        z.object({ kind: z.literal('one'), assigneeId: z.string(), assigneeName: z.string().nullable() }),
        z.object({ kind: z.literal('mixed') }),
      ]),
    }),
  ),
  nextCursor: z.string().nullable(),
});

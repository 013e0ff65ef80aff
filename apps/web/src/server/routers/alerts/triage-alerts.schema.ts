import { z } from 'zod';
import { alertFilterSchema, statusSchema } from './alert-filter.schema';
import { alertIdSchema } from './get-alert.schema';

export const triageAlertsInput = z.object({
  /** Selected alerts, or everything matching `filter` up to `maxId` (from alerts.count). */
  target: z.union([
    z.object({ ids: z.array(alertIdSchema).min(1).max(5000) }),
    z.object({ filter: alertFilterSchema, maxId: alertIdSchema }),
  ]),
  status: statusSchema.optional(),
  /** A member's user id, or null to unassign. */
  assigneeId: z.string().min(1).max(64).nullable().optional(),
});

export const triageAlertsOutput = z.object({
  updated: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
});

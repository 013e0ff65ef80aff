import { z } from 'zod';
import { alertFilterSchema } from './alert-filter.schema';

export const countAlertsInput = z.object({ filter: alertFilterSchema });

export const countAlertsOutput = z.object({
  count: z.number().int().nonnegative(),
  /** Pass back to a bulk action so alerts arriving after the confirmation are left alone. */
  maxId: z.string().nullable(),
});

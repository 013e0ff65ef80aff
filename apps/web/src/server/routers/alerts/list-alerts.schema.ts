import { z } from 'zod';
import { alertFilterSchema, alertRowSchema } from './alert-filter.schema';

export const listAlertsInput = z.object({
  filter: alertFilterSchema,
  cursor: z.string().max(200).nullable().default(null),
  limit: z.number().int().min(1).max(200).default(50),
});

export const listAlertsOutput = z.object({
  rows: z.array(alertRowSchema),
  nextCursor: z.string().nullable(),
});

import { z } from 'zod';
import { isoDate } from '../alerts/alert-filter.schema';
import { activityItemSchema, entityKindSchema, entitySchema, entityValueSchema } from './entity.schema';

export const getEntityActivityInput = z.object({
  environmentId: z.uuid(),
  kind: entityKindSchema,
  value: entityValueSchema,
  /** The window: `hours` before `to` (default now). */
  hours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
  to: z.coerce.date().optional(),
  limit: z.number().int().min(1).max(500).default(200),
});

export const getEntityActivityOutput = z.object({
  /** Null when nothing in the environment ever named it. */
  entity: entitySchema.nullable(),
  environmentName: z.string(),
  items: z.array(activityItemSchema),
  truncated: z.boolean(),
  from: isoDate,
  to: isoDate,
});

import { z } from 'zod';
import { incidentStatusSchema, incidentSummarySchema } from './incident.schema';

export const listIncidentsInput = z.object({
  environmentId: z.string().uuid().optional(),
  status: z.array(incidentStatusSchema).max(3).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** The previous page's `nextCursor` (opaque: last activity at the database's precision, and id). */
  cursor: z.string().max(200).nullish(),
});

export const listIncidentsOutput = z.object({
  items: z.array(incidentSummarySchema),
  nextCursor: z.string().nullable(),
});

import { z } from 'zod';
import { incidentStatusSchema, incidentSummarySchema } from './incident.schema';

export const listIncidentsInput = z.object({
  environmentId: z.string().uuid().optional(),
  status: z.array(incidentStatusSchema).max(3).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.object({ lastSeenAt: z.string().datetime(), id: z.string().uuid() }).optional(),
});

export const listIncidentsOutput = z.object({
  items: z.array(incidentSummarySchema),
  nextCursor: z.object({ lastSeenAt: z.string(), id: z.string() }).nullable(),
});

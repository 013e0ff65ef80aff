import { z } from 'zod';
import { incidentStatusSchema, incidentSummarySchema } from './incident.schema';

export const listIncidentsInput = z.object({
  environmentId: z.string().uuid().optional(),
  status: z.array(incidentStatusSchema).max(3).optional(),
  /**
   * Only incidents with at least one alert in [from, to) whose tags name this ATT&CK technique or
   * tactic (the matrix's incident count); needs `environmentId`.
   */
  attack: z
    .object({
      id: z.string().regex(/^(TA\d{4}|T\d{4}(\.\d{3})?)$/),
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
    })
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** The previous page's `nextCursor` (opaque: last activity at the database's precision, and id). */
  cursor: z.string().max(200).nullish(),
});

export const listIncidentsOutput = z.object({
  items: z.array(incidentSummarySchema),
  nextCursor: z.string().nullable(),
});

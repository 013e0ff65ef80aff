import { z } from 'zod';
import { incidentIdSchema } from './incident.schema';

export const mergeIncidentsInput = z.object({
  /** The incident that stays. */
  targetId: incidentIdSchema,
  /** Incidents whose alerts move into it (same environment). */
  sourceIds: z.array(incidentIdSchema).min(1).max(50),
});

export const mergeIncidentsOutput = z.object({ id: z.string(), moved: z.number() });

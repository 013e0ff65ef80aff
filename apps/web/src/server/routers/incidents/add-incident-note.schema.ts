import { z } from 'zod';
import { isoDate } from '../alerts/alert-filter.schema';
import { incidentIdSchema } from './incident.schema';

export const addIncidentNoteInput = z.object({
  id: incidentIdSchema,
  body: z.string().trim().min(1, 'Write something first').max(10_000),
});

export const addIncidentNoteOutput = z.object({ createdAt: isoDate });

import { z } from 'zod';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { incidentIdSchema } from './incident.schema';

export const splitIncidentInput = z.object({
  id: incidentIdSchema,
  /** Alerts of the incident that move into a new incident. */
  alertIds: z.array(alertIdSchema).min(1).max(1000),
  title: z.string().trim().min(1).max(300).optional(),
});

export const splitIncidentOutput = z.object({ id: z.string() });

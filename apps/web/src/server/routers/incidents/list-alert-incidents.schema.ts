import { z } from 'zod';
import { prioritySchema } from '../alerts/alert-filter.schema';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { incidentStatusSchema } from './incident.schema';

export const listAlertIncidentsInput = z.object({ alertId: alertIdSchema });

export const listAlertIncidentsOutput = z.array(
  z.object({
    id: z.string(),
    title: z.string(),
    status: incidentStatusSchema,
    score: z.number().int(),
    priority: prioritySchema,
    alertCount: z.number().int(),
  }),
);

import { z } from 'zod';
import { isoDate } from '../alerts/alert-filter.schema';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { activityItemSchema, entitySchema } from './entity.schema';

export const getAlertContextInput = z.object({
  id: alertIdSchema,
  /** Related activity within this many minutes either side of the alert (default 30). */
  windowMinutes: z.number().int().min(1).max(1440).default(30),
});

export const getAlertContextOutput = z.object({
  entities: z.array(entitySchema),
  /** Alerts and raw events sharing the alert's entities within the window, newest first. */
  related: z.array(activityItemSchema),
  truncated: z.boolean(),
  from: isoDate,
  to: isoDate,
  /** The alert's process and its ancestors, from its output fields (the alert's process first). */
  processTree: z.array(
    z.object({
      level: z.number(),
      name: z.string(),
      pid: z.string().optional(),
      cmdline: z.string().optional(),
      exepath: z.string().optional(),
    }),
  ),
});

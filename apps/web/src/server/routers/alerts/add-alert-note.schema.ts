import { z } from 'zod';
import { isoDate } from './alert-filter.schema';
import { alertIdSchema } from './get-alert.schema';

export const addAlertNoteInput = z.object({
  alertId: alertIdSchema,
  body: z.string().trim().min(1, 'Write something first').max(10_000),
});

export const addAlertNoteOutput = z.object({ id: z.string(), createdAt: isoDate });

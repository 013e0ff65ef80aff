import { z } from 'zod';
import { incidentIdSchema, incidentStatusSchema } from './incident.schema';

export const updateIncidentInput = z
  .object({
    id: incidentIdSchema,
    status: incidentStatusSchema.optional(),
    /** null: unassign. */
    assigneeId: z.string().min(1).nullable().optional(),
    /** How it ended (null clears it). */
    resolution: z.string().trim().max(10_000).nullable().optional(),
  })
  .refine((v) => v.status !== undefined || v.assigneeId !== undefined || v.resolution !== undefined, {
    message: 'Change the status, assignee or resolution',
  });

export const updateIncidentOutput = z.object({
  status: incidentStatusSchema,
  assigneeId: z.string().nullable(),
  resolution: z.string().nullable(),
});

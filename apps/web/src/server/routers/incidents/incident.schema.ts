import { z } from 'zod';
import { isoDate, prioritySchema } from '../alerts/alert-filter.schema';

export const incidentIdSchema = z.string().uuid('Incident ids are UUIDs');
export const incidentStatusSchema = z.enum(['open', 'acknowledged', 'resolved']);

const entitySchema = z.object({ kind: z.string(), value: z.string(), label: z.string().nullable() });

/** One incident as listed. */
export const incidentSummarySchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  environmentName: z.string(),
  title: z.string(),
  status: incidentStatusSchema,
  score: z.number(),
  priority: prioritySchema,
  /** ATT&CK tactic ids, matrix order. */
  tactics: z.array(z.string()),
  sources: z.array(z.string()),
  alertCount: z.number(),
  firstSeenAt: isoDate,
  lastSeenAt: isoDate,
  assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
  entities: z.array(entitySchema),
});

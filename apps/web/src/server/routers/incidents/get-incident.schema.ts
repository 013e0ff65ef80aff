import { z } from 'zod';
import { isoDate, prioritySchema } from '../alerts/alert-filter.schema';
import { incidentIdSchema, incidentSummarySchema } from './incident.schema';

export const getIncidentInput = z.object({ id: incidentIdSchema });

export const getIncidentOutput = incidentSummarySchema.extend({
  resolution: z.string().nullable(),
  mergedIntoId: z.string().nullable(),
  entities: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      value: z.string(),
      label: z.string().nullable(),
      alerts: z.number(),
    }),
  ),
  /** Alerts and the raw events naming the incident's entities, in event time order. */
  timeline: z.array(
    z.object({
      ref: z.enum(['alert', 'raw']),
      id: z.string(),
      source: z.string(),
      eventTime: isoDate,
      entityIds: z.array(z.string()),
      alert: z
        .object({
          rule: z.string(),
          priority: prioritySchema,
          output: z.string(),
          hostname: z.string().nullable(),
          tags: z.array(z.string()),
        })
        .optional(),
      raw: z.object({ summary: z.string(), payload: z.unknown() }).optional(),
    }),
  ),
  activities: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      detail: z.unknown(),
      actor: z.string().nullable(),
      createdAt: isoDate,
    }),
  ),
});

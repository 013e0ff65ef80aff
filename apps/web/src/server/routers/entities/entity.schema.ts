import { ENTITY_KINDS, MAX_ENTITY_VALUE } from '@peregrine/engine';
import { z } from 'zod';
import { isoDate, prioritySchema } from '../alerts/alert-filter.schema';

export const entityKindSchema = z.enum(ENTITY_KINDS);

/** An entity: what alerts and raw events name (kind and normalized value, per environment). */
export const entitySchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  kind: z.string(),
  value: z.string(),
  label: z.string().nullable(),
});

export const entityValueSchema = z.string().min(1).max(MAX_ENTITY_VALUE);

/** One alert or raw event naming some of the entities asked about. */
export const activityItemSchema = z.object({
  ref: z.enum(['alert', 'raw']),
  id: z.string(),
  source: z.string(),
  eventTime: isoDate,
  /** The asked entities it names. */
  entityIds: z.array(z.string()),
  alert: z
    .object({
      rule: z.string(),
      priority: prioritySchema,
      output: z.string(),
      hostname: z.string().nullable(),
    })
    .nullable(),
  /** A raw event in one line (the engine's per-source summary paths). */
  summary: z
    .object({
      action: z.string().optional(),
      actor: z.string().optional(),
      sourceIp: z.string().optional(),
      userAgent: z.string().optional(),
      target: z.string().optional(),
    })
    .nullable(),
});

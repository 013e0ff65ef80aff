import { PRIORITY_NAMES } from '@peregrine/protocol';
import { z } from 'zod';

export const retentionRuleSchema = z.object({
  environmentId: z.uuid().nullable(),
  priority: z.enum(PRIORITY_NAMES).nullable(),
  days: z.number().int().min(1).max(36_500),
});

export const getRetentionOutput = z.object({
  rules: z.array(retentionRuleSchema),
  storageLimitBytes: z.number().int().nullable(),
  /** PEREGRINE_MAX_ALERTS_RETAINED: the oldest alerts past it are deleted. */
  maxAlerts: z.number().int(),
  usage: z.object({
    alerts: z.number().int(),
    estimatedBytes: z.number().int(),
    /** ISO 8601. */
    oldestEventTime: z.string().nullable(),
  }),
});

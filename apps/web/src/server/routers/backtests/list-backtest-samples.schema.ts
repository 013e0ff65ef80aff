import { z } from 'zod';
import { isoDate } from '../rules/rules-common.schema';

export const listBacktestSamplesInput = z.object({
  id: z.uuid(),
  rule: z.string().min(1).max(1000).optional(),
  change: z.enum(['added', 'removed']).optional(),
});

/** An alert in Falco's shape, as the engine rendered it for a sample. */
const sampleAlert = z.object({
  rule: z.string(),
  priority: z.string(),
  source: z.string(),
  time: z.string(),
  output: z.string(),
  message: z.string(),
  output_fields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  hostname: z.string(),
});

export const listBacktestSamplesOutput = z.array(
  z.object({
    id: z.string(),
    rule: z.string(),
    change: z.enum(['added', 'removed']),
    /** `raw:<id>` (a stored raw event) or `alert:<id>` (an event rebuilt from a stored alert). */
    ref: z.string(),
    source: z.string(),
    eventTime: isoDate,
    /** The event as it was evaluated (integers beyond 2^53 as decimal strings). */
    event: z.unknown(),
    activeAlerts: z.array(sampleAlert),
    draftAlerts: z.array(sampleAlert),
  }),
);

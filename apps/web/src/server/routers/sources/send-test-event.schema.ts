import { z } from 'zod';

export const sendTestEventInput = z.object({ sourceId: z.uuid() });

/** What the collector did with the test event (packages/protocol's SourceTestEventResult). */
export const sendTestEventOutput = z.object({
  sourceId: z.string(),
  kind: z.string(),
  description: z.string(),
  expectedRule: z.string(),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  alerts: z.array(z.object({ id: z.string(), rule: z.string(), priority: z.string() })),
  spooled: z.boolean(),
  queued: z.boolean(),
  /** Why no alert was raised, when none was and none is coming. */
  reason: z.string().nullable(),
});

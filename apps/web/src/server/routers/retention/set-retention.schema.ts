import { z } from 'zod';
import { retentionRuleSchema } from './get-retention.schema';

export const setRetentionInput = z.object({
  rules: z.array(retentionRuleSchema).max(200),
  /** Null: no size limit. At least 1 MiB. */
  storageLimitBytes: z.number().int().min(1_048_576).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export const setRetentionOutput = z.object({ ok: z.literal(true) });

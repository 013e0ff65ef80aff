import { z } from 'zod';
import { fullCoverageHint } from './sensor.schema';

export const getCaptureCoverageInput = z.object({
  /** Environment slug from the switcher; null for every environment. */
  environment: z.string().min(1).max(64).nullable(),
});

export const getCaptureCoverageOutput = z.object({
  online: z.number().int().nonnegative(),
  kernel: z.number().int().nonnegative(),
  reduced: z.array(
    z.object({ name: z.string(), hostname: z.string().nullable(), reason: z.string().nullable() }),
  ),
  uncaptured: z.array(
    z.object({
      name: z.string(),
      hostname: z.string().nullable(),
      mode: z.string().nullable(),
      eventTypes: z.array(z.string()),
    }),
  ),
  fullCoverage: fullCoverageHint,
});

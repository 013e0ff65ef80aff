import { z } from 'zod';

export const getDashboardOverviewInput = z.object({
  /** Environment slug from the switcher; null for every environment. */
  environment: z.string().min(1).max(64).nullable(),
});

export const getDashboardOverviewOutput = z.object({
  environment: z.object({ id: z.string(), name: z.string(), displayName: z.string() }).nullable(),
  hasAlerts: z.boolean(),
  sensors: z.number().int().nonnegative(),
  cloudSources: z.number().int().nonnegative(),
});

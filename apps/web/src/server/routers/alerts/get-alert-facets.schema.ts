import { z } from 'zod';

export const getAlertFacetsInput = z.object({
  environment: z.string().min(1).max(64).nullable().default(null),
});

export const getAlertFacetsOutput = z.object({
  rules: z.array(z.string()),
  sources: z.array(z.string()),
  hostnames: z.array(z.string()),
  tags: z.array(z.string()),
});

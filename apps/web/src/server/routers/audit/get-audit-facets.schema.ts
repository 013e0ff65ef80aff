import { z } from 'zod';

export const getAuditFacetsOutput = z.object({
  actions: z.array(z.string()),
  targetTypes: z.array(z.string()),
  users: z.array(z.object({ id: z.string(), name: z.string(), email: z.string() })),
  apiKeys: z.array(z.object({ id: z.string(), name: z.string(), prefix: z.string() })),
});

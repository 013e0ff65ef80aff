import { z } from 'zod';

/** The "New organisation" form: shared by the browser (instant feedback) and the server. */
export const createOrganizationInput = z.object({
  name: z.string().trim().min(1, 'Name the organisation').max(120, 'Use at most 120 characters'),
});

export type CreateOrganizationInput = z.infer<typeof createOrganizationInput>;

export const createOrganizationOutput = z.object({ id: z.string(), name: z.string(), slug: z.string() });

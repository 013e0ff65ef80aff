import { z } from 'zod';

/**
 * The organisation to delete, named explicitly (it must be the one the request acts in) and
 * confirmed by its name as the admin typed it.
 */
export const deleteOrganizationInput = z.object({
  organizationId: z.uuid(),
  confirmName: z.string().min(1).max(200),
});

export const deleteOrganizationOutput = z.object({ organizationId: z.string() });

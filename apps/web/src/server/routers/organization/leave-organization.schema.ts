import { z } from 'zod';

/**
 * The organisation being left, named explicitly: it must be the one the request acts in, so a tab
 * still showing another organisation cannot leave the wrong one.
 */
export const leaveOrganizationInput = z.object({ organizationId: z.uuid() });

export const leaveOrganizationOutput = z.object({ organizationId: z.string() });

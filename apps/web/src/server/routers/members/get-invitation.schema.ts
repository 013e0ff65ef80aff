import { z } from 'zod';
import { roleSchema } from '../../roles';
import { invitationToken } from './invitation.schema';

export const getInvitationInput = z.object({ token: invitationToken });
export const getInvitationOutput = z.object({
  organizationName: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  expiresAt: z.iso.datetime(),
  accountExists: z.boolean(),
});

import { z } from 'zod';
import { roleSchema } from '../../roles';
import { invitationToken } from './invitation.schema';

export const acceptInvitationInput = z.object({ token: invitationToken });
export const acceptInvitationOutput = z.object({ organizationId: z.string(), role: roleSchema });

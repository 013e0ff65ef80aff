import { z } from 'zod';
import { invitationItem } from './invitation.schema';

export const revokeInvitationInput = z.object({ invitationId: z.uuid() });
export const revokeInvitationOutput = invitationItem;

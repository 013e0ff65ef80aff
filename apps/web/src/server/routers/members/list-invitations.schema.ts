import { z } from 'zod';
import { invitationItem } from './invitation.schema';

export const listInvitationsOutput = z.array(invitationItem);

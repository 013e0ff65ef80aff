import { z } from 'zod';
import { roleSchema } from '../../roles';
import { invitationItem } from './invitation.schema';

export const createInvitationInput = z.object({
  email: z.email('Enter a valid email address').max(254),
  role: roleSchema,
});
export const createInvitationOutput = z.object({
  invitation: invitationItem,
  /** The one-time link; only its hash is stored, so this is the only time it can be shown. */
  url: z.url(),
});

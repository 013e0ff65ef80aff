import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/password-policy';
import { roleSchema } from '../../roles';
import { invitationToken } from './invitation.schema';

/** The invitee's new account: the email comes from the invitation, never from the form. */
export const acceptInvitationWithSignUpInput = z
  .object({
    token: invitationToken,
    name: z.string().trim().min(1, 'Enter your name').max(120),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters`),
    confirmPassword: z.string(),
  })
  .refine((value) => value.password === value.confirmPassword, {
    path: ['confirmPassword'],
    message: 'The passwords do not match',
  });
export const acceptInvitationWithSignUpOutput = z.object({ organizationId: z.string(), role: roleSchema });

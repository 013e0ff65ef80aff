import { z } from 'zod';
import { roleSchema } from '../../roles';

/** An invitation as listed in the console. */
export const invitationItem = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  invitedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  expiresAt: z.iso.datetime(),
  acceptedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});

/** Invitation tokens are 32 random bytes in base64url (43 characters). */
export const invitationToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{20,100}$/, 'This invitation link is not valid');

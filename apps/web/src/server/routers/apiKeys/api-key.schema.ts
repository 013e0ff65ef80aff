import { z } from 'zod';
import { roleSchema } from '../../roles';

/** An API key as listed (never the key itself). */
export const apiKeyItem = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: roleSchema,
  createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** The API key that created this one (it is revoked with it), when a key did. */
  parentKey: z.object({ id: z.string(), name: z.string() }).nullable(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

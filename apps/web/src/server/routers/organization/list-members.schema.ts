import { z } from 'zod';
import { roleSchema } from '../../roles';

export const listMembersOutput = z.array(
  z.object({
    userId: z.string(),
    name: z.string(),
    email: z.string(),
    role: roleSchema,
    joinedAt: z.iso.datetime(),
  }),
);

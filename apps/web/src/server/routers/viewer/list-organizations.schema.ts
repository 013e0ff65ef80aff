import { z } from 'zod';
import { roleSchema } from '../../roles';

export const listOrganizationsOutput = z.array(
  z.object({ id: z.string(), name: z.string(), slug: z.string(), role: roleSchema }),
);

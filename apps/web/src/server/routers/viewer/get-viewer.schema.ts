import { z } from 'zod';
import { roleSchema } from '../../roles';

export const getViewerOutput = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
  role: roleSchema,
  /** Reads the instance-level audit log. */
  instanceAdmin: z.boolean(),
});

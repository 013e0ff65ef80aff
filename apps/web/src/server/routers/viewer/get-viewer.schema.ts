import { z } from 'zod';
import { roleSchema } from '../../roles';

export const getViewerOutput = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
  role: roleSchema,
  /** Reads the instance-level audit log. */
  instanceAdmin: z.boolean(),
  /** The caller's role in each environment (environment grants applied) and promoter right. */
  environments: z.array(z.object({ environmentId: z.string(), role: roleSchema, promoter: z.boolean() })),
});

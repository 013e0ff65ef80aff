import { z } from 'zod';
import { roleSchema } from '../../roles';

export const environmentGrant = z.object({
  userId: z.string(),
  environmentId: z.string(),
  /** The member's role in this environment; null: their organisation role. */
  role: roleSchema.nullable(),
  /** May activate, promote into and roll back this environment whatever the role. */
  promoter: z.boolean(),
});

export const listEnvironmentGrantsOutput = z.array(environmentGrant);

export const setEnvironmentGrantInput = z.object({
  userId: z.string().min(1).max(200),
  environmentId: z.uuid(),
  role: roleSchema.nullable(),
  promoter: z.boolean(),
});
export const setEnvironmentGrantOutput = environmentGrant;

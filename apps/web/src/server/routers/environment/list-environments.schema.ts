import { z } from 'zod';

export const listEnvironmentsOutput = z.array(
  z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
);

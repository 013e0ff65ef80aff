import { z } from 'zod';

export const getSetupStatusOutput = z.object({ needsSetup: z.boolean() });

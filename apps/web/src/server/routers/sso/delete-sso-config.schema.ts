import { z } from 'zod';

export const deleteSsoConfigOutput = z.object({ deleted: z.literal(true) });

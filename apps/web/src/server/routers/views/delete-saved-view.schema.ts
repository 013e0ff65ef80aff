import { z } from 'zod';

export const deleteSavedViewInput = z.object({ id: z.uuid() });
export const deleteSavedViewOutput = z.object({ deleted: z.literal(true) });

import { z } from 'zod';

export const deleteSourceInput = z.object({ sourceId: z.uuid() });
export const deleteSourceOutput = z.object({ sourceId: z.string() });

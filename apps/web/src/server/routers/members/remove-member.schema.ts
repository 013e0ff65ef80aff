import { z } from 'zod';

export const removeMemberInput = z.object({ userId: z.string().min(1).max(200) });
export const removeMemberOutput = z.object({ userId: z.string() });

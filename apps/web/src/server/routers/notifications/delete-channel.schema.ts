import { z } from 'zod';

export const deleteChannelInput = z.object({ channelId: z.uuid() });
export const deleteChannelOutput = z.object({ channelId: z.string() });

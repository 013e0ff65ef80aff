import { z } from 'zod';
import { channelItem, channelName, channelSettings } from './notification.schema';

export const createChannelInput = z.object({
  name: channelName,
  enabled: z.boolean().default(true),
  settings: channelSettings,
});
export const createChannelOutput = channelItem;

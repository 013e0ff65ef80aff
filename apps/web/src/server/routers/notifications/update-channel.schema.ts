import { z } from 'zod';
import { channelItem, channelName, channelSettings } from './notification.schema';

export const updateChannelInput = z.object({
  channelId: z.uuid(),
  name: channelName.optional(),
  enabled: z.boolean().optional(),
  /** New settings; secrets left empty keep the stored values. */
  settings: channelSettings.optional(),
});
export const updateChannelOutput = channelItem;

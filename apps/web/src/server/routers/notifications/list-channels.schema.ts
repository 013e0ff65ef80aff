import { z } from 'zod';
import { channelItem } from './notification.schema';

export const listChannelsOutput = z.array(channelItem);

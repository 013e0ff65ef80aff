import 'server-only';
import { listNotificationChannels, type NotificationChannelDto } from '@peregrine/db';
import { db } from '../../db';
import { channelSecretKey } from './channel-settings';

/** The organisation's notification channels (secret names only). */
export async function listChannels(input: { organizationId: string }): Promise<NotificationChannelDto[]> {
  return listNotificationChannels(db(), input.organizationId, channelSecretKey());
}

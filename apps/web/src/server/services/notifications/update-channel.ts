import 'server-only';
import {
  listNotificationChannels,
  type NotificationChannelDto,
  updateNotificationChannel,
} from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import type { ChannelSettingsInput } from '../../routers/notifications/notification.schema';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { channelSecretKey, checkChannelSettings, requireChannelSecretKey } from './channel-settings';

/** Changes a channel; secrets typed replace the stored ones, empty ones keep them. */
export async function updateChannel(input: {
  organizationId: string;
  channelId: string;
  name?: string | undefined;
  enabled?: boolean | undefined;
  settings?: ChannelSettingsInput | undefined;
  actor: RequestActor;
}): Promise<NotificationChannelDto> {
  let checked: ReturnType<typeof checkChannelSettings> | undefined;
  if (input.settings) {
    const current = (await listNotificationChannels(db(), input.organizationId, null)).find(
      (c) => c.id === input.channelId,
    );
    if (!current) throw new AppError('NOT_FOUND', 'Notification channel not found.');
    if (current.kind !== input.settings.kind)
      throw new AppError('INVALID_INPUT', `This is a ${current.kind} channel; its kind cannot change.`);
    checked = checkChannelSettings(input.settings, 'update');
  }
  const changesSecrets = checked !== undefined && Object.keys(checked.secrets).length > 0;
  const secretKey = changesSecrets ? requireChannelSecretKey() : channelSecretKey();
  return withDbErrors(() =>
    updateNotificationChannel(
      db(),
      {
        organizationId: input.organizationId,
        channelId: input.channelId,
        name: input.name,
        enabled: input.enabled,
        config: checked?.config,
        secrets: checked?.secrets,
        secretKey,
      },
      auditActor(input.actor),
    ),
  );
}

import 'server-only';
import { createNotificationChannel, type NotificationChannelDto } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { ChannelSettingsInput } from '../../routers/notifications/notification.schema';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { channelSecretKey, checkChannelSettings, requireChannelSecretKey } from './channel-settings';

/** Creates a channel; its secrets are encrypted under PEREGRINE_SECRET_KEY. */
export async function createChannel(input: {
  organizationId: string;
  name: string;
  enabled: boolean;
  settings: ChannelSettingsInput;
  actor: RequestActor;
}): Promise<NotificationChannelDto> {
  const { config, secrets } = checkChannelSettings(input.settings, 'create');
  const secretKey = Object.keys(secrets).length > 0 ? requireChannelSecretKey() : channelSecretKey();
  return withDbErrors(() =>
    createNotificationChannel(
      db(),
      {
        organizationId: input.organizationId,
        kind: input.settings.kind,
        name: input.name,
        enabled: input.enabled,
        config,
        secrets,
        secretKey,
      },
      auditActor(input.actor),
    ),
  );
}

import 'server-only';
import { deleteNotificationChannel } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { channelSecretKey } from './channel-settings';

/** Deletes a channel, its pending notifications and its place in every route. */
export async function deleteChannel(input: {
  organizationId: string;
  channelId: string;
  actor: RequestActor;
}): Promise<{ channelId: string }> {
  await withDbErrors(() =>
    deleteNotificationChannel(
      db(),
      { organizationId: input.organizationId, channelId: input.channelId, secretKey: channelSecretKey() },
      auditActor(input.actor),
    ),
  );
  return { channelId: input.channelId };
}

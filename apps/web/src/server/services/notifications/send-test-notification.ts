import 'server-only';
import { queueTestNotification } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/**
 * Owes a test notification to the channel: a collector sends it through the same outbound policy,
 * retries and dead-letter state as any other, so the log shows what a real one would meet.
 */
export async function sendTestNotification(input: {
  organizationId: string;
  channelId: string;
  actor: RequestActor;
}): Promise<{ deliveryId: string }> {
  const deliveryId = await withDbErrors(() =>
    queueTestNotification(
      db(),
      { organizationId: input.organizationId, channelId: input.channelId },
      auditActor(input.actor),
    ),
  );
  return { deliveryId };
}

import 'server-only';
import { retryNotificationDelivery } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** Queues a dead notification again with a fresh set of attempts. */
export async function retryDelivery(input: {
  organizationId: string;
  deliveryId: string;
  actor: RequestActor;
}): Promise<{ deliveryId: string }> {
  await withDbErrors(() =>
    retryNotificationDelivery(
      db(),
      { organizationId: input.organizationId, deliveryId: input.deliveryId },
      auditActor(input.actor),
    ),
  );
  return { deliveryId: input.deliveryId };
}

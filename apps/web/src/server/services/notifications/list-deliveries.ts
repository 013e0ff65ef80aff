import 'server-only';
import { type DeliveryKind, listNotificationDeliveries, type NotificationDeliveryDto } from '@peregrine/db';
import { db } from '../../db';

/**
 * Recent deliveries of the organisation, newest first (dead letters with `status: 'dead'`),
 * optionally only alerts or only digests, and only one route's.
 */
export async function listDeliveries(input: {
  organizationId: string;
  status?: NotificationDeliveryDto['status'] | undefined;
  kind?: DeliveryKind | undefined;
  routeId?: string | undefined;
  limit: number;
}): Promise<NotificationDeliveryDto[]> {
  return listNotificationDeliveries(db(), input.organizationId, {
    status: input.status,
    kind: input.kind,
    routeId: input.routeId,
    limit: input.limit,
  });
}

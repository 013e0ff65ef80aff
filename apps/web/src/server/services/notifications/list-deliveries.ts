import 'server-only';
import { listNotificationDeliveries, type NotificationDeliveryDto } from '@peregrine/db';
import { db } from '../../db';

/** Recent deliveries of the organisation, newest first (dead letters with `status: 'dead'`). */
export async function listDeliveries(input: {
  organizationId: string;
  status?: NotificationDeliveryDto['status'] | undefined;
  limit: number;
}): Promise<NotificationDeliveryDto[]> {
  return listNotificationDeliveries(db(), input.organizationId, { status: input.status, limit: input.limit });
}

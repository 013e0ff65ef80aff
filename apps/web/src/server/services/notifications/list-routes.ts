import 'server-only';
import { listNotificationRoutes } from '@peregrine/db';
import {
  DigestScheduleSchema,
  QuietHoursSchema,
  RouteFilterSchema,
  RouteOverridesSchema,
} from '@peregrine/protocol';
import { db } from '../../db';
import type { RouteSettingsInput } from '../../routers/notifications/notification.schema';

export type RouteItem = RouteSettingsInput & { id: string; position: number; updatedAt: Date };

/** The organisation's routes in matching order (a stored filter that no longer parses reads as empty). */
export async function listRoutes(input: { organizationId: string }): Promise<RouteItem[]> {
  const rows = await listNotificationRoutes(db(), input.organizationId);
  return rows.map((r) => ({
    ...r,
    filter: RouteFilterSchema.safeParse(r.filter).data ?? RouteFilterSchema.parse({}),
    overrides: RouteOverridesSchema.safeParse(r.overrides).data ?? {},
    digest: r.digest ? (DigestScheduleSchema.safeParse(r.digest).data ?? null) : null,
    quietHours: r.quietHours ? (QuietHoursSchema.safeParse(r.quietHours).data ?? null) : null,
  }));
}

import 'server-only';
import { createNotificationRoute, updateNotificationRoute } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import type { RouteSettingsInput } from '../../routers/notifications/notification.schema';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { listEnvironments } from '../environment/list-environments';
import type { RouteItem } from './list-routes';

/**
 * Creates a route (`routeId` null: at the end of the list) or changes one. The filter's
 * environments and the channels must be the organisation's own.
 */
export async function saveRoute(input: {
  organizationId: string;
  routeId: string | null;
  settings: RouteSettingsInput;
  actor: RequestActor;
}): Promise<RouteItem> {
  const { settings } = input;
  if (settings.filter.environmentIds.length > 0) {
    const own = new Set((await listEnvironments(input.organizationId)).map((e) => e.id));
    if (!settings.filter.environmentIds.every((id) => own.has(id)))
      throw new AppError('NOT_FOUND', 'An environment of the route does not exist.');
  }
  const data = {
    organizationId: input.organizationId,
    ...settings,
    filter: settings.filter as Record<string, unknown>,
    overrides: settings.overrides as Record<string, unknown>,
  };
  const row = await withDbErrors(() =>
    input.routeId === null
      ? createNotificationRoute(db(), data, auditActor(input.actor))
      : updateNotificationRoute(db(), { ...data, routeId: input.routeId }, auditActor(input.actor)),
  );
  return { ...row, filter: settings.filter, overrides: settings.overrides };
}

import 'server-only';
import { createNotificationRoute, updateNotificationRoute } from '@peregrine/db';
import { DIGEST_KINDS, DIGEST_REFUSAL, QUIET_HOURS_KINDS, QUIET_HOURS_REFUSAL } from '@peregrine/protocol';
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
 * environments and the channels must be the organisation's own; a digest needs channels that
 * can carry one (not PagerDuty, Opsgenie, falcosidekick), quiet hours any but falcosidekick.
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
    digest: settings.digest as Record<string, unknown> | null,
    quietHours: settings.quietHours as Record<string, unknown> | null,
  };
  const kinds = {
    digest: { kinds: DIGEST_KINDS, refusal: DIGEST_REFUSAL },
    quietHours: { kinds: QUIET_HOURS_KINDS, refusal: QUIET_HOURS_REFUSAL },
  };
  const row = await withDbErrors(() =>
    input.routeId === null
      ? createNotificationRoute(db(), data, auditActor(input.actor), kinds)
      : updateNotificationRoute(db(), { ...data, routeId: input.routeId }, auditActor(input.actor), kinds),
  );
  return {
    ...row,
    filter: settings.filter,
    overrides: settings.overrides,
    digest: settings.digest,
    quietHours: settings.quietHours,
  };
}

import 'server-only';
import { moveNotificationRoute } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { listRoutes, type RouteItem } from './list-routes';

/** Moves a route one place; answers every route in the new order. */
export async function moveRoute(input: {
  organizationId: string;
  routeId: string;
  direction: 'up' | 'down';
  actor: RequestActor;
}): Promise<RouteItem[]> {
  await withDbErrors(() =>
    moveNotificationRoute(
      db(),
      { organizationId: input.organizationId, routeId: input.routeId, direction: input.direction },
      auditActor(input.actor),
    ),
  );
  return listRoutes({ organizationId: input.organizationId });
}

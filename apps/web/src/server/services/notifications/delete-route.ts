import 'server-only';
import { deleteNotificationRoute } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** Deletes a route. */
export async function deleteRoute(input: {
  organizationId: string;
  routeId: string;
  actor: RequestActor;
}): Promise<{ routeId: string }> {
  await withDbErrors(() =>
    deleteNotificationRoute(
      db(),
      { organizationId: input.organizationId, routeId: input.routeId },
      auditActor(input.actor),
    ),
  );
  return { routeId: input.routeId };
}

import { deleteRoute as deleteRouteService } from '../../services/notifications/delete-route';
import { orgActorProcedure } from '../../trpc';
import { deleteRouteInput, deleteRouteOutput } from './delete-route.schema';

/** Admins delete a route (notifications it already owed are still sent). */
export const deleteRoute = orgActorProcedure('admin')
  .input(deleteRouteInput)
  .output(deleteRouteOutput)
  .mutation(({ ctx, input }) =>
    deleteRouteService({ organizationId: ctx.org.id, routeId: input.routeId, actor: ctx.actor }),
  );

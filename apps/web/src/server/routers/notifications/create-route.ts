import { saveRoute } from '../../services/notifications/save-route';
import { orgActorProcedure } from '../../trpc';
import { createRouteInput, createRouteOutput } from './create-route.schema';

/** Admins add a route at the end of the list. */
export const createRoute = orgActorProcedure('admin')
  .input(createRouteInput)
  .output(createRouteOutput)
  .mutation(({ ctx, input }) =>
    saveRoute({ organizationId: ctx.org.id, routeId: null, settings: input, actor: ctx.actor }),
  );

import { saveRoute } from '../../services/notifications/save-route';
import { orgActorProcedure } from '../../trpc';
import { updateRouteInput, updateRouteOutput } from './update-route.schema';

/** Admins change a route's filter, channels, overrides or throttle. */
export const updateRoute = orgActorProcedure('admin')
  .input(updateRouteInput)
  .output(updateRouteOutput)
  .mutation(({ ctx, input }) =>
    saveRoute({
      organizationId: ctx.org.id,
      routeId: input.routeId,
      settings: input.settings,
      actor: ctx.actor,
    }),
  );

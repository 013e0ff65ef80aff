import { moveRoute as moveRouteService } from '../../services/notifications/move-route';
import { orgActorProcedure } from '../../trpc';
import { moveRouteInput, moveRouteOutput } from './move-route.schema';

/** Admins move a route one place up or down in the matching order. */
export const moveRoute = orgActorProcedure('admin')
  .input(moveRouteInput)
  .output(moveRouteOutput)
  .mutation(({ ctx, input }) => moveRouteService({ organizationId: ctx.org.id, ...input, actor: ctx.actor }));

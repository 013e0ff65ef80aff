import { previewRoute as previewRouteService } from '../../services/notifications/preview-route';
import { orgActorProcedure } from '../../trpc';
import { previewRouteInput, previewRouteOutput } from './preview-route.schema';

/** Admins see which recent alerts a route would have sent, before saving it. */
export const previewRoute = orgActorProcedure('admin')
  .input(previewRouteInput)
  .output(previewRouteOutput)
  .query(({ ctx, input }) => previewRouteService({ organizationId: ctx.org.id, ...input }));

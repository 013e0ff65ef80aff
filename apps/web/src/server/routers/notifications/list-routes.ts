import { listRoutes as listRoutesService } from '../../services/notifications/list-routes';
import { orgActorProcedure } from '../../trpc';
import { listRoutesOutput } from './list-routes.schema';

/** Admins see the routes in the order alerts are matched against them. */
export const listRoutes = orgActorProcedure('admin')
  .output(listRoutesOutput)
  .query(({ ctx }) => listRoutesService({ organizationId: ctx.org.id }));

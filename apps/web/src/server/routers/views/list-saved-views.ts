import { listSavedViews as listSavedViewsService } from '../../services/views/list-saved-views';
import { orgActorProcedure } from '../../trpc';
import { listSavedViewsOutput } from './list-saved-views.schema';

/** The caller's saved alert views and the organisation's shared ones. */
export const listSavedViews = orgActorProcedure('viewer')
  .output(listSavedViewsOutput)
  .query(({ ctx }) => listSavedViewsService({ organizationId: ctx.org.id, userId: ctx.actor.userId }));

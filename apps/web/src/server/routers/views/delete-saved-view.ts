import { deleteSavedView as deleteSavedViewService } from '../../services/views/delete-saved-view';
import { orgActorProcedure } from '../../trpc';
import { deleteSavedViewInput, deleteSavedViewOutput } from './delete-saved-view.schema';

/** Deletes a saved view (own views; admins also shared ones). */
export const deleteSavedView = orgActorProcedure('viewer')
  .input(deleteSavedViewInput)
  .output(deleteSavedViewOutput)
  .mutation(async ({ ctx, input }) => {
    await deleteSavedViewService({
      organizationId: ctx.org.id,
      userId: ctx.actor.userId,
      role: ctx.role,
      id: input.id,
      actor: ctx.actor,
    });
    return { deleted: true as const };
  });

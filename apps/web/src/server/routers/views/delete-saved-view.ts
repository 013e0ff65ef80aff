import { deleteSavedView as deleteSavedViewService } from '../../services/views/delete-saved-view';
import { orgProcedure } from '../../trpc';
import { deleteSavedViewInput, deleteSavedViewOutput } from './delete-saved-view.schema';

/** Deletes a saved view (own views; admins also shared ones). */
export const deleteSavedView = orgProcedure('viewer')
  .input(deleteSavedViewInput)
  .output(deleteSavedViewOutput)
  .mutation(async ({ ctx, input }) => {
    await deleteSavedViewService({
      organizationId: ctx.org.id,
      userId: ctx.viewer.id,
      role: ctx.role,
      id: input.id,
      actor: { userId: ctx.viewer.id, userAgent: ctx.headers.get('user-agent') },
    });
    return { deleted: true as const };
  });

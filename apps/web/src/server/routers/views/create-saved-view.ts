import { createSavedView as createSavedViewService } from '../../services/views/create-saved-view';
import { orgProcedure } from '../../trpc';
import { createSavedViewInput, createSavedViewOutput } from './create-saved-view.schema';

/** Saves the current alert filter as a named view. Any member may keep views. */
export const createSavedView = orgProcedure('viewer')
  .input(createSavedViewInput)
  .output(createSavedViewOutput)
  .mutation(({ ctx, input }) =>
    createSavedViewService({
      organizationId: ctx.org.id,
      userId: ctx.viewer.id,
      ...input,
      actor: { userId: ctx.viewer.id, ip: ctx.clientIp, userAgent: ctx.headers.get('user-agent') },
    }),
  );

import { deleteSource as deleteSourceService } from '../../services/sources/delete-source';
import { orgActorProcedure } from '../../trpc';
import { deleteSourceInput, deleteSourceOutput } from './delete-source.schema';

/** Admins delete a cloud source. */
export const deleteSource = orgActorProcedure('admin')
  .input(deleteSourceInput)
  .output(deleteSourceOutput)
  .mutation(({ ctx, input }) =>
    deleteSourceService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor }),
  );

import { deleteSource as deleteSourceService } from '../../services/sources/delete-source';
import { environmentActorProcedure } from '../../trpc';
import { deleteSourceInput, deleteSourceOutput } from './delete-source.schema';

/** Admins delete a cloud source. */
export const deleteSource = environmentActorProcedure('admin')
  .input(deleteSourceInput)
  .output(deleteSourceOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sourceId: input.sourceId });
    return deleteSourceService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor });
  });

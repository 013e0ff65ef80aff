import { updateSource as updateSourceService } from '../../services/sources/update-source';
import { environmentActorProcedure } from '../../trpc';
import { updateSourceInput, updateSourceOutput } from './update-source.schema';

/** Admins change a source's settings, secrets (write-only) or enabled flag. */
export const updateSource = environmentActorProcedure('admin')
  .input(updateSourceInput)
  .output(updateSourceOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sourceId: input.sourceId });
    return updateSourceService({
      organizationId: ctx.org.id,
      sourceId: input.sourceId,
      name: input.name,
      enabled: input.enabled,
      settings: input.settings,
      clearSecrets: input.clearSecrets,
      actor: ctx.actor,
    });
  });

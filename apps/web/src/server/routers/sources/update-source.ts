import { updateSource as updateSourceService } from '../../services/sources/update-source';
import { orgActorProcedure } from '../../trpc';
import { updateSourceInput, updateSourceOutput } from './update-source.schema';

/** Admins change a source's settings, secrets (write-only) or enabled flag. */
export const updateSource = orgActorProcedure('admin')
  .input(updateSourceInput)
  .output(updateSourceOutput)
  .mutation(({ ctx, input }) =>
    updateSourceService({
      organizationId: ctx.org.id,
      sourceId: input.sourceId,
      name: input.name,
      enabled: input.enabled,
      settings: input.settings,
      clearSecrets: input.clearSecrets,
      actor: ctx.actor,
    }),
  );

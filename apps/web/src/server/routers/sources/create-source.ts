import { createSource as createSourceService } from '../../services/sources/create-source';
import { environmentActorProcedure } from '../../trpc';
import { createSourceInput, createSourceOutput } from './create-source.schema';

/** Admins configure a cloud source; a push source's credential is returned once. */
export const createSource = environmentActorProcedure('admin')
  .input(createSourceInput)
  .output(createSourceOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return createSourceService({
      organizationId: ctx.org.id,
      environmentId: input.environmentId,
      name: input.name,
      settings: input.settings,
      actor: ctx.actor,
    });
  });
